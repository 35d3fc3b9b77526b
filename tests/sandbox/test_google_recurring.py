"""Recurring events in the Google Calendar emulator (addin/sandbox/google/recurring.py and
the expansion in queries.py), driven with google-api-python-client: instances, exceptions,
cancelled instances, sync tokens and the emails sendUpdates sends for a series or for one
instance."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
import requests
from googleapiclient.errors import HttpError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from addin.sandbox import SandboxRuntime
from addin.sandbox.google.queries import instances

WEEKLY = {"summary": "Weekly", "start": {"dateTime": "2026-12-03T10:00:00Z"},
          "end": {"dateTime": "2026-12-03T10:30:00Z"},
          "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]}


def _new_id() -> str:
    return "rec" + uuid.uuid4().hex


def _insert(api: Any, **fields: Any) -> dict[str, Any]:
    body = {**WEEKLY, "id": _new_id(), **fields}
    return dict(api.events().insert(calendarId="primary", body=body,
                                    sendUpdates="none").execute())


def _instances(api: Any, event_id: str, **params: Any) -> list[dict[str, Any]]:
    return list(api.events().instances(calendarId="primary", eventId=event_id,
                                       **params).execute()["items"])


def _mail(sandbox: SandboxRuntime) -> list[tuple[str, str, Any, Any]]:
    return [(m["kind"], m["to"], m.get("series"), m.get("eventId"))
            for m in sandbox.state.mail.messages() if m["sender"] == "google"]


def test_instances_of_a_weekly_series(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    rows = _instances(calendar_api, series["id"])
    assert [r["id"] for r in rows] == [f"{series['id']}_202612{d}T100000Z"
                                       for d in ("03", "10", "17", "24")]
    assert {r["recurringEventId"] for r in rows} == {series["id"]}
    assert [r["originalStartTime"]["dateTime"] for r in rows] == [
        r["start"]["dateTime"] for r in rows]
    assert all("recurrence" not in r for r in rows)
    one = calendar_api.events().get(calendarId="primary", eventId=rows[1]["id"]).execute()
    assert one["start"]["dateTime"] == "2026-12-10T10:00:00Z"
    with pytest.raises(HttpError) as missing:
        calendar_api.events().get(calendarId="primary",
                                  eventId=f"{series['id']}_20261211T100000Z").execute()
    assert missing.value.resp.status == 404


def test_until_exdate_rdate_and_the_events_zone(calendar_api: Any) -> None:
    """09:00 New York stays 09:00 when the clocks change on 1 November 2026."""
    series = _insert(calendar_api, start={"dateTime": "2026-10-27T09:00:00",
                                          "timeZone": "America/New_York"},
                     end={"dateTime": "2026-10-27T10:00:00", "timeZone": "America/New_York"},
                     recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20261117",
                                 "EXDATE;TZID=America/New_York:20261110T090000",
                                 "RDATE:20261112T140000Z"])
    rows = _instances(calendar_api, series["id"], timeZone="America/New_York")
    assert [r["start"]["dateTime"] for r in rows] == [
        "2026-10-27T09:00:00-04:00", "2026-11-03T09:00:00-05:00",
        "2026-11-12T09:00:00-05:00", "2026-11-17T09:00:00-05:00"]


def test_single_events_are_bounded_by_the_window_and_ordered(calendar_api: Any) -> None:
    open_ended = _insert(calendar_api, recurrence=["RRULE:FREQ=DAILY"], summary="Daily")
    listing = calendar_api.events().list(
        calendarId="primary", singleEvents=True, orderBy="startTime",
        timeMin="2027-01-01T00:00:00Z", timeMax="2027-01-04T00:00:00Z").execute()
    mine = [i for i in listing["items"] if i.get("recurringEventId") == open_ended["id"]]
    assert [i["start"]["dateTime"][:10] for i in mine] == [
        "2027-01-01", "2027-01-02", "2027-01-03"]
    starts = [i["start"].get("dateTime") or i["start"]["date"] for i in listing["items"]]
    assert starts == sorted(starts)
    calendar_api.events().delete(calendarId="primary", eventId=open_ended["id"]).execute()


def test_moving_one_instance_makes_an_exception(calendar_api: Any,
                                                clean_sandbox: SandboxRuntime) -> None:
    series = _insert(calendar_api)
    second = _instances(calendar_api, series["id"])[1]["id"]
    token = calendar_api.events().list(calendarId="primary").execute()["nextSyncToken"]
    moved = calendar_api.events().patch(
        calendarId="primary", eventId=second, sendUpdates="all",
        body={"start": {"dateTime": "2026-12-11T15:00:00Z"},
              "end": {"dateTime": "2026-12-11T15:30:00Z"}}).execute()
    assert moved["id"] == second and moved["recurringEventId"] == series["id"]
    assert moved["originalStartTime"]["dateTime"] == "2026-12-10T10:00:00Z"
    rows = _instances(calendar_api, series["id"])
    assert [r["start"]["dateTime"] for r in rows] == [
        "2026-12-03T10:00:00Z", "2026-12-11T15:00:00Z", "2026-12-17T10:00:00Z",
        "2026-12-24T10:00:00Z"]
    changes = calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert [(i["id"], i["start"]["dateTime"]) for i in changes["items"]] == [
        (second, "2026-12-11T15:00:00Z")]
    listing = calendar_api.events().list(calendarId="primary").execute()["items"]
    assert {series["id"], second} <= {i["id"] for i in listing}
    assert _mail(clean_sandbox) == []  # nobody to tell


def test_cancelling_one_instance(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    third = _instances(calendar_api, series["id"])[2]["id"]
    token = calendar_api.events().list(calendarId="primary").execute()["nextSyncToken"]
    calendar_api.events().delete(calendarId="primary", eventId=third).execute()
    assert third not in [r["id"] for r in _instances(calendar_api, series["id"])]
    shown = _instances(calendar_api, series["id"], showDeleted=True)
    assert [r["status"] for r in shown].count("cancelled") == 1
    changes = calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert changes["items"] == [{
        "kind": "calendar#event", "etag": changes["items"][0]["etag"], "id": third,
        "status": "cancelled", "recurringEventId": series["id"],
        "originalStartTime": {"dateTime": "2026-12-17T10:00:00Z"}}]
    plain = calendar_api.events().list(calendarId="primary").execute()["items"]
    assert third in [i["id"] for i in plain]  # listed when not expanding (Google's rule)
    expanded = calendar_api.events().list(calendarId="primary", singleEvents=True).execute()
    assert third not in [i["id"] for i in expanded["items"]]
    with pytest.raises(HttpError) as gone:
        calendar_api.events().delete(calendarId="primary", eventId=third).execute()
    assert gone.value.resp.status == 410


def test_one_invitation_for_the_series_and_one_for_an_instance(
        calendar_api: Any, clean_sandbox: SandboxRuntime) -> None:
    series = _insert(calendar_api)
    calendar_api.events().patch(calendarId="primary", eventId=series["id"], sendUpdates="all",
                                body={"attendees": [{"email": "ann@outside.example"}]}
                                ).execute()
    assert _mail(clean_sandbox) == [("invitation", "ann@outside.example", True, series["id"])]
    clean_sandbox.state.mail.clear()
    second = _instances(calendar_api, series["id"])[1]["id"]
    calendar_api.events().patch(calendarId="primary", eventId=second, sendUpdates="all",
                                body={"attendees": [{"email": "ann@outside.example"},
                                                    {"email": "bob@outside.example"}]}
                                ).execute()
    assert _mail(clean_sandbox) == [("invitation", "bob@outside.example", False, second)]
    clean_sandbox.state.mail.clear()
    calendar_api.events().delete(calendarId="primary", eventId=second,
                                 sendUpdates="all").execute()
    assert sorted(_mail(clean_sandbox)) == [
        ("cancellation", "ann@outside.example", False, second),
        ("cancellation", "bob@outside.example", False, second)]


def test_deleting_the_series_cancels_its_exceptions(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    first = _instances(calendar_api, series["id"])[0]["id"]
    calendar_api.events().patch(calendarId="primary", eventId=first,
                                body={"summary": "Moved"}).execute()
    token = calendar_api.events().list(calendarId="primary").execute()["nextSyncToken"]
    calendar_api.events().delete(calendarId="primary", eventId=series["id"]).execute()
    changes = calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert sorted((i["id"], i["status"]) for i in changes["items"]) == sorted([
        (series["id"], "cancelled"), (first, "cancelled")])


def test_an_instance_takes_no_recurrence(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    first = _instances(calendar_api, series["id"])[0]["id"]
    with pytest.raises(HttpError) as refused:
        calendar_api.events().patch(calendarId="primary", eventId=first, body={
            "recurrence": ["RRULE:FREQ=DAILY"]}).execute()
    assert refused.value.resp.status == 400
    stored = calendar_api.events().list(calendarId="primary").execute()["items"]
    assert first not in [i["id"] for i in stored]  # no exception was half-written


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(sorted(available_timezones())),
       day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
       wall=st.times())
def test_daily_instances_keep_their_wall_clock_time_in_any_zone(zone: str, day: date,
                                                                 wall: time) -> None:
    where = ZoneInfo(zone)
    wall = wall.replace(second=0, microsecond=0)
    local = datetime.combine(day, wall, tzinfo=where)
    assume(local.astimezone(UTC).astimezone(where).replace(tzinfo=None)
           == local.replace(tzinfo=None))
    event = {"id": "propertytest", "start": {"dateTime": local.isoformat(), "timeZone": zone},
             "end": {"dateTime": (local + timedelta(minutes=45)).isoformat(),
                     "timeZone": zone},
             "recurrence": ["RRULE:FREQ=DAILY;COUNT=200"]}
    rows = instances(event, None, None)
    assert len(rows) == 200
    for n, row in enumerate(rows):
        start = datetime.fromisoformat(row["start"]["dateTime"]).astimezone(where)
        expected = datetime.combine(day + timedelta(days=n), wall, tzinfo=where)
        assert start.date() == expected.date()
        if expected.astimezone(UTC).astimezone(where).replace(tzinfo=None) == \
                expected.replace(tzinfo=None):
            assert start.time() == wall


@pytest.mark.parametrize("reaches", [True, False])
def test_a_series_edit_reaches_what_exceptions_did_not_override(
        calendar_api: Any, clean_sandbox: SandboxRuntime, reaches: bool) -> None:
    clean_sandbox.state.update_settings({"google.seriesEditReachesExceptions": reaches})
    series = _insert(calendar_api, location="Room 1")
    first, second = (r["id"] for r in _instances(calendar_api, series["id"])[:2])
    calendar_api.events().patch(calendarId="primary", eventId=first,
                                body={"location": "Room 7"}).execute()
    calendar_api.events().patch(calendarId="primary", eventId=second,
                                body={"start": {"dateTime": "2026-12-10T12:00:00Z"},
                                      "end": {"dateTime": "2026-12-10T12:30:00Z"}}).execute()
    calendar_api.events().patch(calendarId="primary", eventId=series["id"], body={
        "location": "Room 2", "summary": "Weekly renamed"}).execute()
    rows = {r["id"]: r for r in _instances(calendar_api, series["id"])}
    assert rows[first]["location"] == "Room 7"  # overridden: kept
    assert rows[second]["location"] == ("Room 2" if reaches else "Room 1")
    assert rows[second]["start"]["dateTime"] == "2026-12-10T12:00:00Z"
    assert {r["summary"] for r in rows.values()} == (
        {"Weekly renamed"} if reaches else {"Weekly renamed", "Weekly"})


def test_all_day_series_and_original_start(calendar_api: Any) -> None:
    series = _insert(calendar_api, start={"date": "2026-12-07"}, end={"date": "2026-12-08"},
                     recurrence=["RRULE:FREQ=DAILY;UNTIL=20261209T000000Z"])
    rows = _instances(calendar_api, series["id"])
    assert [r["id"] for r in rows] == [f"{series['id']}_2026120{d}" for d in (7, 8, 9)]
    moved = calendar_api.events().patch(calendarId="primary", eventId=rows[1]["id"], body={
        "start": {"date": "2026-12-12"}, "end": {"date": "2026-12-13"}}).execute()
    assert moved["originalStartTime"] == {"date": "2026-12-08"}
    timed = _insert(calendar_api)
    picked = _instances(calendar_api, timed["id"], originalStart="2026-12-17T10:00:00Z")
    assert [r["id"] for r in picked] == [f"{timed['id']}_20261217T100000Z"]


def test_new_rules_drop_the_exceptions_they_no_longer_make(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    rows = _instances(calendar_api, series["id"])
    for row in rows[1:3]:
        calendar_api.events().patch(calendarId="primary", eventId=row["id"],
                                    body={"summary": "Own"}).execute()
    calendar_api.events().patch(calendarId="primary", eventId=series["id"], body={
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}).execute()
    after = _instances(calendar_api, series["id"])
    assert [(r["id"], r["summary"]) for r in after] == [
        (rows[0]["id"], "Weekly"), (rows[1]["id"], "Own")]
    gone = calendar_api.events().get(calendarId="primary", eventId=rows[2]["id"]).execute()
    assert gone["status"] == "cancelled"


def test_a_guests_calendar_sees_the_moved_instance(
        calendar_api: Any, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    dan = "dan.okafor@acme-sales.example"
    series = _insert(calendar_api, attendees=[{"email": dan}])
    second = _instances(calendar_api, series["id"])[1]["id"]
    calendar_api.events().patch(calendarId="primary", eventId=second, body={
        "start": {"dateTime": "2026-12-10T16:00:00Z"},
        "end": {"dateTime": "2026-12-10T16:30:00Z"}}).execute()
    token = clean_sandbox.state.tokens.issue("google", dan)
    answer = upstream.get(f"{clean_sandbox.services['google']}/calendars/primary/events/"
                          f"{series['id']}/instances",
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    starts = [i["start"]["dateTime"] for i in answer.json()["items"]]
    assert starts[1] == "2026-12-10T16:00:00Z"
    assert answer.json()["items"][1]["organizer"]["email"] == "cleo.nguyen@acme-sales.example"


def test_a_sync_with_single_events_reports_a_changed_series_as_instances(
        calendar_api: Any) -> None:
    token = calendar_api.events().list(calendarId="primary",
                                       maxResults=2500).execute()["nextSyncToken"]
    series = _insert(calendar_api)
    changes = calendar_api.events().list(calendarId="primary", singleEvents=True,
                                         syncToken=token).execute()
    assert [i["id"] for i in changes["items"]] == [
        r["id"] for r in _instances(calendar_api, series["id"])]
    plain = calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert [i["id"] for i in plain["items"]] == [series["id"]]


def test_an_insert_cannot_claim_to_be_an_instance(calendar_api: Any) -> None:
    """recurringEventId and originalStartTime are immutable: an insert does not set them."""
    series = _insert(calendar_api)
    single = calendar_api.events().insert(calendarId="primary", body={
        "summary": "Not an instance", "start": {"dateTime": "2026-12-05T10:00:00Z"},
        "end": {"dateTime": "2026-12-05T11:00:00Z"}, "recurringEventId": series["id"],
        "originalStartTime": {"dateTime": "2026-12-10T10:00:00Z"}}).execute()
    assert "recurringEventId" not in single and "originalStartTime" not in single
    assert len(_instances(calendar_api, series["id"])) == 4


def test_a_guest_answers_one_instance(calendar_api: Any, clean_sandbox: SandboxRuntime,
                                      upstream: requests.Session) -> None:
    dan = "dan.okafor@acme-sales.example"
    series = _insert(calendar_api, attendees=[{"email": dan}])
    third = _instances(calendar_api, series["id"])[2]["id"]
    token = clean_sandbox.state.tokens.issue("google", dan)
    answer = upstream.patch(f"{clean_sandbox.services['google']}/calendars/primary/events/"
                            f"{third}", headers={"Authorization": f"Bearer {token}"},
                            json={"attendees": [{"email": dan, "responseStatus": "declined"}]})
    assert answer.status_code == 200, answer.text
    rows = {r["id"]: r for r in _instances(calendar_api, series["id"])}
    status = {r_id: next(a["responseStatus"] for a in r["attendees"] if a["email"] == dan)
              for r_id, r in rows.items()}
    assert status[third] == "declined"
    assert [v for k, v in status.items() if k != third] == ["needsAction"] * 3
