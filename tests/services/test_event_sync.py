"""The Event across both sides: field edits, deletions, the one-way direction, and child
events of invited Users never mirrored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests

from addin.accounts.clients import open_calendar, open_salesforce
from addin.providers.calendar.provider import ItemNotFound
from addin.providers.salesforce.client import SalesforceNotFound
from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from tests.clock import at, day, ymd, z
from tests.services.scenario import Scenario


@pytest.fixture(params=["graph", "google"])
def event(request: pytest.FixtureRequest, client: Any, services: Any,
          clean_sandbox: SandboxRuntime, upstream: requests.Session,
          bearer: Callable[[str], dict[str, str]]) -> Scenario:
    return Scenario(client, services, clean_sandbox, upstream, bearer, request.param,
                    "lightning")


def _edit_in_calendar(s: Scenario, changes: dict[str, Any]) -> None:
    if s.provider == "graph":
        url = (f"{s.sandbox.origins['graph']}/sandbox-ui/mailboxes/{s.organizer}/events/"
               f"{s.item_id}/edit")
        body = {"subject": changes["subject"]} if "subject" in changes else {}
    else:
        url = (f"{s.sandbox.origins['google']}/sandbox-ui/calendars/{s.organizer}/events/"
               f"{s.item_id}/edit")
        body = {"summary": changes["subject"]} if "subject" in changes else {}
    assert s.http.post(url, json=body).status_code == 200


def test_salesforce_edit_moves_the_appointment_silently(event: Scenario) -> None:
    salesforce = open_salesforce(event.services, event.user)
    moved = at(day(10), "09:00")  # the day after the scenario's meeting
    salesforce.update_event(event.event_id, {"Subject": "Moved",
                                             "StartDateTime": z(moved),
                                             "EndDateTime": z(moved + timedelta(hours=1)),
                                             "Location": "HQ"})
    sync_user(event.services, event.user.id, "test")
    item = open_calendar(event.services, event.user).get_item(event.item_id)
    assert (item.subject, item.location) == ("Moved", "HQ")
    assert item.start.isoformat() == f"{ymd(moved)}T09:00:00+00:00"
    assert event.mail() == []  # an appointment: nobody to tell
    sync_user(event.services, event.user.id, "again")
    assert event.mail() == []


def test_a_meetings_attendees_hear_about_a_visible_change_once(event: Scenario) -> None:
    event.change("sidebar", ["o'brien@acme.example"], {})
    event.sandbox.state.mail.clear()
    open_salesforce(event.services, event.user).update_event(
        event.event_id, {"StartDateTime": z(at(day(11), "09:00")),
                         "EndDateTime": z(at(day(11), "09:30"))})
    sync_user(event.services, event.user.id, "test")
    assert event.mail() == [(event.provider, "o'brien@acme.example", "update")]
    sync_user(event.services, event.user.id, "again")
    assert len(event.mail()) == 1


def test_calendar_edit_reaches_salesforce(event: Scenario) -> None:
    _edit_in_calendar(event, {"subject": "Renamed in the calendar"})
    sync_user(event.services, event.user.id, "test")
    record = open_salesforce(event.services, event.user).get_event(event.event_id)
    assert record["Subject"] == "Renamed in the calendar"


def test_one_way_puts_calendar_edits_back(
        event: Scenario, admin_headers: Callable[[], dict[str, str]]) -> None:
    admin = event.client.patch("/api/v1/admin/settings", headers=admin_headers(),
                               json={"syncDirection": "sf_to_calendar"})
    assert admin.status_code == 200
    _edit_in_calendar(event, {"subject": "Not allowed"})
    event.change("calendar", ["walk.in@unlinked.example"], {})
    record = open_salesforce(event.services, event.user).get_event(event.event_id)
    assert record["Subject"] == "Matrix"
    item = open_calendar(event.services, event.user).get_item(event.item_id)
    assert item.subject == "Matrix" and item.attendees_besides_organizer() == []
    assert event.invitees() == []


def test_deleting_in_salesforce_deletes_the_calendar_item(event: Scenario) -> None:
    event.change("sidebar", ["o'brien@acme.example"], {})
    event.sandbox.state.mail.clear()
    open_salesforce(event.services, event.user).delete_event(event.event_id)
    report = sync_user(event.services, event.user.id, "test")
    assert report.deleted == {event.event_id: "deleted in the calendar"}
    with pytest.raises(ItemNotFound):
        open_calendar(event.services, event.user).get_item(event.item_id)
    assert event.mail() == [(event.provider, "o'brien@acme.example", "cancellation")]
    view = event.client.get(f"/api/v1/events/{event.event_id}", headers=event.headers)
    assert view.status_code == 404


def test_deleting_in_the_calendar_deletes_the_event(event: Scenario) -> None:
    from addin.providers.calendar.provider import NotifyMode

    open_calendar(event.services, event.user).delete_item(event.item_id,
                                                          notify=NotifyMode.CHANGED)
    report = sync_user(event.services, event.user.id, "test")
    assert report.deleted == {event.event_id: "deleted in Salesforce"}
    with pytest.raises(SalesforceNotFound):
        open_salesforce(event.services, event.user).get_event(event.event_id)


def test_child_events_of_invited_users_are_never_mirrored(
        event: Scenario, bearer: Callable[[str], dict[str, str]]) -> None:
    event.change("sidebar", ["grace.hopper@acme-sales.example"], {})
    assert event.invitees()  # Grace is a User: Salesforce made her a child event
    from sqlalchemy import select

    from addin.accounts.identity import load_user
    from addin.store.models import User

    with event.services.db.session() as session:
        grace = load_user(event.services, session.scalar(
            select(User.id).where(User.email == "grace.hopper@acme-sales.example")))
    before = open_calendar(event.services, grace).list_changes(None)
    sync_user(event.services, grace.id, "test")
    after = open_calendar(event.services, grace).list_changes(None)
    assert len(after.changed) == len(before.changed)  # nothing new in Grace's calendar
    mail = [m for m in event.mail() if m[1] == "grace.hopper@acme-sales.example"]
    assert mail == [(event.provider, "grace.hopper@acme-sales.example", "invitation")]
