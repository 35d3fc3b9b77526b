"""The attendee matrix: {graph, google} x {Classic, Lightning} x {added in the sidebar, in
Salesforce (the UI action), in the calendar}; then the same for removals. After the change
and a sync pass both sides agree, matched attendees are invitee EventRelations, and the mail
log holds exactly one invitation (cancellation) per changed attendee, from the sender the
rulebook names; nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.identity import load_user
from addin.providers.registry import open_calendar, open_salesforce
from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from addin.store.models import User

ORGANIZERS = {("graph", "lightning"): "ava.martin@acme-sales.example",
              ("graph", "classic"): "ben.carter@acme-sales.example",
              ("google", "lightning"): "cleo.nguyen@acme-sales.example",
              ("google", "classic"): "dan.okafor@acme-sales.example"}
GUEST, GUEST_ID = "o'brien@acme.example", "003000000000001AAA"
BODY = {"subject": "Matrix", "start": "2026-12-09T10:00:00Z", "end": "2026-12-09T10:30:00Z"}


class Scenario:
    def __init__(self, client: Any, services: Any, sandbox: SandboxRuntime,
                 http: requests.Session, bearer: Callable[[str], dict[str, str]],
                 provider: str, experience: str):
        self.client, self.services, self.sandbox, self.http = client, services, sandbox, http
        self.provider, self.experience = provider, experience
        self.organizer = ORGANIZERS[(provider, experience)]
        self.headers = bearer(self.organizer)
        with services.db.session() as session:
            self.user = load_user(services, session.scalar(
                select(User.id).where(User.email == self.organizer)))
        view = client.post("/api/v1/events", json=BODY, headers=self.headers).json
        self.event_id, self.item_id = view["event"]["id"], view["mirror"]["itemId"]
        sandbox.state.mail.clear()

    def change(self, origin: str, attendees: list[str], salesforce: dict[str, list[str]]
               ) -> None:
        if origin == "sidebar":
            answer = self.client.put(f"/api/v1/events/{self.event_id}/attendees",
                                     headers=self.headers,
                                     json={"attendees": [{"email": a} for a in attendees]})
            assert answer.status_code == 200, answer.json
            return
        if origin == "salesforce":
            answer = self.http.post(f"{self.sandbox.origins['salesforce']}/sandbox-ui/events/"
                                    f"{self.event_id}/invitees", json=salesforce)
        elif self.provider == "graph":
            answer = self.http.post(
                f"{self.sandbox.origins['graph']}/sandbox-ui/mailboxes/{self.organizer}/events/"
                f"{self.item_id}/edit",
                json={"attendees": [{"emailAddress": {"address": a}} for a in attendees]})
        else:
            answer = self.http.post(
                f"{self.sandbox.origins['google']}/sandbox-ui/calendars/{self.organizer}/events/"
                f"{self.item_id}/edit", json={"attendees": [{"email": a} for a in attendees]})
        assert answer.status_code == 200, answer.text
        report = sync_user(self.services, self.user.id, "test")
        assert report.failed == {}

    def calendar_attendees(self) -> list[str]:
        item = open_calendar(self.services, self.user).get_item(self.item_id)
        return sorted(a.email.lower() for a in item.attendees_besides_organizer())

    def invitees(self) -> list[str]:
        relations = open_salesforce(self.services, self.user).event_relations(self.event_id)
        return sorted(r.relation_id for r in relations if r.is_invitee)

    def mail(self) -> list[tuple[str, str, str]]:
        return [(m["sender"], m["to"].lower(), m["kind"])
                for m in self.sandbox.state.mail.messages()]

    def expected_sender(self, origin: str) -> str:
        if origin == "salesforce" and self.experience == "classic":
            return "salesforce"
        return self.provider

    @property
    def held(self) -> bool:
        """Graph + Classic + Salesforce UI under the default `hold` policy."""
        return self.provider == "graph" and self.experience == "classic"


MATRIX = [(p, e, o) for p in ("graph", "google") for e in ("lightning", "classic")
          for o in ("sidebar", "salesforce", "calendar")]


@pytest.fixture
def scenario(client: Any, services: Any, clean_sandbox: SandboxRuntime,
             upstream: requests.Session, bearer: Callable[[str], dict[str, str]]
             ) -> Callable[[str, str], Scenario]:
    return lambda provider, experience: Scenario(client, services, clean_sandbox, upstream,
                                                 bearer, provider, experience)


@pytest.mark.parametrize(("provider", "experience", "origin"), MATRIX)
def test_adding_an_attendee(scenario: Callable[[str, str], Scenario], provider: str,
                            experience: str, origin: str) -> None:
    s = scenario(provider, experience)
    s.change(origin, [GUEST], {"add": [GUEST]})
    assert s.invitees() == [GUEST_ID]
    assert s.mail() == [(s.expected_sender(origin), GUEST, "invitation")]
    if origin == "salesforce" and s.held:
        assert s.calendar_attendees() == []  # held: listed in the sidebar, not in Outlook
        view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
        assert view["attendees"][0]["held"] is True
        item = open_calendar(s.services, s.user).get_item(s.item_id)
        assert "Invited in Salesforce" in item.body and GUEST in item.body
    else:
        assert s.calendar_attendees() == [GUEST]
        view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
        assert view["mirror"]["kind"] == "meeting"
        assert view["attendees"][0]["record"] == {"type": "Contact", "id": GUEST_ID,
                                                  "name": "Olivia O'Brien"}
    sync_user(s.services, s.user.id, "again")  # a second pass changes nothing
    assert len(s.mail()) == 1


@pytest.mark.parametrize(("provider", "experience", "origin"), MATRIX)
def test_removing_an_attendee(scenario: Callable[[str, str], Scenario], provider: str,
                              experience: str, origin: str) -> None:
    s = scenario(provider, experience)
    s.change("sidebar", [GUEST], {})
    s.sandbox.state.mail.clear()
    s.change(origin, [], {"remove": [GUEST]})
    assert s.invitees() == []
    assert s.mail() == [(s.expected_sender(origin), GUEST, "cancellation")]
    if origin == "salesforce" and s.held:
        assert s.calendar_attendees() == [GUEST]  # until the organizer removes them there
    else:
        assert s.calendar_attendees() == []
    sync_user(s.services, s.user.id, "again")
    assert len(s.mail()) == 1


def test_mirror_policy_is_the_documented_double_invitation(
        scenario: Callable[[str, str], Scenario]) -> None:
    """Graph + Classic with the `mirror` policy: the attendee is pushed to Outlook, whose
    email is a second invitation (an explicit, documented admin choice)."""
    s = scenario("graph", "classic")
    from sqlalchemy import select

    from addin.store.models import User

    with s.services.db.session() as session:
        admin_id = session.scalar(select(User.id).where(
            User.email == "ava.martin@acme-sales.example"))
    admin = {"Authorization": f"Bearer {s.services.api_tokens.mint(admin_id)}"}
    assert s.client.patch("/api/v1/admin/settings", headers=admin,
                          json={"graphClassicPolicy": "mirror"}).status_code == 200
    s.change("salesforce", [], {"add": [GUEST]})
    assert s.calendar_attendees() == [GUEST]
    assert sorted(s.mail()) == [("graph", GUEST, "invitation"),
                                ("salesforce", GUEST, "invitation")]
