"""The scenario every attendee and cancellation test starts from: an organizer per
{provider} x {experience} creates an Event from the sidebar (an appointment), then changes
happen in the sidebar, in Salesforce (the sandbox UI action) or in the calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import load_user
from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from addin.store.models import User
from tests.clock import at, day, z

ORGANIZERS = {("graph", "lightning"): "ava.martin@acme-sales.example",
              ("graph", "classic"): "ben.carter@acme-sales.example",
              ("google", "lightning"): "cleo.nguyen@acme-sales.example",
              ("google", "classic"): "dan.okafor@acme-sales.example",
              ("ews", "lightning"): "eve.rossi@acme-sales.example",
              ("ews", "classic"): "finn.berg@acme-sales.example"}
GUEST, GUEST_ID = "o'brien@acme.example", "003000000000001AAA"
START = at(day(9), "10:00")  # the scenario's meeting: Wednesday after the test week, UTC
BODY = {"subject": "Matrix", "start": z(START), "end": z(START + timedelta(minutes=30))}


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

    def change(self, origin: str, attendees: list[str], salesforce: dict[str, list[str]],
               *, then_sync: bool = True) -> None:
        """Make the change where ``origin`` says; then (unless told not to) run one sync
        pass, which must not fail."""
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
        elif self.provider == "ews":  # Outlook on Exchange sends to the changed people
            answer = self.http.post(
                f"{self.sandbox.origins['ews']}/sandbox-ui/mailboxes/{self.organizer}/items/"
                f"{self.item_id}/edit", json={"attendees": attendees})
        else:
            answer = self.http.post(
                f"{self.sandbox.origins['google']}/sandbox-ui/calendars/{self.organizer}/events/"
                f"{self.item_id}/edit", json={"attendees": [{"email": a} for a in attendees]})
        assert answer.status_code == 200, answer.text
        if not then_sync:
            return
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


MATRIX = [(p, e, o) for p in ("graph", "google", "ews") for e in ("lightning", "classic")
          for o in ("sidebar", "salesforce", "calendar")]
