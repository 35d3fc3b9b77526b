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
from tests.clock import TODAY, at, compact, day, dst_change, iso, wall, ymd, z

NEW_YORK = "America/New_York"


def thursday(n: int = 0, hhmm: str = "10:00") -> datetime:
    """The ``n``-th Thursday from the test week's, at ``hhmm`` UTC: WEEKLY's occurrences."""
    return at(day(3 + 7 * n), hhmm)


WEEKLY = {"summary": "Weekly", "start": {"dateTime": z(thursday())},
          "end": {"dateTime": z(thursday(0, "10:30"))},
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


def _instant(start: dict[str, str]) -> datetime:
    """When an event starts, to order a listing by: offsets differ from event to event (an
    all-day event from midnight UTC, as the emulator orders it)."""
    if "dateTime" in start:
        return datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
    return datetime.combine(date.fromisoformat(start["date"]), time(), tzinfo=UTC)


def _mail(sandbox: SandboxRuntime) -> list[tuple[str, str, Any, Any]]:
    return [(m["kind"], m["to"], m.get("series"), m.get("eventId"))
            for m in sandbox.state.mail.messages() if m["sender"] == "google"]


def test_instances_of_a_weekly_series(calendar_api: Any) -> None:
    series = _insert(calendar_api)
    rows = _instances(calendar_api, series["id"])
    assert [r["id"] for r in rows] == [f"{series['id']}_{compact(thursday(n))}"
                                       for n in range(4)]
    assert {r["recurringEventId"] for r in rows} == {series["id"]}
    assert [r["originalStartTime"]["dateTime"] for r in rows] == [
        r["start"]["dateTime"] for r in rows]
    assert all("recurrence" not in r for r in rows)
    one = calendar_api.events().get(calendarId="primary", eventId=rows[1]["id"]).execute()
    assert one["start"]["dateTime"] == z(thursday(1))
    friday = compact(at(day(11), "10:00"))  # the day after an occurrence: none
    with pytest.raises(HttpError) as missing:
        calendar_api.events().get(calendarId="primary",
                                  eventId=f"{series['id']}_{friday}").execute()
    assert missing.value.resp.status == 404


def test_until_exdate_rdate_and_the_events_zone(calendar_api: Any) -> None:
    """09:00 New York stays 09:00 when the clocks fall back (the next change, from the zone
    database): weekly on Tuesdays from the one before the change, the third excluded, a
    Thursday added."""
    changed = dst_change(NEW_YORK, forward=False)
    first = changed - timedelta(days=(changed.weekday() - 1) % 7 or 7)  # the Tuesday before
    tuesdays = [first + timedelta(weeks=n) for n in range(4)]
    added = tuesdays[2] + timedelta(days=2)

    def nine(when: date) -> datetime:
        return at(when, "09:00", NEW_YORK)

    assert nine(tuesdays[0]).utcoffset() != nine(tuesdays[1]).utcoffset()  # it straddles
    series = _insert(calendar_api, start={"dateTime": wall(nine(first)), "timeZone": NEW_YORK},
                     end={"dateTime": wall(at(first, "10:00", NEW_YORK)), "timeZone": NEW_YORK},
                     recurrence=[f"RRULE:FREQ=WEEKLY;UNTIL={compact(tuesdays[3])}",
                                 f"EXDATE;TZID={NEW_YORK}:{compact(tuesdays[2])}T090000",
                                 f"RDATE:{compact(nine(added))}"])
    rows = _instances(calendar_api, series["id"], timeZone=NEW_YORK)
    assert [r["start"]["dateTime"] for r in rows] == [
        iso(nine(d)) for d in (tuesdays[0], tuesdays[1], added, tuesdays[3])]


def test_single_events_are_bounded_by_the_window_and_ordered(calendar_api: Any) -> None:
    open_ended = _insert(calendar_api, recurrence=["RRULE:FREQ=DAILY"], summary="Daily")
    listing = calendar_api.events().list(
        calendarId="primary", singleEvents=True, orderBy="startTime",
        timeMin=z(at(day(29), "00:00")), timeMax=z(at(day(32), "00:00"))).execute()
    mine = [i for i in listing["items"] if i.get("recurringEventId") == open_ended["id"]]
    assert [i["start"]["dateTime"][:10] for i in mine] == [
        ymd(day(29)), ymd(day(30)), ymd(day(31))]
    starts = [_instant(i["start"]) for i in listing["items"]]  # other tests' too, any offset
    assert starts == sorted(starts)
    calendar_api.events().delete(calendarId="primary", eventId=open_ended["id"]).execute()


def test_moving_one_instance_makes_an_exception(calendar_api: Any,
                                                clean_sandbox: SandboxRuntime) -> None:
    series = _insert(calendar_api)
    second = _instances(calendar_api, series["id"])[1]["id"]
    token = calendar_api.events().list(calendarId="primary").execute()["nextSyncToken"]
    moved = calendar_api.events().patch(
        calendarId="primary", eventId=second, sendUpdates="all",
        body={"start": {"dateTime": z(at(day(11), "15:00"))},
              "end": {"dateTime": z(at(day(11), "15:30"))}}).execute()
    assert moved["id"] == second and moved["recurringEventId"] == series["id"]
    assert moved["originalStartTime"]["dateTime"] == z(thursday(1))
    rows = _instances(calendar_api, series["id"])
    assert [r["start"]["dateTime"] for r in rows] == [
        z(thursday(0)), z(at(day(11), "15:00")), z(thursday(2)), z(thursday(3))]
    changes = calendar_api.events().list(calendarId="primary", syncToken=token).execute()
    assert [(i["id"], i["start"]["dateTime"]) for i in changes["items"]] == [
        (second, z(at(day(11), "15:00")))]
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
        "originalStartTime": {"dateTime": z(thursday(2))}}]
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
       day=st.dates(min_value=TODAY - timedelta(days=365),
                    max_value=TODAY + timedelta(days=365)),  # 200 days: inside the horizon
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
        if expected.astimezone(UTC).astimezone(where).replace(tzinfo=None) == \
                expected.replace(tzinfo=None):
            assert start.date() == expected.date()
            assert start.time() == wall
        else:  # skipped by the clocks: read with the offset before the gap (RFC 5545 3.3.5),
            # so later by the gap, the next day when it starts at 23:00 (America/Nuuk)
            assert start == expected.replace(fold=0).astimezone(UTC).astimezone(where)


