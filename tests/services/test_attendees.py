"""Sidebar attendee edits, auto-link rules, responses, one-click record creation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests

from addin.accounts.clients import open_salesforce
from addin.sandbox import SandboxRuntime
from addin.services.push import take_sync_requests
from addin.services.sync_pass import sync_user
from addin.sync.linking import choose
from addin.sync.merge import AgreedAttendee, merge
from tests.services.scenario import GUEST, GUEST_ID, Scenario

CLEO = "cleo.nguyen@acme-sales.example"


@pytest.fixture
def event(client: Any, services: Any, clean_sandbox: SandboxRuntime,
          upstream: requests.Session, bearer: Callable[[str], dict[str, str]]) -> Scenario:
    return Scenario(client, services, clean_sandbox, upstream, bearer, "google", "lightning")


def _put(event: Scenario, *emails: str) -> Any:
    return event.client.put(f"/api/v1/events/{event.event_id}/attendees", headers=event.headers,
                            json={"attendees": [{"email": e} for e in emails]})


def test_auto_link_rules(event: Scenario) -> None:
    answer = _put(event, "GRACE.HOPPER@acme-sales.example", "Pat.Kim@GLOBEX.example",
                  "noah.smith@acme.example", "james.wu@hooli.example",
                  "sophia.lee@umbrella.example", "nobody@nowhere.example")
    assert answer.status_code == 200, answer.json
    records = {a["email"].lower(): a["record"] for a in answer.json["attendees"]}
    assert records["grace.hopper@acme-sales.example"]["type"] == "User"  # User > Contact
    assert records["pat.kim@globex.example"] == {  # most recently modified duplicate
        "type": "Contact", "id": "003000000000005AAA", "name": "Patricia Kim",
        "alternatives": ["003000000000004AAA"]}  # the other one, reported
    assert records["noah.smith@acme.example"]["type"] == "Contact"  # Contact > Lead
    assert records["james.wu@hooli.example"] is None  # converted Lead: not linked
    assert records["sophia.lee@umbrella.example"]["type"] == "Lead"
    assert records["nobody@nowhere.example"] is None  # kept, unlinked
    assert len(event.calendar_attendees()) == 6  # everyone is in the meeting
    assert len(event.invitees()) == 4
    first_linked = open_salesforce(event.services, event.user).get_event(event.event_id)
    assert first_linked["WhoId"] in {"003000000000005AAA", "003000000000002AAA",
                                     "00Q000000000001AAA"}
    assert sorted(m[1] for m in event.mail()) == sorted(
        a["email"].lower() for a in answer.json["attendees"])  # one invitation each


def test_duplicates_are_reported_by_the_linker() -> None:
    class Person:
        def __init__(self, type_: str, id_: str, modified: str):
            self.type, self.id, self.name, self.last_modified = type_, id_, id_, modified

    link = choose([Person("Contact", "old", "2026-01"), Person("Contact", "new", "2026-02"),
                   Person("Lead", "lead", "2026-03")])
    assert link is not None and (link.id, link.ambiguous_with) == ("new", ["old"])
    assert choose([]) is None


def test_unlinked_attendee_is_kept_then_linked_after_one_click_create(event: Scenario) -> None:
    _put(event, "new.prospect@startup.example")
    sync_user(event.services, event.user.id, "test")
    view = event.client.get(f"/api/v1/events/{event.event_id}", headers=event.headers).json
    assert [a["record"] for a in view["attendees"]] == [None]  # never dropped
    created = event.client.post("/api/v1/records", headers=event.headers, json={
        "eventId": event.event_id, "email": "new.prospect@startup.example", "type": "Lead",
        "lastName": "Prospect", "company": "Startup"})
    assert created.status_code == 201, created.json
    attendee = created.json["event"]["attendees"][0]
    assert attendee["record"]["id"] == created.json["id"]
    assert event.invitees() == [created.json["id"]]
    assert event.mail() == [("google", "new.prospect@startup.example", "invitation")]
    bad = event.client.post("/api/v1/records", headers=event.headers, json={
        "eventId": event.event_id, "email": "x@y.example", "type": "Lead", "lastName": "X"})
    assert bad.status_code == 400 and "company" in bad.json["error"]["fields"]


def test_one_click_create_checks_before_it_creates(event: Scenario,
                                                   bearer: Callable[[str], dict[str, str]]
                                                   ) -> None:
    salesforce = open_salesforce(event.services, event.user)
    before = salesforce.find_people_by_emails(["stranger@nowhere.example"])
    body = {"eventId": event.event_id, "email": "stranger@nowhere.example", "type": "Contact",
            "lastName": "Stranger"}
    not_attending = event.client.post("/api/v1/records", headers=event.headers, json=body)
    assert not_attending.status_code == 400
    assert not_attending.json["error"]["fields"] == {"email": "not an attendee of this event"}
    _put(event, "stranger@nowhere.example")
    someone_else = event.client.post("/api/v1/records", json=body,
                                     headers=bearer("ava.martin@acme-sales.example"))
    assert someone_else.status_code == 404  # not Ava's event
    after = salesforce.find_people_by_emails(["stranger@nowhere.example"])
    assert after == before == {"stranger@nowhere.example": []}  # nothing half-written


def test_a_sidebar_edit_keeps_people_added_elsewhere_since_the_last_sync(
        event: Scenario) -> None:
    """The sidebar's list was built from the last agreed one: it cannot mean to remove
    someone the organizer added in the calendar, or in Salesforce, a moment ago."""
    guest, noah, liam = "o'brien@acme.example", "noah.smith@acme.example", \
        "liam.jones@globex.example"
    event.change("calendar", [guest], {}, then_sync=False)  # no pass yet
    assert _put(event, noah).status_code == 200
    assert event.calendar_attendees() == [noah, guest]
    assert event.invitees() == ["003000000000001AAA", "003000000000002AAA"]
    event.change("salesforce", [], {"add": [liam]}, then_sync=False)  # Lightning: silent
    view = _put(event, guest).json  # removes Noah, the only one the sidebar meant
    assert liam not in [a["email"] for a in view["attendees"]]  # not seen yet: next pass
    assert sync_user(event.services, event.user.id, "test").failed == {}
    assert event.calendar_attendees() == [liam, guest]
    assert sorted(event.mail()) == sorted([("google", guest, "invitation"),
                                           ("google", liam, "invitation"),
                                           ("google", noah, "invitation"),
                                           ("google", noah, "cancellation")])


def test_a_person_salesforce_just_invited_is_not_invited_again_by_the_sidebar(
        scenario: Callable[[str, str], Scenario]) -> None:
    """Classic: Salesforce emailed the invitation. The sidebar, not synced yet, lists the
    same person: the calendar learns of them silently, on the pass the edit asks for."""
    s = scenario("google", "classic")
    liam = "liam.jones@globex.example"
    s.change("salesforce", [], {"add": [liam]}, then_sync=False)
    assert _put(s, liam).status_code == 200
    assert s.mail() == [("salesforce", liam, "invitation")]
    assert [user for user, _ in take_sync_requests(s.services)] == [s.user.id]
    assert sync_user(s.services, s.user.id, "requested").failed == {}
    assert s.calendar_attendees() == [liam]
    assert s.mail() == [("salesforce", liam, "invitation")]


def test_invalid_and_too_many_attendees(event: Scenario) -> None:
    bad = _put(event, "fine@x.example", "not-an-email")
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"attendees.1.email"}
    many = _put(event, *[f"guest{i}@x.example" for i in range(1001)])
    assert many.status_code == 400 and "attendees" in many.json["error"]["fields"]
    assert event.mail() == [] and event.calendar_attendees() == []
    organizer_only = _put(event, event.organizer)
    assert organizer_only.status_code == 200 and organizer_only.json["attendees"] == []
    assert organizer_only.json["mirror"]["kind"] == "appointment"


def test_responses_flow_to_salesforce_status(event: Scenario) -> None:
    _put(event, "o'brien@acme.example")
    answer = event.http.post(f"{event.sandbox.origins['google']}/sandbox-ui/calendars/"
                             f"{event.organizer}/events/{event.item_id}/respond",
                             json={"email": "o'brien@acme.example",
                                   "responseStatus": "accepted"})
    assert answer.status_code == 200
    sync_user(event.services, event.user.id, "test")
    relations = open_salesforce(event.services, event.user).event_relations(event.event_id)
    assert [(r.relation_id, r.status) for r in relations if r.is_invitee] == [
        ("003000000000001AAA", "Accepted")]
    view = event.client.get(f"/api/v1/events/{event.event_id}", headers=event.headers).json
    assert view["attendees"][0]["response"] == "accepted"
    assert len(event.mail()) == 1  # the invitation only


def test_merge_rules_by_example() -> None:
    base = [AgreedAttendee("a@x.example", record={"type": "Contact", "id": "1", "name": "A"}),
            AgreedAttendee("u@x.example")]  # u: unlinked
    calendar = {k: AgreedAttendee(k) for k in ("a@x.example", "u@x.example", "c@x.example")}
    result = merge(base, ["a@x.example", "s@x.example"], calendar, "me@x.example")
    assert set(result.agreed) == {"a@x.example", "u@x.example", "c@x.example", "s@x.example"}
    both_removed = merge(base, [], {"u@x.example": AgreedAttendee("u@x.example")},
                         "me@x.example")
    assert set(both_removed.agreed) == {"u@x.example"}  # unlinked: unknown in Salesforce
    organizer = merge([], ["ME@x.example"], {"me@x.example": AgreedAttendee("me@x.example")},
                      "me@x.example")
    assert organizer.agreed == {}


@pytest.mark.parametrize("organizer", [("graph", "lightning"), ("graph", "classic"),
                                       ("google", "classic")])
@pytest.mark.parametrize("point", ["edit.before_calendar", "edit.after_calendar",
                                   "edit.after_salesforce"])
@pytest.mark.parametrize("retry", [True, False])
def test_an_edit_that_died_half_way_invites_once(
        scenario: Callable[[str, str], Scenario], organizer: tuple[str, str], point: str,
        retry: bool) -> None:
    """The request dies at ``point`` (InjectedFault: a 500); the client retries the same
    list, or nobody does and the next pass completes it. Either way both sides hold the
    guest and the guest got exactly one invitation, from the mail server."""
    from addin.services import failpoints
    event = scenario(*organizer)
    guest, guest_id = "o'brien@acme.example", "003000000000001AAA"
    failpoints.arm(f"{point}=raise")
    try:
        assert _put(event, guest).status_code == 500
    finally:
        failpoints.arm("")
    if retry:
        assert _put(event, guest).status_code == 200
    assert sync_user(event.services, event.user.id, "test").failed == {}
    if point == "edit.before_calendar" and not retry:  # nothing happened; nothing to do
        assert event.calendar_attendees() == [] and event.mail() == []
        return
    assert event.calendar_attendees() == [guest]
    assert event.invitees() == [guest_id]
    assert event.mail() == [(event.provider, guest, "invitation")]
    assert sync_user(event.services, event.user.id, "test").failed == {}
    assert event.mail() == [(event.provider, guest, "invitation")]


def _upstream_requests(s: Scenario) -> tuple[int, int]:
    stats = s.sandbox.state.stats.snapshot()
    return (int(stats.get("salesforce", {}).get("requests", 0)),
            int(stats.get(s.provider, {}).get("requests", 0)))


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_an_attendee_edit_costs_two_salesforce_and_one_calendar_request_in_all(
        scenario: Callable[[str, str], Scenario], provider: str) -> None:
    """The sidebar's edit: Salesforce 1 read + 1 write, the calendar 1 conditional write
    (no read: the stored etag vouches for the agreed list). Its echoes then cost nothing
    beyond what an idle poll costs anyway (1 + 1)."""
    s = scenario(provider, "lightning")
    assert sync_user(s.services, s.user.id, "cursors").failed == {}
    s.sandbox.state.stats.reset()
    answer = s.client.put(f"/api/v1/events/{s.event_id}/attendees", headers=s.headers,
                          json={"attendees": [{"email": "o'brien@acme.example"}]})
    assert answer.status_code == 200, answer.json
    assert _upstream_requests(s) == (2, 1)
    s.sandbox.state.stats.reset()
    for request in take_sync_requests(s.services):  # the calendar's notification, if any
        assert sync_user(s.services, request[0], request[1]).failed == {}
    assert sync_user(s.services, s.user.id, "poll").failed == {}
    salesforce, calendar = _upstream_requests(s)
    assert salesforce == 1 and calendar <= 2  # the poll; Google's push reads the feed once
    assert s.mail() == [(provider, "o'brien@acme.example", "invitation")]


def test_a_sync_pass_inviting_the_same_person_meanwhile_is_no_failure(
        event: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone added the guest in Salesforce between the sidebar edit's read and its write
    (first seen as a pass woken by change events at the crash suite's restart; passes now
    wait for the mailbox, Salesforce users do not); Salesforce refuses the duplicate, and
    the edit reads again and finds it already so, not a 503."""
    from addin.providers.salesforce.client import SalesforceClient

    original = SalesforceClient.change_invitees
    raced: list[str] = []

    def pass_first(self: SalesforceClient, event_id: str, **kwargs: Any) -> Any:
        if not raced:  # the concurrent pass's write lands first
            raced.append(event_id)
            self._rest("POST", "sobjects/EventRelation/", json={
                "EventId": event_id, "RelationId": GUEST_ID, "IsInvitee": True})
        return original(self, event_id, **kwargs)

    monkeypatch.setattr(SalesforceClient, "change_invitees", pass_first)
    answer = event.client.put(f"/api/v1/events/{event.event_id}/attendees",
                              headers=event.headers, json={"attendees": [{"email": GUEST}]})
    assert raced and answer.status_code == 200, answer.json
    relations = open_salesforce(event.services, event.user).event_relations(event.event_id)
    assert [r.relation_id for r in relations if r.is_invitee] == [GUEST_ID]
    assert [a["email"] for a in answer.json["attendees"]] == [GUEST]


