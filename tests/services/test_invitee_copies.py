"""A meeting between two people who both use the product: the invitee's mailbox holds its
own copy of the meeting (Graph: ``isOrganizer: false``; Google: same id, ``organizer.self``
false), which the product never mirrors as a second Salesforce Event; the invitee's answer
in their own calendar reaches the EventRelation Status; the organizer is never counted as
an attendee."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import load_user
from addin.services.sync_pass import sync_user
from addin.store.models import User
from tests.services.scenario import Scenario

COLLEAGUES = {"graph": "ben.carter@acme-sales.example",
              "google": "dan.okafor@acme-sales.example"}


class Colleague:
    """The invitee, a product user too, acting in their own calendar with its own client."""

    def __init__(self, s: Scenario):
        self.s, self.email = s, COLLEAGUES[s.provider]
        with s.services.db.session() as session:
            self.user = load_user(s.services, session.scalar(
                select(User.id).where(User.email == self.email)))
        token = s.sandbox.state.tokens.issue(s.provider, self.email)
        self.http = requests.Session()
        self.http.verify, self.http.trust_env = s.sandbox.ca_path, False
        self.http.headers["Authorization"] = f"Bearer {token}"
        base = s.sandbox.services[s.provider]
        self.events = (f"{base}/me/events" if s.provider == "graph"
                       else f"{base}/calendars/primary/events")

    def items(self) -> list[dict[str, Any]]:
        answer = self.http.get(self.events, params={"maxResults": 2500} if
                               self.s.provider == "google" else {"$top": 1000})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["value" if self.s.provider == "graph" else "items"])

    def copies(self) -> list[dict[str, Any]]:
        """Their calendar's items for this meeting."""
        if self.s.provider == "google":
            return [r for r in self.items() if r["id"] == self.s.item_id]
        uid = open_calendar(self.s.services, self.s.user).get_item(self.s.item_id).raw[
            "iCalUId"]
        return [r for r in self.items() if r["iCalUId"] == uid]

    def accept(self) -> None:
        (copy,) = self.copies()
        if self.s.provider == "graph":
            answer = self.http.post(f"{self.events}/{copy['id']}/accept",
                                    json={"comment": "See you", "sendResponse": True})
            assert answer.status_code == 202, answer.text
        else:
            me = [a for a in copy["attendees"] if a.get("self")]
            answer = self.http.patch(f"{self.events}/{copy['id']}", json={"attendees": [
                {**me[0], "responseStatus": "accepted"}]})
            assert answer.status_code == 200, answer.text


@pytest.fixture(params=["graph", "google"])
def meeting(request: pytest.FixtureRequest, scenario: Callable[[str, str], Scenario]
            ) -> tuple[Scenario, Colleague]:
    s = scenario(request.param, "lightning")
    colleague = Colleague(s)
    s.change("sidebar", [colleague.email], {})
    return s, colleague


def _sync_both(s: Scenario, colleague: Colleague) -> None:
    for user in (s.user, colleague.user, s.user, colleague.user):
        assert sync_user(s.services, user.id, "test").failed == {}


def test_the_invitee_holds_a_copy_which_names_the_organizer(
        meeting: tuple[Scenario, Colleague]) -> None:
    s, colleague = meeting
    (copy,) = colleague.copies()
    if s.provider == "graph":
        assert copy["isOrganizer"] is False
        assert copy["responseStatus"]["response"] == "notResponded"
        assert copy["organizer"]["emailAddress"]["address"] == s.organizer
        organizers = open_calendar(s.services, s.user).get_item(s.item_id).raw
        assert copy["iCalUId"] == organizers["iCalUId"]
    else:
        assert copy["id"] == s.item_id and copy["organizer"] == {"email": s.organizer}
        entries = {a["email"]: a for a in copy["attendees"]}
        assert entries[s.organizer]["organizer"] is True and "self" not in entries[s.organizer]
        assert entries[colleague.email]["self"] is True


def test_a_meeting_between_two_product_users_is_one_salesforce_event(
        meeting: tuple[Scenario, Colleague]) -> None:
    s, colleague = meeting
    salesforce = open_salesforce(s.services, s.user)

    def events(child: bool) -> set[str]:
        rows = salesforce._call(lambda sf: sf.query_all(
            f"SELECT Id FROM Event WHERE IsChild = {str(child).lower()} AND (OwnerId = "
            f"'{colleague.user.salesforce_user_id}' OR Id IN (SELECT EventId FROM "
            f"EventRelation WHERE RelationId = '{colleague.user.salesforce_user_id}'))"))
        return {r["Id"] for r in rows["records"]}

    before = events(child=False), events(child=True)
    items = {i["id"] for i in colleague.items()}
    _sync_both(s, colleague)
    assert events(child=False) == before[0]  # still ONE Event: the organizer's
    assert s.event_id in before[0]
    assert events(child=True) == before[1]  # and Salesforce's own child for the User
    assert len(colleague.copies()) == 1
    assert {i["id"] for i in colleague.items()} == items  # no mirrored appointment added


def test_the_invitee_accepting_in_their_calendar_sets_the_status(
        meeting: tuple[Scenario, Colleague]) -> None:
    s, colleague = meeting
    _sync_both(s, colleague)
    colleague.accept()
    _sync_both(s, colleague)
    relations = open_salesforce(s.services, s.user).event_relations(s.event_id)
    statuses = {r.relation_id: r.status for r in relations if r.is_invitee}
    assert statuses == {colleague.user.salesforce_user_id: "Accepted"}


def test_the_organizer_is_never_an_attendee(meeting: tuple[Scenario, Colleague]) -> None:
    s, colleague = meeting
    _sync_both(s, colleague)
    view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
    assert [a["email"] for a in view["attendees"]] == [colleague.email]
    relations = open_salesforce(s.services, s.user).event_relations(s.event_id)
    assert s.user.salesforce_user_id not in {r.relation_id for r in relations
                                             if r.is_invitee}
    item = open_calendar(s.services, s.user).get_item(s.item_id)
    assert [a.email for a in item.attendees_besides_organizer()] == [colleague.email]
