"""Salesforce semantics of the sandbox org: validation, EventRelation rules, SOQL/SOSL,
the UI's invitation emails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from addin.sandbox import SandboxRuntime
from addin.sandbox.seed import CONTACTS, LEADS, OPPORTUNITIES, USERS
from tests.clock import at, day, salesforce, ymd, z
from tests.sandbox.conftest import AVA, BEN, GRACE

START_AT = at(day(3), "09:00")  # the Thursday of the test week, 09:00 UTC
START = z(START_AT)
OBRIEN = CONTACTS[0]["Id"]
NOAH = CONTACTS[1]["Id"]
SOPHIA = LEADS[0]["Id"]
GRACE_USER = next(u.id for u in USERS if u.email == GRACE)
ACCOUNT = "001000000000001AAA"


def _error(action: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as raised:
        action()
    return dict(raised.value.content[0])


def _event(sf: Salesforce, **fields: Any) -> str:
    body = {"Subject": "Org test", "StartDateTime": START, "DurationInMinutes": 60, **fields}
    return str(sf.Event.create(body)["id"])


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"EndDateTime": z(START_AT - timedelta(hours=1)), "DurationInMinutes": None},
     "FIELD_INTEGRITY_EXCEPTION", "EndDateTime"),
    ({"DurationInMinutes": 1441}, "FIELD_INTEGRITY_EXCEPTION", "DurationInMinutes"),
    ({"Subject": "x" * 256}, "STRING_TOO_LONG", "Subject"),
    ({"Location": "y" * 256}, "STRING_TOO_LONG", "Location"),
    ({"WhoId": ACCOUNT}, "FIELD_INTEGRITY_EXCEPTION", "WhoId"),
    ({"WhatId": OBRIEN}, "FIELD_INTEGRITY_EXCEPTION", "WhatId"),
    ({"WhoId": "not-an-id"}, "MALFORMED_ID", "WhoId"),
    ({"WhoId": "003000000000999AAA"}, "INVALID_CROSS_REFERENCE_KEY", "WhoId"),
    ({"ShowAs": "Maybe"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "ShowAs"),
    ({"IsGroupEvent": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", "IsGroupEvent"),
    ({"Colour": "red"}, "INVALID_FIELD", "Colour"),
    ({"StartDateTime": "tomorrow"}, "JSON_PARSER_ERROR", "StartDateTime"),
])
def test_event_validation(sf: Salesforce, fields: dict[str, Any], code: str, field: str
                          ) -> None:
    body = {"Subject": "Bad", "StartDateTime": START, "DurationInMinutes": 60, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    error = _error(lambda: sf.Event.create(body))
    assert error["errorCode"] == code
    assert error["fields"] == [field]


def test_missing_times_are_required(sf: Salesforce) -> None:
    error = _error(lambda: sf.Event.create({"Subject": "No time"}))
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_multi_day_events_are_a_setting(sf: Salesforce, clean_sandbox: SandboxRuntime) -> None:
    clean_sandbox.state.update_settings({"salesforce.multiDayEvents": True})
    try:
        event_id = _event(sf, DurationInMinutes=3 * 1440)
        assert sf.Event.get(event_id)["EndDate"] == ymd(START_AT + timedelta(days=3))
        error = _error(lambda: _event(sf, DurationInMinutes=15 * 1440))
        assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    finally:
        clean_sandbox.state.update_settings({"salesforce.multiDayEvents": False})


def test_all_day_events(sf: Salesforce) -> None:
    event_id = str(sf.Event.create({"Subject": "Offsite", "IsAllDayEvent": True,
                                    "ActivityDate": ymd(day(10))})["id"])
    record = sf.Event.get(event_id)
    assert record["DurationInMinutes"] == 1440
    assert record["StartDateTime"] == salesforce(at(day(10), "00:00"))
    assert record["EndDate"] == ymd(day(10))


def test_moving_the_start_keeps_the_duration(sf: Salesforce) -> None:
    event_id = _event(sf, DurationInMinutes=45)
    moved = at(day(3), "13:00")
    sf.Event.update(event_id, {"StartDateTime": z(moved)})
    record = sf.Event.get(event_id)
    assert record["EndDateTime"] == salesforce(moved + timedelta(minutes=45))


def test_invitees_related_people_and_child_events(sf: Salesforce,
                                                  salesforce_for: Callable[[str], Salesforce]
                                                  ) -> None:
    event_id = _event(sf, WhoId=NOAH, WhatId=ACCOUNT)
    rows = sf.query(f"SELECT RelationId, IsInvitee, IsParent, IsWhat FROM EventRelation "
                    f"WHERE EventId = '{event_id}'")["records"]
    flags = {r["RelationId"]: (r["IsInvitee"], r["IsParent"], r["IsWhat"]) for r in rows}
    assert flags == {NOAH: (False, True, False), ACCOUNT: (False, False, True)}
    assert sf.Event.get(event_id)["IsGroupEvent"] is False
    for relation in (OBRIEN, SOPHIA, GRACE_USER):
        sf.EventRelation.create({"EventId": event_id, "RelationId": relation})
    event = sf.Event.get(event_id)
    assert event["IsGroupEvent"] is True and event["GroupEventType"] == "1"
    invitee = sf.query(f"SELECT Id, Status, IsInvitee, IsParent FROM EventRelation WHERE "
                       f"EventId = '{event_id}' AND RelationId = '{OBRIEN}'")["records"][0]
    assert (invitee["IsInvitee"], invitee["IsParent"], invitee["Status"]) == (True, False, "New")
    grace = salesforce_for(GRACE)
    children = grace.query("SELECT Id, IsChild, OwnerId, Subject FROM Event WHERE "
                           f"IsChild = true AND OwnerId = '{GRACE_USER}' AND "
                           "Subject = 'Org test'")["records"]
    assert len(children) >= 1  # the invited User got a child event in her calendar
    duplicate = _error(lambda: sf.EventRelation.create({"EventId": event_id,
                                                        "RelationId": OBRIEN}))
    assert duplicate["errorCode"] == "DUPLICATE_VALUE"
    immutable = _error(lambda: sf.EventRelation.update(invitee["Id"], {"EventId": event_id}))
    assert immutable["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    sf.EventRelation.update(invitee["Id"], {"Status": "Accepted"})
    accepted = sf.EventRelation.get(invitee["Id"])
    assert accepted["Status"] == "Accepted" and accepted["RespondedDate"]
    organizer = next(u.id for u in USERS if u.email == AVA)
    self_invite = _error(lambda: sf.EventRelation.create({"EventId": event_id,
                                                          "RelationId": organizer}))
    assert self_invite["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_soql_features(sf: Salesforce) -> None:
    by_email = sf.query("SELECT Name FROM Contact WHERE Email = 'O\\'BRIEN@ACME.EXAMPLE'")
    assert [r["Name"] for r in by_email["records"]] == ["Olivia O'Brien"]
    combined = sf.query("SELECT Id, Name, Account.Name FROM Contact WHERE (LastName LIKE 'K%' "
                        "OR Email IN ('emma.brown@initech.example')) AND NOT Title = 'Analyst' "
                        "ORDER BY Name DESC LIMIT 5 OFFSET 0")
    assert [r["Name"] for r in combined["records"]] == ["Patricia Kim", "Emma Brown"]
    assert combined["records"][1]["Account"]["Name"] == "Initech"
    seeded = ", ".join(f"'{lead['Id']}'" for lead in LEADS)  # other tests add Leads
    counted = sf.query(f"SELECT COUNT() FROM Lead WHERE IsConverted = false AND Id IN ({seeded})")
    assert counted["totalSize"] == 3 and counted["records"] == []
    first_close = min(o["CloseDate"] for o in OPPORTUNITIES)  # the seed's own dates
    dated = sf.query(f"SELECT Id FROM Opportunity WHERE CloseDate > {first_close} "
                     "ORDER BY CloseDate")
    assert len(dated["records"]) == 2
    relative = sf.query("SELECT Id FROM Event WHERE CreatedDate = TODAY LIMIT 1")
    assert relative["done"] is True
    for bad in ("SELECT Nope FROM Contact", "SELECT Id FROM Widget",
                "SELECT Id FROM Contact WHERE Name = 'unterminated",
                "DELETE FROM Contact", "SELECT Id FROM Contact WHERE Name = 'a\\q'"):
        error = _error(lambda q=bad: sf.query(q))
        assert error["errorCode"] in {"MALFORMED_QUERY", "INVALID_FIELD", "INVALID_TYPE"}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_any_query_text_gets_a_salesforce_error_never_a_500(
        clean_sandbox: SandboxRuntime, upstream: requests.Session, text: str) -> None:
    token = clean_sandbox.state.tokens.issue("salesforce", AVA)
    response = upstream.get(f"{clean_sandbox.origins['salesforce']}/services/data/v62.0/query",
                            params={"q": "SELECT Id FROM Contact WHERE " + text},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert isinstance(response.json(), list)
        assert response.json()[0]["errorCode"]


def test_sosl_search(sf: Salesforce) -> None:
    found = sf.search("FIND {acme*} IN ALL FIELDS RETURNING Account(Id, Name), "
                      "Contact(Id, Name, Account.Name LIMIT 1)")["searchRecords"]
    kinds = [(r["attributes"]["type"], r.get("Name")) for r in found]
    assert ("Account", "Acme Corporation") in kinds
    assert sum(1 for kind, _ in kinds if kind == "Contact") == 1
    apostrophe = sf.search("FIND {o\\'brien} RETURNING Contact(Name)")["searchRecords"]
    assert [r["Name"] for r in apostrophe] == ["Olivia O'Brien"]
    error = _error(lambda: sf.search("FIND {o'brien} RETURNING Contact(Name)"))
    assert error["errorCode"] == "MALFORMED_SEARCH"


def _ui(sandbox: SandboxRuntime, upstream: requests.Session, event_id: str,
        add: list[str], remove: list[str] | None = None) -> dict[str, Any]:
    response = upstream.post(
        f"{sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/invitees",
        json={"add": add, "remove": remove or []})
    assert response.status_code == 200
    return dict(response.json())


def test_classic_ui_emails_each_added_and_removed_invitee(
        salesforce_for: Callable[[str], Salesforce], clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    ben = salesforce_for(BEN)
    event_id = str(ben.Event.create({"Subject": "Classic demo", "StartDateTime": START,
                                     "DurationInMinutes": 30})["id"])
    assert clean_sandbox.state.mail.messages() == []  # the REST API never emails
    result = _ui(clean_sandbox, upstream, event_id,
                 ["O'Brien@acme.example", "sophia.lee@umbrella.example", "nobody@x.example"])
    assert result["experience"] == "classic"
    assert result["unmatched"] == ["nobody@x.example"]
    mail = [(m["sender"], m["to"].lower(), m["kind"]) for m in clean_sandbox.state.mail.messages()]
    assert mail == [("salesforce", "o'brien@acme.example", "invitation"),
                    ("salesforce", "sophia.lee@umbrella.example", "invitation")]
    clean_sandbox.state.mail.clear()
    _ui(clean_sandbox, upstream, event_id, [], ["sophia.lee@umbrella.example"])
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("sophia.lee@umbrella.example", "cancellation")]


def test_lightning_ui_emails_nobody(sf: Salesforce, clean_sandbox: SandboxRuntime,
                                    upstream: requests.Session) -> None:
    event_id = _event(sf, Subject="Lightning demo")
    result = _ui(clean_sandbox, upstream, event_id, ["noah.smith@acme.example", GRACE])
    assert result["experience"] == "lightning"
    assert {(r["type"], r["email"]) for r in result["added"]} == {
        ("Contact", "noah.smith@acme.example"), ("User", GRACE)}  # User before Contact
    assert clean_sandbox.state.mail.messages() == []


@pytest.mark.parametrize("notifies", [True, False])
def test_classic_ui_delete_cancels_for_every_invitee_per_the_setting(
        salesforce_for: Callable[[str], Salesforce], clean_sandbox: SandboxRuntime,
        upstream: requests.Session, notifies: bool) -> None:
    clean_sandbox.state.update_settings({"salesforce.classicDeleteNotifiesInvitees": notifies})
    ben = salesforce_for(BEN)
    event_id = str(ben.Event.create({"Subject": "Classic delete", "StartDateTime": START,
                                     "DurationInMinutes": 30})["id"])
    _ui(clean_sandbox, upstream, event_id, ["o'brien@acme.example", GRACE])
    clean_sandbox.state.mail.clear()
    response = upstream.post(
        f"{clean_sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/delete")
    assert response.status_code == 200
    expected = sorted(["o'brien@acme.example", GRACE]) if notifies else []
    assert sorted(m["to"].lower() for m in clean_sandbox.state.mail.messages()) == expected
    assert all(m["kind"] == "cancellation" for m in clean_sandbox.state.mail.messages())
    assert ben.query(f"SELECT Id FROM Event WHERE Id = '{event_id}'")["totalSize"] == 0
    deleted = ben.query_all(f"SELECT Id FROM EventRelation WHERE EventId = '{event_id}'")
    assert deleted["totalSize"] == 0  # its invitees went with it
    missing = upstream.post(
        f"{clean_sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/delete")
    assert missing.status_code == 404
    assert missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_injected_faults_use_salesforce_error_bodies(clean_sandbox: SandboxRuntime,
                                                     upstream: requests.Session) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 503, "times": 1})
    token = clean_sandbox.state.tokens.issue("salesforce", AVA)
    response = upstream.get(f"{clean_sandbox.origins['salesforce']}/services/data/v62.0/limits",
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
