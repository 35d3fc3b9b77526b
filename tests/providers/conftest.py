"""Fixtures for the providers: adapters pointed at the sandbox over real HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from addin.providers.calendar.ews import EwsCalendar
from addin.providers.calendar.google import GoogleCalendar
from addin.providers.calendar.graph import GraphCalendar
from addin.providers.calendar.provider import CalendarProvider, StaticTokenSource
from addin.providers.http import HttpSettings, build_session
from addin.providers.salesforce.client import SalesforceClient
from addin.sandbox import SandboxRuntime
from tests.discovery import DiscoveryChecker

# --- salesforce ---
AVA = "ava.martin@acme-sales.example"
BEN = "ben.carter@acme-sales.example"


@pytest.fixture
def salesforce_client(clean_sandbox: SandboxRuntime) -> Callable[..., SalesforceClient]:
    def build(email: str = AVA, token: str | None = None,
              on_refresh: Callable[[], str] | None = None) -> SalesforceClient:
        session = build_session("salesforce", HttpSettings(ca_bundle=clean_sandbox.ca_path,
                                                           backoff_factor=0))
        return SalesforceClient(
            instance_url=clean_sandbox.origins["salesforce"],
            access_token=token or clean_sandbox.state.tokens.issue("salesforce", email),
            session=session, api_version="62.0", on_refresh=on_refresh)

    return build


# --- calendars ---
@dataclass
class CalendarUnderTest:
    """A provider pointed at the sandbox, with the sandbox-only actions the contract needs
    (the vendors' UIs differ, so these differ per provider)."""

    provider: CalendarProvider
    owner: str
    sandbox: SandboxRuntime
    http: requests.Session

    @property
    def name(self) -> str:
        return self.provider.name

    def mail(self) -> list[tuple[str, str]]:
        return [(m["to"].lower(), m["kind"]) for m in self.sandbox.state.mail.messages()]

    def expire_cursors(self) -> None:
        origin = self.sandbox.origins[self.name]
        path = {"graph": f"/sandbox-ui/mailboxes/{self.owner}/expire-delta-tokens",
                "google": f"/sandbox-ui/calendars/{self.owner}/expire-sync-tokens",
                "ews": f"/sandbox-ui/mailboxes/{self.owner}/expire-sync-states"}[self.name]
        assert self.http.post(origin + path).status_code == 200

    def respond(self, item_id: str, email: str, response: str) -> None:
        origin = self.sandbox.origins[self.name]
        if self.name == "ews":
            wire = {"accepted": "Accept", "declined": "Decline", "tentative": "Tentative"}
            answer = self.http.post(f"{origin}/sandbox-ui/mailboxes/{self.owner}/items/"
                                    f"{item_id}/respond", json={"email": email,
                                                                "response": wire[response]})
        elif self.name == "graph":
            wire = {"tentative": "tentativelyAccepted"}.get(response, response)
            answer = self.http.post(f"{origin}/sandbox-ui/mailboxes/{self.owner}/events/"
                                    f"{item_id}/respond", json={"email": email,
                                                                "response": wire})
        else:
            answer = self.http.post(f"{origin}/sandbox-ui/calendars/{self.owner}/events/"
                                    f"{item_id}/respond", json={"email": email,
                                                                "responseStatus": response})
        assert answer.status_code == 200, answer.text

    def fault(self, status: int, times: int, retry_after: int | None = None) -> None:
        body: dict[str, Any] = {"service": self.name, "status": status, "times": times}
        if retry_after is not None:
            body["retryAfter"] = retry_after
        assert self.http.post(self.sandbox.services["faults"], json=body).status_code == 201


CALENDAR_OWNERS = {"graph": AVA, "google": "cleo.nguyen@acme-sales.example",
                   "ews": "eve.rossi@acme-sales.example"}


def calendar_under_test(sandbox: SandboxRuntime, name: str) -> CalendarUnderTest:
    owner = CALENDAR_OWNERS[name]
    http = requests.Session()
    http.verify = sandbox.ca_path
    http.trust_env = False
    if name == "ews":
        ews = EwsCalendar(sandbox.services["ews"], owner, owner,
                          sandbox.state.tokens.issue("ews", owner), ca_bundle=sandbox.ca_path,
                          time_zone="Europe/London")
        return CalendarUnderTest(ews, owner, sandbox, http)
    session = build_session(name, HttpSettings(ca_bundle=sandbox.ca_path, backoff_factor=0))
    tokens = StaticTokenSource(sandbox.state.tokens.issue(name, owner))
    provider: CalendarProvider
    if name == "graph":
        provider = GraphCalendar(session, sandbox.origins["graph"], tokens,
                                 time_zone="Europe/London")
    else:
        # every request the Google provider sends must match the discovery document
        session.hooks["response"].append(DiscoveryChecker().hook)
        provider = GoogleCalendar(session, sandbox.origins["google"], tokens,
                                  time_zone="Europe/London")
    return CalendarUnderTest(provider, owner, sandbox, http)


@pytest.fixture(params=["graph", "google", "ews"])
def calendar(request: pytest.FixtureRequest, clean_sandbox: SandboxRuntime
             ) -> CalendarUnderTest:
    return calendar_under_test(clean_sandbox, request.param)
