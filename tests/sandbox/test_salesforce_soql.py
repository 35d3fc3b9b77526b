"""SOQL typed as Salesforce types it, driven with simple-salesforce: mistyped literals are
400s with Salesforce's error codes (never a 500, never a silent non-match), date literals
follow the user's time zone, 15-character ids match, COUNT answers the real shapes,
sub-selects and semi-joins work, and the REST writes refuse what Salesforce refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from addin.sandbox.seed import CONTACTS
from tests.clock import at, day, iso, ymd, z
from tests.sandbox.conftest import AVA

CONTACT = CONTACTS[0]["Id"]
START_AT = at(day(1), "10:00")  # the Tuesday of the test week, 10:00 UTC
START = z(START_AT)
MIDNIGHT = at(day(0), "00:00")  # any instant: these literals are refused for their type


def _event(sf: Salesforce, subject: str, start: str = START, **fields: object) -> str:
    body = {"Subject": subject, "StartDateTime": start, "DurationInMinutes": 30, **fields}
    return str(sf.Event.create(body)["id"])


def _error(sf: Salesforce, soql: str) -> tuple[str, str]:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query(soql)
    assert raised.value.status == 400
    return raised.value.content[0]["errorCode"], raised.value.content[0]["message"]


@pytest.mark.parametrize(("where", "code", "words"), [
    ("Subject = 30", "INVALID_QUERY_FILTER_OPERATOR", "must be of type string"),
    (f"StartDateTime > '{z(MIDNIGHT)}'", "INVALID_QUERY_FILTER_OPERATOR",
     "must be of type dateTime and should not be enclosed in quotes"),
    (f"StartDateTime > {ymd(MIDNIGHT)}", "INVALID_QUERY_FILTER_OPERATOR", "type dateTime"),
    (f"ActivityDate = {z(MIDNIGHT)}", "INVALID_QUERY_FILTER_OPERATOR", "type date "),
    ("DurationInMinutes = '30'", "INVALID_QUERY_FILTER_OPERATOR", "type integer"),
    ("IsAllDayEvent = 'true'", "INVALID_QUERY_FILTER_OPERATOR", "type boolean"),
    ("IsAllDayEvent > false", "INVALID_QUERY_FILTER_OPERATOR", "invalid operator"),
    ("Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
    ("WhoId IN ('003000000000001AAA', 'nope')", "INVALID_QUERY_FILTER_OPERATOR",
     "invalid ID field: nope"),
    ("DurationInMinutes LIKE '3%'", "INVALID_QUERY_FILTER_OPERATOR", "LIKE"),
    ("Subject = 'x' GROUP BY Subject", "MALFORMED_QUERY", ""),
    ("Nope__c = 'x'", "INVALID_FIELD", "No such column"),
])
def test_mistyped_literals_are_400s(sf: Salesforce, where: str, code: str, words: str
                                    ) -> None:
    error_code, message = _error(sf, f"SELECT Id FROM Event WHERE {where}")
    assert error_code == code and words in message


def test_typed_literals_match(sf: Salesforce) -> None:
    event_id = _event(sf, "Typed literals", IsPrivate=True)
    # an hour after the start, written with a +01:00 offset: 11:00Z is 12:00+01:00
    before = (START_AT + timedelta(hours=1)).astimezone(timezone(timedelta(hours=1)))
    soql = (f"SELECT Id FROM Event WHERE Id = '{{}}' AND StartDateTime = {START} "
            f"AND ActivityDate = {ymd(START_AT)} AND DurationInMinutes = 30 AND IsPrivate = "
            f"true AND Subject = 'typed LITERALS' AND EndDateTime < {iso(before)}")
    assert [r["Id"] for r in sf.query(soql.format(event_id))["records"]] == [event_id]
    assert sf.query(soql.format(event_id[:15]))["totalSize"] == 1  # a 15-character id
    assert sf.query(f"SELECT Id FROM Event WHERE Id IN ('{event_id[:15]}')")["totalSize"] == 1
    assert sf.query(f"SELECT Id FROM Event WHERE Id = '{event_id[:15].lower()}'"
                    )["totalSize"] == 0  # 15-character ids are case-sensitive


def test_date_literals_follow_the_users_time_zone(sf: Salesforce) -> None:
    """Ava in Auckland (UTC+13 in December): 00:30 there today is yesterday in UTC, and
    TODAY finds it; NEXT_N_DAYS:1 starts tomorrow; LAST_N_DAYS includes today."""
    zone = ZoneInfo("Pacific/Auckland")
    ava = sf.query(f"SELECT Id, TimeZoneSidKey FROM User WHERE Email = '{AVA}'")["records"][0]
    sf.User.update(ava["Id"], {"TimeZoneSidKey": "Pacific/Auckland"})
    try:
        today = datetime.now(zone).date()
        early = datetime.combine(today, datetime.min.time(), tzinfo=zone) + timedelta(minutes=30)
        tag = f"Zone {datetime.now(UTC).timestamp()}"
        today_id = _event(sf, tag, early.astimezone(UTC).isoformat())
        tomorrow_id = _event(sf, tag, (early + timedelta(days=1)).astimezone(UTC).isoformat())
        week_ago_id = _event(sf, tag, (early - timedelta(days=7)).astimezone(UTC).isoformat())

        def ids(literal: str, field: str = "StartDateTime", op: str = "=") -> set[str]:
            rows = sf.query(f"SELECT Id FROM Event WHERE Subject = '{tag}' AND {field} {op} "
                            f"{literal}")["records"]
            return {r["Id"] for r in rows}

        assert ids("TODAY") == {today_id}
        assert ids("TOMORROW") == ids("NEXT_N_DAYS:1") == {tomorrow_id}
        assert ids("NEXT_N_DAYS:3") == {tomorrow_id}
        assert ids("LAST_N_DAYS:7") == {today_id, week_ago_id}
        assert ids("LAST_N_DAYS:6") == {today_id}
        assert ids("TODAY", op=">") == {tomorrow_id}
        assert ids("TODAY", op="<") == {week_ago_id}
        assert today_id in ids("THIS_WEEK") | ids("NEXT_WEEK")
    finally:
        sf.User.update(ava["Id"], {"TimeZoneSidKey": ava["TimeZoneSidKey"]})


def test_count_shapes(sf: Salesforce) -> None:
    tag = f"Counted {datetime.now(UTC).timestamp()}"
    for _ in range(3):
        _event(sf, tag)
    plain = sf.query(f"SELECT COUNT() FROM Event WHERE Subject = '{tag}'")
    assert plain == {"totalSize": 3, "done": True, "records": []}
    by_field = sf.query(f"SELECT COUNT(Id) FROM Event WHERE Subject = '{tag}'")
    assert by_field["totalSize"] == 1
    assert by_field["records"] == [{"attributes": {"type": "AggregateResult"}, "expr0": 3}]


def test_child_subquery_and_semi_join(sf: Salesforce) -> None:
    """What a sync reads: Events with their EventRelations, and Events someone is on."""
    lone = _event(sf, "No invitees")
    met = _event(sf, "With an invitee")
    sf.EventRelation.create({"EventId": met, "RelationId": CONTACT, "IsInvitee": True})
    rows = sf.query(f"SELECT Id, (SELECT RelationId, Status FROM EventRelations WHERE "
                    f"IsInvitee = true) FROM Event WHERE Id IN ('{lone}', '{met}') "
                    "ORDER BY Subject")["records"]
    assert [r["Id"] for r in rows] == [lone, met]
    assert rows[0]["EventRelations"] is None
    children = rows[1]["EventRelations"]
    assert children["totalSize"] == 1 and children["done"] is True
    assert children["records"][0]["RelationId"] == CONTACT
    assert children["records"][0]["Status"] == "New"
    assert children["records"][0]["attributes"]["type"] == "EventRelation"
    joined = sf.query(f"SELECT Id FROM Event WHERE Id IN (SELECT EventId FROM EventRelation "
                      f"WHERE RelationId = '{CONTACT}' AND IsInvitee = true) AND Id IN "
                      f"('{lone}', '{met}')")["records"]
    assert [r["Id"] for r in joined] == [met]
    anti = sf.query(f"SELECT Id FROM Event WHERE Id NOT IN (SELECT EventId FROM "
                    f"EventRelation WHERE RelationId = '{CONTACT}') AND Id IN "
                    f"('{lone}', '{met}')")["records"]
    assert [r["Id"] for r in anti] == [lone]
    code, _ = _error(sf, "SELECT Id, (SELECT Id FROM Nothings) FROM Event")
    assert code == "INVALID_TYPE"
    code, _ = _error(sf, "SELECT Id FROM Event WHERE Subject IN (SELECT EventId FROM "
                         "EventRelation)")
    assert code == "INVALID_QUERY_FILTER_OPERATOR"


def test_offset_over_2000_errors(sf: Salesforce) -> None:
    assert sf.query("SELECT Id FROM User LIMIT 1 OFFSET 2000")["done"] is True
    code, message = _error(sf, "SELECT Id FROM User LIMIT 1 OFFSET 2001")
    assert code == "NUMBER_OUTSIDE_VALID_RANGE" and "2000" in message


def test_a_deleted_record_cannot_be_changed(sf: Salesforce) -> None:
    event_id = _event(sf, "Deleted then touched")
    sf.Event.delete(event_id)
    for action in (lambda: sf.Event.update(event_id, {"Location": "x"}),
                   lambda: sf.Event.delete(event_id)):
        with pytest.raises(SalesforceResourceNotFound) as raised:
            action()
        assert raised.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as read:
        sf.Event.get(event_id)
    assert read.value.content[0]["errorCode"] == "NOT_FOUND"


def test_end_and_duration_must_agree(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Event.create({"Subject": "Both", "StartDateTime": START, "DurationInMinutes": 30,
                         "EndDateTime": z(START_AT + timedelta(hours=1))})
    assert raised.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    agreed = sf.Event.create({"Subject": "Both", "StartDateTime": START,
                              "DurationInMinutes": 60,
                              "EndDateTime": z(START_AT + timedelta(hours=1))})
    assert agreed["success"] is True


def test_sosl_without_returning(sf: Salesforce) -> None:
    name = CONTACTS[1]["LastName"]
    found = sf.search(f"FIND {{{name}}}")["searchRecords"]
    smith = f"/services/data/v62.0/sobjects/Contact/{CONTACTS[1]['Id']}"
    assert {"type": "Contact", "url": smith} in [row["attributes"] for row in found]
    assert all(set(row) == {"attributes", "Id"} for row in found)

