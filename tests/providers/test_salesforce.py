"""The product's Salesforce adapter against the sandbox org, counting API requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from addin.providers.salesforce.client import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceLimitExceeded,
    SalesforceNotFound,
    SalesforceUnavailable,
    SalesforceValidationError,
    escape_sosl,
)
from addin.sandbox import SandboxRuntime
from addin.sandbox.seed import CONTACTS, LEADS, USERS
from tests.clock import at, day, z
from tests.providers.conftest import AVA, BEN

START_AT = at(day(4), "15:00")  # the Friday of the test week
START = z(START_AT)
Build = Callable[..., SalesforceClient]


def _requests(sandbox: SandboxRuntime) -> int:
    return int(sandbox.state.stats.snapshot().get("salesforce", {}).get("requests", 0))


def _new_event(client: SalesforceClient, subject: str = "Adapter test") -> dict[str, object]:
    return client.create_event({"Subject": subject, "StartDateTime": START,
                                "EndDateTime": z(START_AT + timedelta(minutes=30))})


def test_create_and_read_back_is_one_request(salesforce_client: Build,
                                             clean_sandbox: SandboxRuntime) -> None:
    client = salesforce_client()
    event = _new_event(client)
    assert _requests(clean_sandbox) == 1
    assert event["Subject"] == "Adapter test"
    assert event["DurationInMinutes"] == 30
    assert event["OwnerId"] == USERS[0].id
    assert client.get_event(str(event["Id"]))["Id"] == event["Id"]


def test_validation_errors_name_the_field(salesforce_client: Build) -> None:
    client = salesforce_client()
    with pytest.raises(SalesforceValidationError) as raised:
        client.create_event({"Subject": "Too long", "StartDateTime": START,
                             "DurationInMinutes": 2000})
    assert raised.value.error_code == "FIELD_INTEGRITY_EXCEPTION"
    assert raised.value.fields == ["DurationInMinutes"]
    with pytest.raises(SalesforceNotFound):
        client.get_event("00U000000000999AAA")
    with pytest.raises(SalesforceNotFound):
        client.get_event("../../limits")


def test_email_lookup_of_50_addresses_is_one_request(salesforce_client: Build,
                                                     clean_sandbox: SandboxRuntime) -> None:
    client = salesforce_client()
    emails = [f"unknown{i}@nowhere.example" for i in range(46)] + [
        "O'BRIEN@acme.example", "pat.kim@globex.example", "grace.hopper@acme-sales.example",
        "james.wu@hooli.example"]
    found = client.find_people_by_emails(emails)
    assert _requests(clean_sandbox) == 1
    assert [p.name for p in found["o'brien@acme.example"]] == ["Olivia O'Brien"]
    assert {p.name for p in found["pat.kim@globex.example"]} == {"Pat Kim", "Patricia Kim"}
    assert {p.type for p in found["grace.hopper@acme-sales.example"]} == {"User", "Contact"}
    assert found["james.wu@hooli.example"] == []  # converted leads are skipped
    assert found["unknown3@nowhere.example"] == []


def test_adding_50_invitees_is_one_request(salesforce_client: Build,
                                           clean_sandbox: SandboxRuntime) -> None:
    client = salesforce_client()
    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    contact_ids = [org.create("Contact", {"LastName": f"Guest {i}",
                                          "Email": f"guest{i}@fifty.example"}, USERS[0].id)
                   for i in range(50)]
    event = _new_event(client, "Fifty guests")
    existing = client.event_relations(str(event["Id"]))
    clean_sandbox.state.stats.reset()
    client.change_invitees(str(event["Id"]), add=contact_ids, who_id=contact_ids[0],
                           existing=existing)
    assert _requests(clean_sandbox) == 1
    rows = client.event_relations(str(event["Id"]))
    invitees = {r.relation_id for r in rows if r.is_invitee}
    assert invitees == set(contact_ids)
    assert client.get_event(str(event["Id"]))["WhoId"] == contact_ids[0]
    parent = next(r for r in rows if r.relation_id == contact_ids[0])
    assert parent.is_parent and parent.is_invitee and parent.email == "guest0@fifty.example"
    clean_sandbox.state.stats.reset()
    client.change_invitees(str(event["Id"]), remove=contact_ids[:3],
                           statuses={contact_ids[5]: "Accepted"}, existing=rows)
    assert _requests(clean_sandbox) == 1
    after = {r.relation_id: r for r in client.event_relations(str(event["Id"]))}
    assert contact_ids[1] not in after and contact_ids[2] not in after
    assert after[contact_ids[0]].is_parent and not after[contact_ids[0]].is_invitee
    assert after[contact_ids[5]].status == "Accepted"
    assert clean_sandbox.state.mail.messages() == []  # the REST API never emails


def test_event_relations_and_people_in_one_request(salesforce_client: Build,
                                                   clean_sandbox: SandboxRuntime) -> None:
    client = salesforce_client()
    event = _new_event(client, "One read")
    client.change_invitees(str(event["Id"]), add=[CONTACTS[0]["Id"]],
                           existing=client.event_relations(str(event["Id"])))
    clean_sandbox.state.stats.reset()
    emails = ["Noah.Smith@acme.example", "nobody@nowhere.example"] + [
        f"more{i}@nowhere.example" for i in range(120)]  # past one composite's queries
    snapshot = client.event_with_relations(str(event["Id"]), emails)
    assert _requests(clean_sandbox) == 2  # 100 addresses fit in the read, 22 need one more
    assert snapshot.record["Subject"] == "One read"
    assert [r.relation_id for r in snapshot.relations if r.is_invitee] == [CONTACTS[0]["Id"]]
    assert {p.type for p in snapshot.people["noah.smith@acme.example"]} == {"Contact", "Lead"}
    assert snapshot.people["nobody@nowhere.example"] == []
    assert snapshot.people["more119@nowhere.example"] == []
    clean_sandbox.state.stats.reset()
    assert client.event_with_relations(str(event["Id"])).people == {}
    assert _requests(clean_sandbox) == 1
    with pytest.raises(SalesforceNotFound):
        client.event_with_relations("00U000000000999AAA", ["x@y.example"])


@pytest.mark.parametrize("term", ["o'brien", "Back\\slash", "acme) RETURNING User(Id",
                                  "x} RETURNING User(Id) LIMIT 1 //"])
def test_search_terms_are_escaped(salesforce_client: Build, term: str) -> None:
    client = salesforce_client()
    results = client.search_records(term, ["Contact", "Lead", "Account"])
    assert all(r.type in {"Contact", "Lead", "Account"} for r in results)
    if term == "o'brien":
        assert [r.name for r in results] == ["Olivia O'Brien"]
    if term == "Back\\slash":
        assert [r.email for r in results] == ["ruth@initech.example"]


def test_soql_injection_is_impossible(salesforce_client: Build) -> None:
    client = salesforce_client()
    hostile = "x@y.example') OR (Email != '"
    assert client.find_people_by_emails([hostile]) == {hostile.lower(): []}
    assert escape_sosl("a-b") == "a\\-b"


def test_search_and_record_names(salesforce_client: Build) -> None:
    client = salesforce_client()
    accounts = client.search_records("Globex", ["Account", "Opportunity"])
    assert {(r.type, r.name) for r in accounts} >= {("Account", "Globex Industries"),
                                                    ("Opportunity", "Globex Renewal 2027")}
    names = client.get_records([CONTACTS[0]["Id"], LEADS[0]["Id"], "001000000000001AAA"])
    assert names[CONTACTS[0]["Id"]].account == "Acme Corporation"
    assert names[LEADS[0]["Id"]].type == "Lead"
    assert names["001000000000001AAA"].name == "Acme Corporation"


def test_create_record_for_an_unlinked_attendee(salesforce_client: Build) -> None:
    client = salesforce_client()
    contact_id = client.create_record("Contact", {"LastName": "Newcomer",
                                                  "Email": "new@prospect.example"})
    found = client.find_people_by_emails(["new@prospect.example"])
    assert [p.id for p in found["new@prospect.example"]] == [contact_id]
    with pytest.raises(SalesforceValidationError):
        client.create_record("Account", {"Name": "No"})


def test_user_experience_is_read_from_salesforce(salesforce_client: Build) -> None:
    client = salesforce_client()
    assert client.user_experience(USERS[0].id) == "lightning"
    assert client.user_experience(USERS[1].id) == "classic"


def test_polling_changed_and_deleted_events(salesforce_client: Build) -> None:
    client = salesforce_client(BEN)
    since = datetime.now(UTC) - timedelta(seconds=2)
    kept = _new_event(client, "Polled")
    gone = _new_event(client, "Polled and deleted")
    client.change_invitees(str(kept["Id"]), add=[CONTACTS[5]["Id"]], existing=[])
    client.delete_event(str(gone["Id"]))
    changed = [e["Id"] for e in client.changed_events(since, owner_id=USERS[1].id)]
    assert kept["Id"] in changed and gone["Id"] not in changed
    deleted = client.deleted_events(since - timedelta(minutes=2),
                                    datetime.now(UTC) + timedelta(minutes=1))
    assert gone["Id"] in deleted
    with pytest.raises(SalesforceValidationError, match="more than one minute"):
        client.deleted_events(since, since + timedelta(seconds=50))
    relations = client.changed_event_relations(since, [str(kept["Id"]), str(gone["Id"])])
    assert {(r.event_id, r.is_deleted) for r in relations if r.is_invitee} == {
        (kept["Id"], False)}


def test_everything_a_pass_needs_is_one_request(salesforce_client: Build,
                                                clean_sandbox: SandboxRuntime) -> None:
    """changes_since: the owner's changed Events with their EventRelations, the deleted
    ones and the experience in ONE request; events_with_relations: one query."""
    client = salesforce_client(BEN)
    since = datetime.now(UTC) - timedelta(seconds=2)
    kept = _new_event(client, "Batched")
    gone = _new_event(client, "Batched and deleted")
    client.change_invitees(str(kept["Id"]), add=[CONTACTS[5]["Id"]], existing=[])
    client.delete_event(str(gone["Id"]))
    before = _requests(clean_sandbox)
    changes = client.changes_since(since, USERS[1].id)
    assert _requests(clean_sandbox) == before + 1
    assert kept["Id"] in changes.events and gone["Id"] not in changes.events
    assert gone["Id"] in changes.deleted and changes.experience == "classic"
    invitees = [r.relation_id for r in changes.events[str(kept["Id"])].relations
                if r.is_invitee]
    assert invitees == [CONTACTS[5]["Id"]]
    quiet = client.changes_since(datetime.now(UTC) + timedelta(seconds=5), USERS[1].id)
    assert quiet.events == {} and quiet.deleted == set()
    before = _requests(clean_sandbox)
    read = client.events_with_relations([str(kept["Id"]), str(gone["Id"])])
    assert _requests(clean_sandbox) == before + 1
    assert list(read) == [kept["Id"]]  # a deleted Event is simply absent
    assert read[str(kept["Id"])].record["Subject"] == "Batched"


def test_several_events_invitee_changes_share_one_request(
        salesforce_client: Build, clean_sandbox: SandboxRuntime) -> None:
    """The invitees of 30 Events in one sObject Collection (one composite, one request);
    a record Salesforce refuses fails its own Event only."""
    client = salesforce_client(BEN)
    events = [str(_new_event(client, f"Shared {n}")["Id"]) for n in range(30)]
    groups = [client.invitee_subrequests(e, add=[CONTACTS[5]["Id"]], existing=[])
              for e in events]
    groups.append(client.invitee_subrequests(events[0], add=["003000000000999ZZZ"],
                                             existing=[]))
    before = _requests(clean_sandbox)
    outcome = client.send_composites(groups)
    assert _requests(clean_sandbox) == before + 1
    assert [outcome[i] for i in range(30)] == [None] * 30
    assert isinstance(outcome[30], SalesforceValidationError)
    invited = client.events_with_relations(events)
    assert all([r.relation_id for r in invited[e].relations if r.is_invitee]
               == [CONTACTS[5]["Id"]] for e in events)


def test_expired_token_is_refreshed_once(salesforce_client: Build,
                                         clean_sandbox: SandboxRuntime) -> None:
    fresh = clean_sandbox.state.tokens.issue("salesforce", AVA)
    refreshed: list[str] = []
    client = salesforce_client(token="expired", on_refresh=lambda: refreshed.append(fresh)
                               or fresh)
    assert client.user_experience(USERS[0].id) == "lightning"
    assert refreshed == [fresh]
    hopeless = salesforce_client(token="expired", on_refresh=lambda: "still-bad")
    with pytest.raises(SalesforceAuthError):
        hopeless.user_experience(USERS[0].id)


def test_limits_and_outages_are_reported(salesforce_client: Build,
                                         clean_sandbox: SandboxRuntime) -> None:
    client = salesforce_client()
    limit = clean_sandbox.state.setting("salesforce.dailyApiLimit")
    clean_sandbox.state.update_settings({"salesforce.dailyApiLimit": 0})
    try:
        with pytest.raises(SalesforceLimitExceeded):
            client.user_experience(USERS[0].id)
    finally:
        clean_sandbox.state.update_settings({"salesforce.dailyApiLimit": limit})
    clean_sandbox.state.faults.add(__import__("addin.sandbox.state", fromlist=["Fault"]).Fault(
        "salesforce", 503, 10, retry_after=0))
    with pytest.raises(SalesforceUnavailable):
        client.user_experience(USERS[0].id)
    clean_sandbox.state.faults.clear()


def test_503_is_retried_by_the_http_layer(salesforce_client: Build,
                                          clean_sandbox: SandboxRuntime) -> None:
    from addin.sandbox.state import Fault

    client = salesforce_client()
    clean_sandbox.state.faults.add(Fault("salesforce", 503, 2, retry_after=0))
    assert client.user_experience(USERS[0].id) == "lightning"
    assert clean_sandbox.state.stats.snapshot()["salesforce"]["byOperation"]["fault 503"] == 2


def test_a_locked_row_is_retried_with_backoff(salesforce_client: Build,
                                              clean_sandbox: SandboxRuntime,
                                              upstream: object) -> None:
    client = salesforce_client()
    origin = clean_sandbox.origins["salesforce"]
    upstream.post(f"{origin}/sandbox-ui/lock-rows", json={"times": 2})  # type: ignore[attr-defined]
    event = _new_event(client, "Contended")
    assert event["Subject"] == "Contended"
    assert _requests(clean_sandbox) == 3  # two locked attempts, then success
    upstream.post(f"{origin}/sandbox-ui/lock-rows", json={"times": 10})  # type: ignore[attr-defined]
    with pytest.raises(SalesforceValidationError) as locked:
        client.update_event(str(event["Id"]), {"Location": "Busy room"})
    assert locked.value.error_code == "UNABLE_TO_LOCK_ROW"
    upstream.post(f"{origin}/sandbox-ui/lock-rows", json={"times": 0})  # type: ignore[attr-defined]
