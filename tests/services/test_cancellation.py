"""The cancellation matrix: {graph, google} x {Classic, Lightning} x {cancelled from the
sidebar, deleted in Salesforce (the UI action), deleted in the calendar}. A meeting with a
linked Contact and an unlinked guest: afterwards both sides are gone and every attendee got
exactly one cancellation, from the sender the rulebook names; nothing else. The one
documented exception: Graph + Classic under `hold` keeps the Outlook meeting rather than
cancel a second time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.providers.calendar.provider import ItemNotFound, NotifyMode
from addin.providers.salesforce.client import SalesforceNotFound
from addin.sandbox.state import Fault
from addin.services.outbox.queue import process_outbox
from addin.services.sync_pass import sync_user
from addin.store.models import MirroredEvent
from tests.clock import z
from tests.services.scenario import GUEST, MATRIX, START, Scenario

WALK_IN = "walk.in@unlinked.example"  # no Salesforce record: only the calendar knows them


def _delete(s: Scenario, origin: str) -> None:
    if origin == "sidebar":
        answer = s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers)
        assert answer.status_code == 200, answer.json
        assert sorted(answer.json["cancellationsSentTo"]) == [GUEST, WALK_IN]
        assert answer.json["notToldByAnyone"] == []
        return
    if origin == "salesforce":
        answer = s.http.post(f"{s.sandbox.origins['salesforce']}/sandbox-ui/events/"
                             f"{s.event_id}/delete")
        assert answer.status_code == 200, answer.text
    else:  # the organizer deletes the meeting in Outlook / Google Calendar
        open_calendar(s.services, s.user).delete_item(s.item_id, notify=NotifyMode.CHANGED)
    report = sync_user(s.services, s.user.id, "test")
    assert report.failed == {} and s.event_id in report.deleted


def _salesforce_gone(s: Scenario) -> bool:
    try:
        open_salesforce(s.services, s.user).get_event(s.event_id)
    except SalesforceNotFound:
        return True
    return False


def _calendar_gone(s: Scenario) -> bool:
    try:
        open_calendar(s.services, s.user).get_item(s.item_id)
    except ItemNotFound:
        return True
    return False


@pytest.mark.parametrize(("provider", "experience", "origin"), MATRIX)
def test_cancelling_a_meeting(scenario: Callable[[str, str], Scenario], provider: str,
                              experience: str, origin: str) -> None:
    s = scenario(provider, experience)
    s.change("sidebar", [GUEST, WALK_IN], {})
    s.sandbox.state.mail.clear()
    _delete(s, origin)
    assert _salesforce_gone(s)
    assert s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).status_code == 404
    if origin == "salesforce" and experience == "classic":
        salesforce_told = [("salesforce", GUEST, "cancellation")]
        if provider == "graph":  # hold: Outlook would cancel again for GUEST
            assert not _calendar_gone(s)
            with s.services.db.session() as session:
                detail = session.scalar(select(MirroredEvent.detail).where(
                    MirroredEvent.salesforce_event_id == s.event_id))
            assert "kept in Outlook" in detail and GUEST in detail
            assert sorted(s.mail()) == salesforce_told
        else:  # Google / EWS drop GUEST silently, then cancel for the walk-in only
            assert _calendar_gone(s)
            assert sorted(s.mail()) == sorted([*salesforce_told,
                                               (provider, WALK_IN, "cancellation")])
    else:
        assert _calendar_gone(s)
        assert sorted(s.mail()) == [(provider, GUEST, "cancellation"),
                                    (provider, WALK_IN, "cancellation")]
    told = len(s.mail())
    sync_user(s.services, s.user.id, "again")
    assert len(s.mail()) == told


def test_deleting_an_appointment_emails_nobody(
        scenario: Callable[[str, str], Scenario]) -> None:
    for experience in ("classic", "lightning"):
        s = scenario("graph", experience)
        _delete(s, "salesforce")
        assert _calendar_gone(s) and s.mail() == []


def test_cancelling_from_the_sidebar_reports_held_people(
        scenario: Callable[[str, str], Scenario]) -> None:
    """Graph + Classic + hold: a person Salesforce invited is not in Outlook, so Outlook's
    cancellation misses them and the REST API cannot make Salesforce write: the answer
    names them for the organizer."""
    s = scenario("graph", "classic")
    s.change("salesforce", [], {"add": [GUEST]})
    s.sandbox.state.mail.clear()
    answer = s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers)
    assert answer.status_code == 200
    assert answer.json["notToldByAnyone"] == [GUEST]
    assert "not told" in answer.json["detail"]
    assert s.mail() == [] and _salesforce_gone(s) and _calendar_gone(s)


def test_mirror_policy_cancels_in_outlook_too(
        scenario: Callable[[str, str], Scenario], admin_headers: Callable[[], dict[str, str]]
        ) -> None:
    s = scenario("graph", "classic")
    s.change("sidebar", [GUEST], {})
    s.sandbox.state.mail.clear()
    assert s.client.patch("/api/v1/admin/settings", headers=admin_headers(),
                          json={"graphClassicPolicy": "mirror"}).status_code == 200
    _delete(s, "salesforce")
    assert _calendar_gone(s)
    assert sorted(s.mail()) == [("graph", GUEST, "cancellation"),
                                ("salesforce", GUEST, "cancellation")]


def test_cancelling_twice_and_unknown_events(scenario: Callable[[str, str], Scenario]) -> None:
    s = scenario("google", "lightning")
    assert s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers).status_code == 200
    again = s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers)
    assert again.status_code == 404 and again.json["error"]["code"] == "not_found"
    other = s.client.delete("/api/v1/events/00U000000000000AAA", headers=s.headers)
    assert other.status_code == 404


def test_cancelling_when_the_calendar_is_down_changes_nothing(
        scenario: Callable[[str, str], Scenario]) -> None:
    s = scenario("google", "lightning")
    s.change("sidebar", [GUEST], {})
    s.sandbox.state.mail.clear()
    s.sandbox.state.faults.add(Fault("google", 503, 10, retry_after=0))
    answer = s.client.delete(f"/api/v1/events/{s.event_id}", headers=s.headers)
    assert answer.status_code == 503
    s.sandbox.state.faults.clear()
    assert not _salesforce_gone(s) and not _calendar_gone(s) and s.mail() == []
    assert s.client.delete(f"/api/v1/events/{s.event_id}",
                           headers=s.headers).status_code == 200
    assert s.mail() == [("google", GUEST, "cancellation")]


def test_cancelling_before_the_mirror_exists_stops_it(
        scenario: Callable[[str, str], Scenario]) -> None:
    """A calendar outage left the Event pending; cancelling it means the outbox never
    creates the appointment later."""
    s = scenario("graph", "lightning")
    s.sandbox.state.faults.add(Fault("graph", 500, 1))
    pending = s.client.post("/api/v1/events", headers=s.headers, json={
        "subject": "Never mirrored", "start": z(START + timedelta(hours=2)),
        "end": z(START + timedelta(hours=2, minutes=30))}).json
    assert pending["sync"]["state"] == "pending"
    event_id = pending["event"]["id"]
    answer = s.client.delete(f"/api/v1/events/{event_id}", headers=s.headers)
    assert answer.status_code == 200 and answer.json["cancellationsSentTo"] == []
    process_outbox(s.services)
    mailbox = s.sandbox.apps["graph"].extensions["graph"].store.live(s.organizer)
    assert not [i for i in mailbox if any(p["value"] == event_id for p in (
        i.resource.get("extended") or {}).values())]
    assert s.mail() == []
