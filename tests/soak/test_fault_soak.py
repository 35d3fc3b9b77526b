"""The fault soak: a seeded run of creates, attendee edits, sync passes and worker rounds
for three organizers (Graph Lightning, Graph Classic, Google Lightning), with a fault
before most operations: 429, 500, 503, answers lost after the work was done (the
sandbox's ``applied`` faults), and timeouts, on every service. Clients behave as the
sidebar does: they retry with the same Idempotency-Key or the same attendee list until
they get an answer. After everything settles (faults off, worker and passes until quiet):

- every create made exactly one Salesforce Event and one calendar item;
- every event holds, on both sides, the last attendee list the sidebar had accepted;
- every person added got exactly one invitation, every person removed one cancellation;
- the outbox holds nothing pending, running or failed.

The suite runs a short soak (120 operations, seed 17) on every run; ``pytest tests/soak
--soak`` runs the long one (300 operations). ``SOAK_OPERATIONS`` and ``SOAK_SEED`` change
either; the figures are printed at the end of the run and kept in docs/reliability.md.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin import create_app
from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import load_user
from addin.config import settings_for_tests
from addin.providers.calendar.provider import CalendarError
from addin.providers.salesforce.client import SalesforceError
from addin.sandbox import SandboxRuntime
from addin.services.outbox.queue import process_outbox
from addin.services.sync_pass import sync_user
from addin.store.models import OutboxOperation, User
from tests.clock import at, day, z
from tests.figures import record

SHORT, LONG = 120, 300  # operations: the suite's soak, and --soak's
SEED = int(os.environ.get("SOAK_SEED", "17"))
ORGANIZERS = ["ava.martin@acme-sales.example", "ben.carter@acme-sales.example",
              "cleo.nguyen@acme-sales.example"]
CONTACTS = {"o'brien@acme.example": "003000000000001AAA",
            "noah.smith@acme.example": "003000000000002AAA",
            "liam.jones@globex.example": "003000000000003AAA"}
POOL = [*CONTACTS, "soak.one@unlinked.example", "soak.two@unlinked.example",
        "soak.three@unlinked.example"]
SERVICES = {"ava.martin@acme-sales.example": "graph",
            "ben.carter@acme-sales.example": "graph",
            "cleo.nguyen@acme-sales.example": "google"}
FAULTS: list[dict[str, Any]] = [
    {"status": 429, "retryAfter": 0}, {"status": 500}, {"status": 503},
    {"status": 500, "applied": True}, {"status": 502, "applied": True},
    {"status": 0, "delayMs": 800},  # longer than the client's 0.5 s timeout
]
TRIES = 8


@dataclass
class SoakEvent:
    organizer: str
    subject: str
    key: str
    event_id: str | None = None
    accepted: list[str] = field(default_factory=list)
    ever_added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)


@dataclass
class Tally:
    operations: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def soak_app(tmp_path: Any, clean_sandbox: SandboxRuntime) -> Iterator[Any]:
    settings = settings_for_tests(str(tmp_path / "instance"), http_timeout_seconds=0.5,
                                  http_max_retry_after_seconds=0.2)
    application = create_app(settings, sandbox=clean_sandbox)
    yield application
    application.extensions["addin"].db.dispose()


class Soak:
    def __init__(self, app: Any, sandbox: SandboxRuntime, http: requests.Session):
        self.client, self.services = app.test_client(), app.extensions["addin"]
        self.sandbox, self.http = sandbox, http
        self.rng = random.Random(SEED)
        self.events: list[SoakEvent] = []
        self.tally = Tally()
        self.clock = datetime.now(UTC)
        self.users: dict[str, Any] = {}
        self.headers: dict[str, dict[str, str]] = {}
        with self.services.db.session() as session:
            for email in ORGANIZERS:
                user_id = session.scalar(select(User.id).where(User.email == email))
                self.users[email] = load_user(self.services, user_id)
                self.headers[email] = {
                    "Authorization": f"Bearer {self.services.api_tokens.mint(user_id)}"}

    # -- the world's misbehaviour ---------------------------------------------------------
    def maybe_fault(self, services: list[str]) -> None:
        if self.rng.random() < 0.35:
            return
        service = self.rng.choice(services)
        fault = dict(self.rng.choice(FAULTS))
        self.tally.faults[f"{service} {fault['status'] or 'timeout'}"
                          f"{' applied' if fault.get('applied') else ''}"] += 1
        answer = self.http.post(self.sandbox.services["faults"],
                                json={"service": service, "times": 1, **fault})
        assert answer.status_code == 201

    def later(self) -> datetime:
        """The worker's clock, two hours further each round: every lease and backoff has
        ended (the outbox's longest backoff is one hour)."""
        self.clock += timedelta(hours=2)
        return self.clock

    # -- what people and the worker do -----------------------------------------------------
    def create(self, number: int) -> None:
        organizer = self.rng.choice(ORGANIZERS)
        event = SoakEvent(organizer, f"Soak {SEED}-{number}", f"soak-{SEED}-{number}")
        self.events.append(event)
        body = {"subject": event.subject, "start": z(at(day(16), "09:00")),
                "end": z(at(day(16), "09:30"))}
        headers = {**self.headers[organizer], "Idempotency-Key": event.key}
        for _ in range(TRIES):
            self.maybe_fault(["salesforce", SERVICES[organizer]])
            answer = self.client.post("/api/v1/events", json=body, headers=headers)
            self.tally.answers[f"create {answer.status_code}"] += 1
            if answer.status_code == 201:
                event.event_id = answer.json["event"]["id"]
                return
            assert answer.status_code in (202, 409, 500, 502, 503), answer.json
            if self.rng.random() < 0.5:
                self.work(organizer)

    def edit(self) -> None:
        ready = [e for e in self.events if e.event_id]
        if not ready:
            return
        event = self.rng.choice(ready)
        addable = [p for p in POOL if p not in event.accepted and p not in event.ever_added]
        if event.accepted and (not addable or self.rng.random() < 0.35):
            desired = list(event.accepted)
            desired.remove(self.rng.choice(desired))
        elif addable:
            desired = [*event.accepted, self.rng.choice(addable)]
        else:
            return
        for _ in range(TRIES):
            self.maybe_fault(["salesforce", SERVICES[event.organizer]])
            answer = self.client.put(f"/api/v1/events/{event.event_id}/attendees",
                                     json={"attendees": [{"email": a} for a in desired]},
                                     headers=self.headers[event.organizer])
            self.tally.answers[f"edit {answer.status_code}"] += 1
            if answer.status_code == 200:
                event.ever_added |= set(desired) - set(event.accepted)
                event.removed |= set(event.accepted) - set(desired)
                event.accepted = desired
                return
            assert answer.status_code in (409, 500, 502, 503), answer.json
            self.work(event.organizer)
        raise AssertionError(f"the edit of {event.subject} was never accepted")

    def sync(self) -> None:
        organizer = self.rng.choice(ORGANIZERS)
        self.maybe_fault(["salesforce", SERVICES[organizer]])
        self.pass_for(organizer)

    def pass_for(self, organizer: str) -> None:
        """One sync pass as the worker runs it: an upstream failure ends the pass (the
        worker logs it and polls again); anything else is a defect."""
        try:
            sync_user(self.services, self.users[organizer].id, "soak")
            self.tally.answers["sync done"] += 1
        except (SalesforceError, CalendarError):
            self.tally.answers["sync failed upstream"] += 1

    def work(self, *organizers: str) -> None:
        """Time passes: the worker completes what waits, a pass runs for these organizers
        (everyone by default)."""
        process_outbox(self.services, now=self.later())
        for organizer in organizers or ORGANIZERS:
            self.pass_for(organizer)

    def run(self, operations: int) -> None:
        for number in range(operations):
            # each operation draws from its own seeded stream: what one operation's answers
            # make it draw (retries) never shifts the plan of the ones after it
            self.rng = random.Random(f"{SEED}-{number}")
            roll = self.rng.random()
            kind = ("create" if roll < 0.3 else "edit" if roll < 0.7 else
                    "sync" if roll < 0.9 else "worker")
            self.tally.operations[kind] += 1
            if kind == "create":
                self.create(number)
            elif kind == "edit":
                self.edit()
            elif kind == "sync":
                self.sync()
            else:
                process_outbox(self.services, now=self.later())
        self.sandbox.state.faults.clear()
        for _ in range(3):
            self.work()
        for _ in range(20):  # what waits on the real clock (an attempt still in flight)
            if not self.open_operations():
                break
            time.sleep(0.5)
            self.work()

    def open_operations(self) -> list[str]:
        with self.services.db.session() as session:
            return list(session.scalars(select(OutboxOperation.state).where(
                OutboxOperation.state != "done")))


def _subject_of_event(sandbox: SandboxRuntime) -> Callable[[str], list[dict[str, Any]]]:
    org = sandbox.apps["salesforce"].extensions["salesforce_org"]

    def events(subject: str) -> list[dict[str, Any]]:
        return [e for e in org.records["Event"].values()
                if e.get("Subject") == subject and not e.get("IsChild")]
    return events


@pytest.fixture
def operations(request: pytest.FixtureRequest) -> int:
    default = LONG if request.config.getoption("--soak") else SHORT
    return int(os.environ.get("SOAK_OPERATIONS", default))


@pytest.mark.timeout(900)
def test_nothing_twice_nothing_lost_under_faults(soak_app: Any, clean_sandbox: SandboxRuntime,
                                                 upstream: requests.Session,
                                                 operations: int) -> None:
    soak = Soak(soak_app, clean_sandbox, upstream)
    soak.run(operations)
    events_with = _subject_of_event(clean_sandbox)
    duplicates_sf = duplicates_items = lost = 0
    for key, session in soak.services.caches.items():  # the faults are over: the check
        if key.startswith("http:"):                    # reads whole calendars, once each
            session.timeout = 30.0
    listed: dict[str, list[Any]] = {}
    for event in soak.events:
        found = events_with(event.subject)
        duplicates_sf += max(0, len(found) - 1)
        assert len(found) == 1, (event.subject, found)
        event.event_id = event.event_id or found[0]["Id"]
        user = soak.users[event.organizer]
        calendar = open_calendar(soak.services, user)
        if event.organizer not in listed:
            listed[event.organizer] = list(calendar.list_changes(None).changed)
        items = [i for i in listed[event.organizer] if i.subject == event.subject]
        duplicates_items += max(0, len(items) - 1)
        assert len(items) == 1, (event.subject, items)
        held = sorted(a.email.lower() for a in items[0].attendees_besides_organizer())
        relations = open_salesforce(soak.services, user).event_relations(event.event_id)
        invitees = sorted(r.relation_id for r in relations if r.is_invitee)
        if held != sorted(event.accepted) or invitees != sorted(
                CONTACTS[a] for a in event.accepted if a in CONTACTS):
            lost += 1
        assert held == sorted(event.accepted), event.subject
    mail = Counter((m["subject"], m["to"].lower(), m["kind"])
                   for m in clean_sandbox.state.mail.messages()
                   if m["kind"] in ("invitation", "cancellation"))
    expected = Counter({(e.subject, p, "invitation"): 1 for e in soak.events
                        for p in e.ever_added})
    expected.update({(e.subject, p, "cancellation"): 1 for e in soak.events
                     for p in e.removed})
    wrong_mail = sum(((mail - expected) + (expected - mail)).values())
    left = soak.open_operations()
    record(f"fault soak (seed {SEED}): {operations} operations {dict(soak.tally.operations)}; "
          f"{sum(soak.tally.faults.values())} faults injected; answers "
          f"{dict(sorted(soak.tally.answers.items()))}; {len(soak.events)} events, "
          f"{sum(len(e.ever_added) for e in soak.events)} attendees added, "
          f"{sum(len(e.removed) for e in soak.events)} removed; duplicate Events "
          f"{duplicates_sf}, duplicate items {duplicates_items}, lost edits {lost}, "
          f"missing or extra invitations/cancellations {wrong_mail}, outbox left "
          f"{len(left)}")
    assert lost == 0
    assert mail == expected
    assert left == []
