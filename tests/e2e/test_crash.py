"""The crash suite: real `addin serve` processes killed with SIGKILL at each step of a create
and of an attendee edit (a failpoint armed through ADDIN_FAILPOINTS), restarted against the
same database and the same standalone `addin sandbox`, with and without the client's retry.
Afterwards: exactly one Salesforce Event, one calendar item, one invitation per added
person, and no intent left pending. The emulators run in their own process, so they keep
what the killed product had done upstream, as the real services would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.clock import at, day, z
from tests.figures import record
from tests.processes import SandboxProcess, ServeProcess

pytestmark = pytest.mark.e2e

AVA = "ava.martin@acme-sales.example"  # Graph, Lightning
CLEO = "cleo.nguyen@acme-sales.example"  # Google, Lightning
GUEST = "o'brien@acme.example"
GUEST_ID = "003000000000001AAA"
LEASE_SECONDS = "5"  # the worker of the restarted product takes over after this
SETTLE_SECONDS = 45.0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    with SandboxProcess(tmp_path_factory.mktemp("crash-sandbox")) as sandbox:
        yield sandbox


class Crash:
    """One product (database + port) against the shared sandbox, restartable with or
    without a failpoint armed."""

    def __init__(self, folder: Path, world: SandboxProcess):
        self.world, self.database = world, folder / "product.sqlite3"
        self.serve = ServeProcess(folder, world.url, f"sqlite:///{self.database}",
                                  ADDIN_OUTBOX_LEASE_SECONDS=LEASE_SECONDS)
        self.index = world.index()
        self.upstream = world.upstream()

    def start(self, failpoint: str = "") -> None:
        self.serve.env["ADDIN_FAILPOINTS"] = f"{failpoint}=kill" if failpoint else ""
        self.serve.start()

    def restart(self) -> None:
        """The process died (or is killed now); it comes back with nothing armed."""
        self.serve.kill()
        self.start()

    def send(self, method: str, path: str, email: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.serve.url}{path}", timeout=30,
                                headers={**self.serve.bearer(email),
                                         **kwargs.pop("headers", {})}, **kwargs)

    def send_dying(self, method: str, path: str, email: str, **kwargs: Any) -> None:
        """A request during which the process dies: the client sees the connection drop."""
        with pytest.raises(requests.ConnectionError):
            self.send(method, path, email, **kwargs)
        assert self.serve.process is not None
        self.serve.process.wait(timeout=10)
        assert self.serve.process.returncode == -9, self.serve.log()

    # -- what is upstream ----------------------------------------------------------------
    def _token(self, email: str, service: str) -> dict[str, str]:
        person = next(u for u in self.index["users"] if u["email"] == email)
        return {"Authorization": f"Bearer {person['upstreamTokens'][service]}"}

    def salesforce_events(self, email: str, subject: str) -> list[str]:
        soql = f"SELECT Id FROM Event WHERE Subject = '{subject}' AND IsChild = false"
        answer = self.upstream.get(
            f"{self.index['services']['salesforce']}/services/data/v62.0/query",
            params={"q": soql}, headers=self._token(email, "salesforce"), timeout=10)
        assert answer.status_code == 200, answer.text
        return [r["Id"] for r in answer.json()["records"]]

    def calendar_items(self, email: str, subject: str) -> list[dict[str, Any]]:
        if email == CLEO:
            url = f"{self.index['services']['google']}/calendars/primary/events"
            items = self.upstream.get(url, headers=self._token(email, "google"),
                                      timeout=10).json()["items"]
            return [i for i in items if i.get("summary") == subject
                    and i.get("status") != "cancelled"]
        url: str | None = f"{self.index['services']['graph']}/me/events"
        found: list[dict[str, Any]] = []
        while url:
            page = self.upstream.get(url, headers=self._token(email, "graph"), timeout=10).json()
            found += [i for i in page["value"] if i.get("subject") == subject]
            url = page.get("@odata.nextLink")
        return found

    def mail(self, subject: str) -> list[tuple[str, str]]:
        messages = self.upstream.get(self.index["services"]["mail"], timeout=10).json()
        rows = messages["messages"] if isinstance(messages, dict) else messages
        return sorted((m["to"].lower(), m["kind"]) for m in rows if m["subject"] == subject)

    def open_operations(self) -> list[tuple[str, str]]:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as connection:
                return [(kind, state) for kind, state in connection.execute(text(
                    "SELECT kind, state FROM outbox WHERE state != 'done'"))]
        finally:
            engine.dispose()

    def settle(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if done() and not self.open_operations():
                return
            time.sleep(0.25)
        raise AssertionError(f"did not settle: {self.open_operations()}\n{self.serve.log()}")


@pytest.fixture
def crash(tmp_path: Path, world: SandboxProcess) -> Iterator[Crash]:
    run = Crash(tmp_path, world)
    yield run
    run.serve.stop()


def _body(subject: str) -> dict[str, Any]:
    return {"subject": subject, "start": z(at(day(17), "09:00")), "end": z(at(day(17), "09:30"))}


CREATE_STEPS = [("create.before_salesforce", AVA), ("create.after_salesforce", AVA),
                ("create.after_calendar", AVA), ("create.after_calendar", CLEO),
                ("create.before_answer", CLEO)]


@pytest.mark.parametrize(("point", "email"), CREATE_STEPS)
@pytest.mark.parametrize("retry", [True, False], ids=["client-retries", "no-retry"])
def test_a_create_killed_at_each_step(crash: Crash, point: str, email: str,
                                      retry: bool) -> None:
    subject = f"Crash {point} {email.split('.')[0]} {retry}"
    key = {"Idempotency-Key": f"crash-{point}-{email}-{retry}"}
    crash.start(point)
    crash.send_dying("POST", "/api/v1/events", email, json=_body(subject), headers=key)
    crash.restart()
    if retry:
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:  # 409 in_progress while the dead request's lease lasts
            answer = crash.send("POST", "/api/v1/events", email, json=_body(subject),
                                headers=key)
            if answer.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        assert answer.status_code == 201, answer.text
    crash.settle(lambda: len(crash.salesforce_events(email, subject)) >= 1
                 and len(crash.calendar_items(email, subject)) >= 1)
    events = crash.salesforce_events(email, subject)
    items = crash.calendar_items(email, subject)
    record(f"create killed at {point} ({email.split('.')[0]}, "
                   f"{'retry' if retry else 'no retry'}): {len(events)} Event, "
                   f"{len(items)} item, {len(crash.open_operations())} pending")
    assert len(events) == 1 and len(items) == 1
    if retry:
        assert answer.json()["event"]["id"] == events[0]
    assert crash.mail(subject) == []  # an appointment: nobody is emailed


EDIT_STEPS = ["edit.before_calendar", "edit.after_calendar", "edit.after_salesforce"]


@pytest.mark.parametrize("point", EDIT_STEPS)
@pytest.mark.parametrize("email", [AVA, CLEO])
@pytest.mark.parametrize("retry", [True, False], ids=["client-retries", "no-retry"])
def test_an_attendee_edit_killed_at_each_step(crash: Crash, point: str, email: str,
                                              retry: bool) -> None:
    subject = f"Edit crash {point} {email.split('.')[0]} {retry}"
    crash.start()
    created = crash.send("POST", "/api/v1/events", email, json=_body(subject))
    assert created.status_code == 201, created.text
    event_id = created.json()["event"]["id"]
    crash.serve.kill()
    crash.start(point)
    attendees = {"attendees": [{"email": GUEST}]}
    crash.send_dying("PUT", f"/api/v1/events/{event_id}/attendees", email, json=attendees)
    crash.restart()
    if retry:
        answer = crash.send("PUT", f"/api/v1/events/{event_id}/attendees", email,
                            json=attendees)
        assert answer.status_code == 200, answer.text
    elif point != "edit.before_calendar":  # the next pass completes what reached a side
        synced = requests.post(f"{crash.serve.url}/sandbox/sync", json={"email": email},
                               timeout=60)
        assert synced.status_code == 200, synced.text
    view = crash.send("GET", f"/api/v1/events/{event_id}", email).json()
    expected = [] if (point == "edit.before_calendar" and not retry) else [GUEST]
    items = crash.calendar_items(email, subject)
    record(f"edit killed at {point} ({email.split('.')[0]}, "
                   f"{'retry' if retry else 'no retry'}): {len(items)} item, "
                   f"{len(crash.mail(subject))} invitation(s), "
                   f"{len(crash.open_operations())} pending")
    assert len(items) == 1
    assert sorted(a["email"].lower() for a in view["attendees"]) == expected, \
        crash.serve.log()[-4000:]
    assert crash.mail(subject) == [(g, "invitation") for g in expected]
    assert [a["record"]["id"] for a in view["attendees"] if a.get("record")] == (
        [GUEST_ID] if expected else [])
    assert crash.open_operations() == []
