"""Lightning event series in the sandbox org (addin/sandbox/salesforce/series.py), driven
with simple-salesforce: one Event per occurrence, exceptions, pattern changes, deletes,
limits, invitees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
import requests
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from addin.sandbox import SandboxRuntime
from addin.sandbox.salesforce.series import expand
from addin.sandbox.seed import CONTACTS
from tests.clock import at, compact, day, dst_change, salesforce, ymd, z
from tests.sandbox.conftest import BEN, GRACE

FIELDS = ("Id, Subject, StartDateTime, EndDateTime, IsRecurrence2, Recurrence2PatternText, "
          "Recurrence2PatternStartDate, Recurrence2PatternTimeZone, "
          "Recurrence2PatternVersion, IsRecurrence2Exception, IsRecurrence2Exclusion")
LONDON = "Europe/London"  # the pattern's zone in _series


def london(offset: int, hhmm: str = "09:00") -> datetime:
    """Day ``offset`` of the test week (3: its Thursday) at ``hhmm`` in London, the wall time
    a series from ``START`` keeps."""
    return at(day(offset), hhmm, LONDON)


START = london(3)  # the Thursday of the test week, 09:00 in London


def _series(sf: Salesforce, rule: str, subject: str, start: str = z(START),
            **fields: Any) -> str:
    body = {"Subject": subject, "StartDateTime": start, "DurationInMinutes": 30,
            "IsRecurrence2": True, "Recurrence2PatternText": rule,
            "Recurrence2PatternTimeZone": LONDON, **fields}
    return str(sf.Event.create(body)["id"])


def _occurrences(sf: Salesforce, subject: str) -> list[dict[str, Any]]:
    rows = sf.query_all(f"SELECT {FIELDS} FROM Event WHERE Subject = '{subject}' "
                        "AND IsChild = false ORDER BY StartDateTime")["records"]
    return list(rows)


def _error(action: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        action()
    return dict(raised.value.content[0])


def test_a_weekly_series_with_count_is_one_event_per_occurrence(sf: Salesforce) -> None:
    first = _series(sf, "FREQ=WEEKLY;BYDAY=TH;COUNT=4", "Series count")
    rows = _occurrences(sf, "Series count")
    starts = [london(d) for d in (3, 10, 17, 24)]
    assert [r["StartDateTime"][:16] for r in rows] == [z(s)[:16] for s in starts]
    assert rows[0]["Id"] == first
    assert {r["Recurrence2PatternText"] for r in rows} == {"RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4"}
    assert {r["Recurrence2PatternStartDate"] for r in rows} == {salesforce(START)}
    assert all(r["IsRecurrence2"] and r["Recurrence2PatternVersion"] == "1"
               and not r["IsRecurrence2Exception"] and not r["IsRecurrence2Exclusion"]
               for r in rows)
    assert {r["EndDateTime"][11:16] for r in rows} == {
        z(s + timedelta(minutes=30))[11:16] for s in starts}


def test_until_and_the_patterns_time_zone_across_a_dst_change(sf: Salesforce) -> None:
    """09:00 in New York stays 09:00 local when the clocks fall back (the next change, from
    the zone database): Tuesdays from the one before the change."""
    changed = dst_change("America/New_York", forward=False)
    first = changed - timedelta(days=(changed.weekday() - 1) % 7 or 7)  # the Tuesday before
    nine = [at(first + timedelta(weeks=n), "09:00", "America/New_York") for n in range(3)]
    assert nine[0].utcoffset() != nine[1].utcoffset()  # 13:00 UTC, then 14:00
    _series(sf, f"RRULE:FREQ=WEEKLY;UNTIL={compact(nine[2].date())}T235959Z", "Series until",
            start=z(nine[0]), Recurrence2PatternTimeZone="America/New_York")
    starts = [r["StartDateTime"][:16] for r in _occurrences(sf, "Series until")]
    assert starts == [z(n)[:16] for n in nine]


def test_a_date_until_ends_with_that_day(sf: Salesforce) -> None:
    _series(sf, f"FREQ=DAILY;UNTIL={compact(day(5))}", "Series date until")
    assert len(_occurrences(sf, "Series date until")) == 3


@pytest.mark.parametrize(("fields", "field"), [
    ({"Recurrence2PatternText": "FREQ=HOURLY;COUNT=3"}, "Recurrence2PatternText"),
    ({"Recurrence2PatternText": f"FREQ=WEEKLY;COUNT=2;UNTIL={compact(day(28))}"},
     "Recurrence2PatternText"),
    ({"Recurrence2PatternText": "FREQ=WEEKLY;BYDAY=XX"}, "Recurrence2PatternText"),
    ({"Recurrence2PatternTimeZone": "Mars/Olympus"}, "Recurrence2PatternTimeZone"),
])
def test_bad_patterns_are_refused(sf: Salesforce, fields: dict[str, Any], field: str) -> None:
    body = {"Subject": "Bad series", "StartDateTime": z(START),
            "DurationInMinutes": 30, "IsRecurrence2": True,
            "Recurrence2PatternText": "FREQ=WEEKLY;COUNT=2", **fields}
    error = _error(lambda: sf.Event.create(body))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert error["fields"] == [field]
    assert _occurrences(sf, "Bad series") == []


def test_a_pattern_needs_an_event_series(sf: Salesforce) -> None:
    error = _error(lambda: sf.Event.create({
        "Subject": "Not a series", "StartDateTime": z(START),
        "DurationInMinutes": 30, "Recurrence2PatternText": "FREQ=DAILY;COUNT=2"}))
    assert error["fields"] == ["Recurrence2PatternText"]
    missing = _error(lambda: sf.Event.create({
        "Subject": "No rule", "StartDateTime": z(START),
        "DurationInMinutes": 30, "IsRecurrence2": True}))
    assert missing["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_open_ended_series_stop_at_the_frequency_limit(sf: Salesforce,
                                                       clean_sandbox: SandboxRuntime) -> None:
    _series(sf, "FREQ=WEEKLY", "Series open")
    assert len(_occurrences(sf, "Series open")) == 53
    clean_sandbox.state.update_settings({"salesforce.seriesBeyondLimit": "reject"})
    error = _error(lambda: _series(sf, "FREQ=DAILY;COUNT=101", "Series rejected"))
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert _occurrences(sf, "Series rejected") == []


def test_editing_one_occurrence_makes_an_exception(sf: Salesforce) -> None:
    _series(sf, "FREQ=WEEKLY;COUNT=3", "Series edit")
    second = _occurrences(sf, "Series edit")[1]
    moved = at(day(10), "15:00")  # later the same day, UTC
    sf.Event.update(second["Id"], {"StartDateTime": z(moved), "Location": "Room 2"})
    rows = sf.query("SELECT Id, StartDateTime, IsRecurrence2Exception FROM Event WHERE "
                    "Subject = 'Series edit' ORDER BY StartDateTime")["records"]
    assert [(r["StartDateTime"][:16], r["IsRecurrence2Exception"]) for r in rows] == [
        (z(START)[:16], False), (z(moved)[:16], True), (z(london(17))[:16], False)]
    assert sf.Event.get(second["Id"])["DurationInMinutes"] == 30


def test_an_unchanged_write_is_no_exception(sf: Salesforce) -> None:
    _series(sf, "FREQ=WEEKLY;COUNT=2", "Series same")
    first = _occurrences(sf, "Series same")[0]
    sf.Event.update(first["Id"], {"Subject": "Series same",
                                  "Recurrence2PatternText": "FREQ=WEEKLY;COUNT=2"})
    assert not sf.Event.get(first["Id"])["IsRecurrence2Exception"]


def test_a_new_pattern_on_the_first_occurrence_recreates_the_series(sf: Salesforce) -> None:
    first = _series(sf, "FREQ=WEEKLY;COUNT=3", "Series repattern")
    old_ids = {r["Id"] for r in _occurrences(sf, "Series repattern")}
    sf.Event.update(first, {"Recurrence2PatternText": "FREQ=DAILY;COUNT=2"})
    rows = _occurrences(sf, "Series repattern")
    assert [r["StartDateTime"][:10] for r in rows] == [z(london(3))[:10], z(london(4))[:10]]
    assert not old_ids & {r["Id"] for r in rows}
    now = datetime.now(UTC)
    deleted = sf.Event.deleted(now - timedelta(minutes=5), now + timedelta(minutes=5))
    assert {r["id"] for r in deleted["deletedRecords"]} >= old_ids


def test_a_new_pattern_from_a_later_occurrence_splits_the_series(sf: Salesforce) -> None:
    _series(sf, "FREQ=WEEKLY;COUNT=4", "Series split")
    third = _occurrences(sf, "Series split")[2]
    sf.Event.update(third["Id"], {"Recurrence2PatternText": "FREQ=DAILY;COUNT=2",
                                  "Subject": "Series split"})
    rows = _occurrences(sf, "Series split")
    assert [r["StartDateTime"][:10] for r in rows] == [
        z(london(d))[:10] for d in (3, 10, 17, 18)]
    assert rows[0]["Recurrence2PatternText"] == \
        f"RRULE:FREQ=WEEKLY;UNTIL={compact(london(17) - timedelta(seconds=1))}"
    assert rows[2]["Recurrence2PatternStartDate"] == salesforce(london(17))


def test_deleting_one_occurrence_and_from_one_onwards(sf: Salesforce) -> None:
    _series(sf, "FREQ=DAILY;COUNT=5", "Series delete")
    rows = _occurrences(sf, "Series delete")
    sf.Event.delete(rows[1]["Id"])
    assert len(_occurrences(sf, "Series delete")) == 4
    answer = sf.restful(f"sobjects/Event/{rows[3]['Id']}/fromThisEventOnwards",
                        method="DELETE")
    assert "deleting" in answer["success"]
    left = _occurrences(sf, "Series delete")
    assert [r["Id"] for r in left] == [rows[0]["Id"], rows[2]["Id"]]
    sf.restful(f"sobjects/Event/{rows[0]['Id']}/fromThisEventOnwards", method="DELETE")
    assert _occurrences(sf, "Series delete") == []


def test_delete_onwards_needs_a_series(sf: Salesforce) -> None:
    single = str(sf.Event.create({"Subject": "Single", "StartDateTime": z(START),
                                  "DurationInMinutes": 30})["id"])
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(f"sobjects/Event/{single}/fromThisEventOnwards", method="DELETE")
    assert sf.Event.get(single)["Id"] == single


def test_invitees_belong_to_each_occurrence_and_stop_at_100(sf: Salesforce) -> None:
    _series(sf, "FREQ=WEEKLY;COUNT=2", "Series invitees")
    first, second = _occurrences(sf, "Series invitees")
    sf.EventRelation.create({"EventId": first["Id"], "RelationId": CONTACTS[0]["Id"]})
    assert sf.Event.get(first["Id"])["IsGroupEvent"]
    assert not sf.Event.get(second["Id"])["IsGroupEvent"]
    grace = sf.query(f"SELECT Id FROM User WHERE Email = '{GRACE}'")["records"][0]["Id"]
    sf.EventRelation.create({"EventId": second["Id"], "RelationId": grace})
    children = sf.query(f"SELECT Id, StartDateTime FROM Event WHERE IsChild = true AND "
                        f"OwnerId = '{grace}' AND Subject = 'Series invitees'")["records"]
    assert [c["StartDateTime"][:10] for c in children] == [z(london(10))[:10]]


def test_the_series_invitee_limit(sf: Salesforce) -> None:
    _series(sf, "FREQ=WEEKLY;COUNT=2", "Series crowd")
    first = _occurrences(sf, "Series crowd")[0]
    people = [str(sf.Contact.create({"LastName": f"Guest{n}",
                                     "Email": f"guest{n}@crowd.example"})["id"])
              for n in range(101)]
    result = sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "EventRelation"}, "EventId": first["Id"], "RelationId": p}
        for p in people]})
    assert [r["success"] for r in result].count(True) == 100
    assert result[-1]["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_describe_and_soql_show_the_series_fields(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Event.describe()["fields"]}
    assert fields["Recurrence2PatternText"]["type"] == "textarea"
    assert fields["Recurrence2PatternText"]["length"] == 512
    assert fields["Recurrence2PatternStartDate"]["type"] == "datetime"
    assert fields["IsRecurrence2"]["createable"]
    assert not fields["IsRecurrence2Exception"]["createable"]
    error = _error(lambda: sf.Event.create({
        "Subject": "x", "StartDateTime": z(START), "DurationInMinutes": 30,
        "IsRecurrence2Exception": True}))
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


# -- what people do in the Salesforce UI ---------------------------------------------------

def _ui(sandbox: SandboxRuntime, http: requests.Session, event_id: str, action: str,
        body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"{sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/"
                         f"{action}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _relations(sf: Salesforce, subject: str) -> list[tuple[str, str]]:
    rows = sf.query_all("SELECT EventId, RelationId, Event.StartDateTime FROM EventRelation "
                        f"WHERE Event.Subject = '{subject}' AND IsInvitee = true")["records"]
    return sorted((r["Event"]["StartDateTime"][:10], r["RelationId"]) for r in rows)


def test_classic_invites_the_series_once(salesforce_for: Callable[[str], Salesforce],
                                         clean_sandbox: SandboxRuntime,
                                         upstream: requests.Session) -> None:
    ben = salesforce_for(BEN)
    first = _series(ben, "FREQ=WEEKLY;COUNT=3", "Series classic")
    answer = _ui(clean_sandbox, upstream, first, "invitees",
                 {"add": [CONTACTS[0]["Email"]], "scope": "series"})
    assert answer["experience"] == "classic" and len(answer["events"]) == 3
    mail = clean_sandbox.state.mail.messages()
    assert [(m["kind"], m["to"], m["series"], m["occurrences"]) for m in mail] == [
        ("invitation", CONTACTS[0]["Email"], True, 3)]
    assert [when for when, _who in _relations(ben, "Series classic")] == [
        z(london(d))[:10] for d in (3, 10, 17)]


def test_classic_invites_to_one_occurrence(salesforce_for: Callable[[str], Salesforce],
                                           clean_sandbox: SandboxRuntime,
                                           upstream: requests.Session) -> None:
    ben = salesforce_for(BEN)
    _series(ben, "FREQ=WEEKLY;COUNT=3", "Series one")
    second = _occurrences(ben, "Series one")[1]["Id"]
    _ui(clean_sandbox, upstream, second, "invitees",
        {"add": [CONTACTS[1]["Email"]], "scope": "occurrence"})
    mail = clean_sandbox.state.mail.messages()
    assert [(m["to"], m["series"], m["eventId"]) for m in mail] == [
        (CONTACTS[1]["Email"], False, second)]
    assert [when for when, _who in _relations(ben, "Series one")] == [z(london(10))[:10]]


def test_classic_cancels_a_deleted_series_once(salesforce_for: Callable[[str], Salesforce],
                                               clean_sandbox: SandboxRuntime,
                                               upstream: requests.Session) -> None:
    ben = salesforce_for(BEN)
    first = _series(ben, "FREQ=DAILY;COUNT=4", "Series gone")
    _ui(clean_sandbox, upstream, first, "invitees", {"add": [CONTACTS[0]["Email"]]})
    clean_sandbox.state.mail.clear()
    third = _occurrences(ben, "Series gone")[2]["Id"]
    answer = _ui(clean_sandbox, upstream, third, "delete", {"scope": "series"})
    assert len(answer["deletedEvents"]) == 4
    assert [(m["kind"], m["to"]) for m in clean_sandbox.state.mail.messages()] == [
        ("cancellation", CONTACTS[0]["Email"])]
    assert _occurrences(ben, "Series gone") == []


def test_ui_edits_of_the_series_and_of_one_occurrence(
        sf: Salesforce, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    first = _series(sf, "FREQ=WEEKLY;COUNT=3", "Series ui edit")
    second = _occurrences(sf, "Series ui edit")[1]["Id"]
    _ui(clean_sandbox, upstream, second, "edit", {"fields": {"Location": "Room 9"}})
    _ui(clean_sandbox, upstream, first, "edit",
        {"fields": {"Subject": "Series ui edited", "Location": "Room 1"}, "scope": "series"})
    rows = sf.query("SELECT Location, IsRecurrence2Exception FROM Event WHERE "
                    "Subject = 'Series ui edited' ORDER BY StartDateTime")["records"]
    assert [(r["Location"], r["IsRecurrence2Exception"]) for r in rows] == [
        ("Room 1", False), ("Room 1", True), ("Room 1", False)]
    assert clean_sandbox.state.mail.messages() == []


def _exists(day: date, wall: time, zone: ZoneInfo) -> bool:
    local = datetime.combine(day, wall, tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == \
        local.replace(tzinfo=None)


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(sorted(available_timezones())),
       day=st.dates(min_value=date(2031, 1, 1),  # fixed date: pure expansion, explicit start
                    max_value=date(2032, 12, 31)),  # fixed date: pure expansion, explicit start
       wall=st.times())
def test_weekly_occurrences_keep_their_wall_clock_time_in_any_zone(zone: str, day: date,
                                                                    wall: time) -> None:
    where = ZoneInfo(zone)
    wall = wall.replace(second=0, microsecond=0)
    assume(_exists(day, wall, where))
    first = datetime.combine(day, wall, tzinfo=where).astimezone(UTC)
    starts, more = expand("RRULE:FREQ=WEEKLY;COUNT=30", first, where, False, 53)
    assert not more and len(starts) == 30
    for n, start in enumerate(starts):
        expected_day = day + timedelta(weeks=n)
        local = start.astimezone(where)
        if _exists(expected_day, wall, where):
            assert local.date() == expected_day
            assert local.time() == wall
        else:  # skipped by the clocks: read with the offset before the gap (RFC 5545 3.3.5),
            # so later by the gap, the next day when it starts at 23:00 (America/Nuuk)
            assert local == datetime.combine(expected_day, wall.replace(fold=0),
                                             tzinfo=where).astimezone(UTC).astimezone(where)


def test_a_rolled_back_composite_leaves_no_series(sf: Salesforce) -> None:
    answer = sf.restful("composite", method="POST", json={"allOrNone": True,
                                                           "compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Event", "referenceId": "s",
         "body": {"Subject": "Series rolled back", "StartDateTime": z(START),
                  "DurationInMinutes": 30, "IsRecurrence2": True,
                  "Recurrence2PatternText": "FREQ=DAILY;COUNT=3"}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/EventRelation",
         "referenceId": "r", "body": {"EventId": "@{s.id}", "RelationId": "bad"}}]})
    assert [r["httpStatusCode"] for r in answer["compositeResponse"]] == [400, 400]
    assert _occurrences(sf, "Series rolled back") == []


@pytest.mark.parametrize("whole", [False, True])
def test_deleting_the_first_occurrence_is_a_setting(sf: Salesforce, clean_sandbox: SandboxRuntime,
                                                    whole: bool) -> None:
    clean_sandbox.state.update_settings({"salesforce.deleteFirstOccurrenceDeletesSeries":
                                         whole})
    subject = f"Series first {whole}"
    first = _series(sf, "FREQ=DAILY;COUNT=3", subject)
    sf.Event.delete(first)
    assert len(_occurrences(sf, subject)) == (0 if whole else 2)


def test_the_pattern_text_is_a_long_text_area_soql_cannot_filter(sf: Salesforce) -> None:
    """How to read one series: by its owner and pattern start date (filterable), never by
    the pattern text (a long text area)."""
    first = _series(sf, "FREQ=WEEKLY;COUNT=2", "Series read", start=z(at(day(3), "11:17")))
    error = _error(lambda: sf.query("SELECT Id FROM Event WHERE Recurrence2PatternText = "
                                    "'RRULE:FREQ=WEEKLY;COUNT=2'"))
    assert error["errorCode"] == "INVALID_FIELD"
    assert not {f["name"]: f for f in sf.Event.describe()["fields"]}[
        "Recurrence2PatternText"]["filterable"]
    start = sf.Event.get(first)["Recurrence2PatternStartDate"]
    owner = sf.Event.get(first)["OwnerId"]
    rows = sf.query(f"SELECT Id, Recurrence2PatternText FROM Event WHERE IsChild = false "
                    f"AND IsRecurrence2 = true AND OwnerId = '{owner}' AND "
                    f"Recurrence2PatternStartDate = {start[:19]}Z ORDER BY StartDateTime"
                    )["records"]
    mine = [r["Id"] for r in rows
            if r["Recurrence2PatternText"] == "RRULE:FREQ=WEEKLY;COUNT=2"]
    assert mine == [r["Id"] for r in _occurrences(sf, "Series read")]


def test_a_new_pattern_keeps_the_invitees(sf: Salesforce) -> None:
    first = _series(sf, "FREQ=WEEKLY;COUNT=2", "Series keep invitees",
                    start=z(at(day(4), "08:00")), WhoId=CONTACTS[0]["Id"])
    sf.EventRelation.create({"EventId": first, "RelationId": CONTACTS[1]["Id"]})
    own = sf.query(f"SELECT Id FROM EventRelation WHERE EventId = '{first}' AND "
                   f"RelationId = '{CONTACTS[0]['Id']}'")["records"][0]["Id"]
    sf.EventRelation.update(own, {"IsInvitee": True})
    sf.Event.update(first, {"Recurrence2PatternText": "FREQ=DAILY;COUNT=3"})
    rows = sf.query_all("SELECT Event.StartDateTime, RelationId, IsInvitee, IsParent FROM "
                        "EventRelation WHERE Event.Subject = 'Series keep invitees'")["records"]
    invited = sorted((r["Event"]["StartDateTime"][:10], r["RelationId"]) for r in rows
                     if r["IsInvitee"])
    assert invited == sorted((ymd(day(d)), who) for d in (4, 5, 6)  # 08:00 UTC: same day
                             for who in (CONTACTS[0]["Id"], CONTACTS[1]["Id"]))
    assert all(r["IsParent"] for r in rows if r["RelationId"] == CONTACTS[0]["Id"])