def test_a_sidebar_edit_during_a_sync_pass_waits_for_it_and_neither_is_lost(
        event: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crash suite's restart again: a pass (woken by change events) read the agreed
    attendees, then the sidebar added a guest, then the pass saved what it had read and its
    calendar write failed on the changed item: the sidebar answered 200 and then showed
    nobody. Now the edit waits for the pass, and both changes stay."""
    import addin.services.sync_pass as sync_pass_module

    salesforce = open_salesforce(event.services, event.user)
    salesforce.update_event(event.event_id, {"Location": "Room 7"})  # the pass's own work
    paused, go_on = threading.Event(), threading.Event()

    def hold(name: str) -> None:
        if name == "sync.before_calendar" and not paused.is_set():
            paused.set()
            go_on.wait(30)

    monkeypatch.setattr(sync_pass_module, "failpoint", hold)
    reports: list[Any] = []
    passing = threading.Thread(target=lambda: reports.append(
        sync_user(event.services, event.user.id, "test")))
    passing.start()
    answers: list[Any] = []
    try:
        assert paused.wait(30)
        editing = threading.Thread(target=lambda: answers.append(_put(event, GUEST)))
        editing.start()
        editing.join(1.0)
        assert answers == []  # waiting for the pass, not writing beside it
    finally:
        go_on.set()
        passing.join(60)
    editing.join(60)
    assert reports[0].failed == {}
    assert answers[0].status_code == 200, answers[0].json
    assert [a["email"] for a in answers[0].json["attendees"]] == [GUEST]
    assert event.calendar_attendees() == [GUEST]
    assert event.invitees() == [GUEST_ID]
    view = event.client.get(f"/api/v1/events/{event.event_id}", headers=event.headers).json
    assert [a["email"] for a in view["attendees"]] == [GUEST]
    assert view["event"]["location"] == "Room 7"
    assert [m for m in event.mail() if m[1] == GUEST] == [("google", GUEST, "invitation")]


def test_a_sidebar_edit_behind_a_long_pass_is_a_503_with_nothing_written(
        event: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    from addin.services import mirrors
    from addin.store.mailbox_lock import exclusive_mailbox

    monkeypatch.setattr(mirrors, "SIDEBAR_WAIT_SECONDS", 0.2)
    with exclusive_mailbox(event.services.db.engine, event.user.id):  # a pass holds it
        answer = _put(event, GUEST)
    assert answer.status_code == 503
    assert "being synced" in answer.json["error"]["message"]
    assert event.calendar_attendees() == [] and event.invitees() == []
    assert _put(event, GUEST).status_code == 200  # the same request, sent again