@pytest.mark.parametrize("reaches", [True, False])
def test_a_series_edit_reaches_what_exceptions_did_not_override(
        calendar_api: Any, clean_sandbox: SandboxRuntime, reaches: bool) -> None:
    clean_sandbox.state.update_settings({"google.seriesEditReachesExceptions": reaches})
    series = _insert(calendar_api, location="Room 1")
    first, second = (r["id"] for r in _instances(calendar_api, series["id"])[:2])
    calendar_api.events().patch(calendarId="primary", eventId=first,
                                body={"location": "Room 7"}).execute()
    calendar_api.events().patch(calendarId="primary", eventId=second,
                                body={"start": {"dateTime": z(thursday(1, "12:00"))},
                                      "end": {"dateTime": z(thursday(1, "12:30"))}}).execute()
    calendar_api.events().patch(calendarId="primary", eventId=series["id"], body={
        "location": "Room 2", "summary": "Weekly renamed"}).execute()
    rows = {r["id"]: r for r in _instances(calendar_api, series["id"])}
    assert rows[first]["location"] == "Room 7"  # overridden: kept
    assert rows[second]["location"] == ("Room 2" if reaches else "Room 1")
    assert rows[second]["start"]["dateTime"] == z(thursday(1, "12:00"))
    assert {r["summary"] for r in rows.values()} == (
        {"Weekly renamed"} if reaches else {"Weekly renamed", "Weekly"})


def test_all_day_series_and_original_start(calendar_api: Any) -> None:
    series = _insert(calendar_api, start={"date": iso(day(0))}, end={"date": iso(day(1))},
                     recurrence=[f"RRULE:FREQ=DAILY;UNTIL={compact(at(day(2), '00:00'))}"])
    rows = _instances(calendar_api, series["id"])
    assert [r["id"] for r in rows] == [f"{series['id']}_{compact(day(d))}" for d in (0, 1, 2)]
    moved = calendar_api.events().patch(calendarId="primary", eventId=rows[1]["id"], body={
        "start": {"date": iso(day(5))}, "end": {"date": iso(day(6))}}).execute()
    assert moved["originalStartTime"] == {"date": iso(day(1))}
    timed = _insert(calendar_api)
    picked = _instances(calendar_api, timed["id"], originalStart=z(thursday(2)))
    assert [r["id"] for r in picked] == [f"{timed['id']}_{compact(thursday(2))}"]


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
        "start": {"dateTime": z(thursday(1, "16:00"))},
        "end": {"dateTime": z(thursday(1, "16:30"))}}).execute()
    token = clean_sandbox.state.tokens.issue("google", dan)
    answer = upstream.get(f"{clean_sandbox.services['google']}/calendars/primary/events/"
                          f"{series['id']}/instances",
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    starts = [i["start"]["dateTime"] for i in answer.json()["items"]]
    assert starts[1] == z(thursday(1, "16:00"))
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
        "summary": "Not an instance", "start": {"dateTime": z(at(day(5), "10:00"))},
        "end": {"dateTime": z(at(day(5), "11:00"))}, "recurringEventId": series["id"],
        "originalStartTime": {"dateTime": z(thursday(1))}}).execute()
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
