"""Creates that cannot duplicate: lost answers, outages, refusals, a slow first attempt
with a retry of the same key, and a request that died half way (in-process failpoints;
tests/e2e/test_crash.py kills real processes)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import time_machine
from sqlalchemy import select

from addin.sandbox import SandboxRuntime
from addin.services import failpoints, idempotency
from addin.services.outbox.queue import MAX_ATTEMPTS, process_outbox
from addin.store.models import MirroredEvent, OutboxOperation
from tests.web.conftest import AVA, CLEO
from tests.web.test_api_events import BODY

Bearer = Callable[[str], dict[str, str]]


def _fault(sandbox: SandboxRuntime, upstream: requests.Session, **fault: Any) -> None:
    """Arm a fault for the next request (the caller made one already, so an access token
    that an earlier test expired in the shared sandbox is refreshed by then)."""
    assert upstream.post(sandbox.services["faults"], json=fault).status_code == 201


def _warm(client: Any, headers: dict[str, str], base: str = "") -> None:
    """One Salesforce call first: refreshes an access token an earlier test expired."""
    answer = client.get(f"{base}/api/v1/records?q=Acme&types=Account", headers=headers)
    assert answer.status_code == 200


def _events(sandbox: SandboxRuntime, subject: str) -> list[dict[str, Any]]:
    org = sandbox.apps["salesforce"].extensions["salesforce_org"]
    # list() copies in one step: the sandbox's threads may be adding an Event meanwhile
    return [e for e in list(org.records["Event"].values()) if e.get("Subject") == subject]


def _items(sandbox: SandboxRuntime, email: str, subject: str) -> list[Any]:
    if email == CLEO:
        calendar = sandbox.apps["google"].extensions["google_calendar"]
        return [i for i in calendar.store.live(email) if i.resource.get("summary") == subject]
    mailbox = sandbox.apps["graph"].extensions["graph"].store.live(email)
    return [i for i in mailbox if i.resource.get("subject") == subject]


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def _open_intents(services: Any) -> list[OutboxOperation]:
    with services.db.session() as session:
        return list(session.scalars(select(OutboxOperation).where(
            OutboxOperation.state.in_(("pending", "running")))))


def _after_leases(services: Any) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=services.settings.outbox_lease_seconds + 1)


def _end_leases(services: Any) -> None:
    with services.db.session() as session:
        for op in session.scalars(select(OutboxOperation).where(
                OutboxOperation.state == "running")):
            op.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)


@pytest.fixture
def armed() -> Iterator[Callable[[str], None]]:
    yield lambda spec: failpoints.arm(spec)
    failpoints.arm("")


@pytest.mark.parametrize("email", [AVA, CLEO])
def test_a_lost_salesforce_answer_then_a_retry_makes_one_event(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session, email: str) -> None:
    subject = f"Lost answer {email}"
    headers = {**bearer(email), "Idempotency-Key": f"lost-{email}"}
    _warm(client, headers)
    _fault(clean_sandbox, upstream, service="salesforce", status=500, applied=True)
    first = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert first.status_code == 202, first.json
    assert first.json["sync"]["state"] == "pending"
    assert len(_events(clean_sandbox, subject)) == 1  # Salesforce did create it
    retry = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert retry.status_code == 201, retry.json
    assert [e["Id"] for e in _events(clean_sandbox, subject)] == [retry.json["event"]["id"]]
    assert len(_items(clean_sandbox, email, subject)) == 1
    assert _open_intents(services) == []
    again = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert again.status_code == 201 and again.json == retry.json


def test_a_lost_answer_without_a_key_is_completed_once_by_the_worker(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    subject = "Lost answer, no key"
    _warm(client, bearer(AVA))
    _fault(clean_sandbox, upstream, service="salesforce", status=504, applied=True)
    first = client.post("/api/v1/events", json={**BODY, "subject": subject},
                        headers=bearer(AVA))
    assert first.status_code == 202
    assert process_outbox(services, now=_after_leases(services)) == 1
    events = _events(clean_sandbox, subject)
    assert len(events) == 1
    assert len(_items(clean_sandbox, AVA, subject)) == 1
    with services.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.salesforce_event_id == events[0]["Id"]))
        assert row is not None and row.state == "mirrored"
    assert _open_intents(services) == []


def test_an_outage_keeps_what_was_typed_and_the_worker_creates_it_once(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    subject = "Salesforce down"
    _warm(client, bearer(AVA))
    _fault(clean_sandbox, upstream, service="salesforce", status=500, times=1)
    first = client.post("/api/v1/events", json={**BODY, "subject": subject},
                        headers=bearer(AVA))
    assert first.status_code == 202
    assert "will be created once" in first.json["sync"]["detail"]
    assert _events(clean_sandbox, subject) == []
    assert process_outbox(services, now=_after_leases(services)) == 1
    assert len(_events(clean_sandbox, subject)) == 1
    assert process_outbox(services, now=_after_leases(services)) == 0
    assert len(_events(clean_sandbox, subject)) == 1


def test_a_refusal_for_good_frees_the_key_and_keeps_no_intent(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    headers = {**bearer(AVA), "Idempotency-Key": "refused-1"}
    bad = {**BODY, "subject": "Refused", "whoId": "003000000000999AAA"}  # no such Contact
    refused = client.post("/api/v1/events", json=bad, headers=headers)
    assert refused.status_code == 400, refused.json
    assert _open_intents(services) == []
    good = {**BODY, "subject": "Refused"}
    assert client.post("/api/v1/events", json=bad, headers=headers).status_code == 400
    assert client.post("/api/v1/events", json=good,
                       headers={**headers, "Idempotency-Key": "refused-2"}).status_code == 201


def test_a_retry_never_takes_over_a_slow_first_attempt(
        live_server: str, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request waits on a slow Salesforce; the retry of its key (sent while it
    runs) answers 409 in_progress instead of creating a second Event."""
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    subject = "Slow first attempt"
    headers = {**bearer(AVA), "Idempotency-Key": "slow-1"}
    _warm(requests, headers, live_server)
    _fault(clean_sandbox, upstream, service="salesforce", status=0, delayMs=2500)
    answers: list[requests.Response] = []
    first = threading.Thread(target=lambda: answers.append(requests.post(
        f"{live_server}/api/v1/events", json={**BODY, "subject": subject}, headers=headers,
        timeout=30)))
    first.start()
    time.sleep(0.8)
    retry = requests.post(f"{live_server}/api/v1/events", json={**BODY, "subject": subject},
                          headers=headers, timeout=30)
    assert retry.status_code == 409, retry.text
    assert retry.json()["error"]["code"] == "in_progress"
    assert retry.headers["Retry-After"]
    first.join()
    assert answers[0].status_code == 201
    later = requests.post(f"{live_server}/api/v1/events", json={**BODY, "subject": subject},
                          headers=headers, timeout=30)
    assert later.status_code == 201 and later.json() == answers[0].json()
    assert len(_events(clean_sandbox, subject)) == 1


@pytest.mark.parametrize("point", ["create.before_salesforce", "create.after_salesforce",
                                   "create.after_calendar", "create.before_answer"])
@pytest.mark.parametrize("retry", [True, False])
def test_a_request_that_died_is_completed_once(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        armed: Callable[[str], None], point: str, retry: bool) -> None:
    subject = f"Died at {point} {retry}"
    headers = {**bearer(CLEO), "Idempotency-Key": f"died-{point}-{retry}"}
    armed(f"{point}=raise")
    died = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert died.status_code == 500  # the process "died" here (InjectedFault)
    armed("")
    if retry:  # the lease ends, and the client's retry of the key takes the intent over
        _end_leases(services)
    else:  # nobody retries: the worker completes it once the lease has ended
        process_outbox(services, now=_after_leases(services))
    replay = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert replay.status_code == 201, replay.json
    assert len(_events(clean_sandbox, subject)) == 1
    assert len(_items(clean_sandbox, CLEO, subject)) == 1
    assert replay.json["sync"]["state"] == "mirrored"
    assert _open_intents(services) == []


def test_a_calendar_refusal_for_good_is_not_retried(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    _fault(clean_sandbox, upstream, service="google", status=400)
    created = client.post("/api/v1/events", json={**BODY, "subject": "Calendar says no"},
                          headers=bearer(CLEO))
    assert created.status_code == 201
    sync = created.json["sync"]
    assert sync["state"] == "failed"
    assert "refused" in sync["detail"] and "://" not in sync["detail"]
    assert _open_intents(services) == []
    assert process_outbox(services, now=_after_leases(services)) == 0


def test_a_timed_out_attempt_is_waited_for_before_the_look_up(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """The client gave up on Salesforce (a timeout) while the create was still on its way:
    a retry right away would look for the Event before it exists and send it twice. It
    hears 409 in_progress until the attempt has surely landed, then gets that Event."""
    # before the first upstream session
    services.settings = replace(services.settings, http_timeout_seconds=0.5)
    subject = "Timed out on the way"
    headers = {**bearer(AVA), "Idempotency-Key": "timed-out-1"}
    _warm(client, headers)
    _fault(clean_sandbox, upstream, service="salesforce", status=0, delayMs=1500)
    first = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert first.status_code == 202, first.json
    retry = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert retry.status_code == 409 and retry.json["error"]["code"] == "in_progress"
    time.sleep(float(retry.headers["Retry-After"]) + 0.2)
    done = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert done.status_code == 201, done.json
    assert [e["Id"] for e in _events(clean_sandbox, subject)] == [done.json["event"]["id"]]
    assert len(_items(clean_sandbox, AVA, subject)) == 1



def test_worker_rounds_while_the_attempt_may_land_spend_no_attempts(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """Worker rounds faster than the wait for a timed-out attempt (the fault soak's clock
    runs hours a round) must not use up the intent's attempts on waiting: it would be left
    dead with its Event in Salesforce and no calendar item. After the wait, one Event."""
    # before the first upstream session
    services.settings = replace(services.settings, http_timeout_seconds=0.5)
    subject = "Waited for by the worker"
    headers = {**bearer(AVA), "Idempotency-Key": "worker-waits-1"}
    _warm(client, headers)
    _fault(clean_sandbox, upstream, service="salesforce", status=0, delayMs=1500)
    first = client.post("/api/v1/events", json={**BODY, "subject": subject}, headers=headers)
    assert first.status_code == 202, first.json
    [intent] = [op for op in _open_intents(services) if op.payload.get("idempotencyKeyId")
                and op.payload["salesforceFields"].get("Subject") == subject]
    ended = datetime.fromisoformat(intent.payload["attemptEndedAt"])
    may_land_until = ended + timedelta(seconds=2 * services.settings.http_timeout_seconds)
    later = _after_leases(services)
    # the rounds all happen within the wait, however slow this machine is: the product's
    # clock stands still just after the attempt ended (the rounds' own clock runs hours)
    with time_machine.travel(ended + timedelta(milliseconds=10), tick=False):
        for round_number in range(MAX_ATTEMPTS + 5):
            process_outbox(services, now=later + timedelta(hours=2 * round_number))
    with services.db.session() as session:
        waiting = session.get(OutboxOperation, intent.id)
        assert waiting is not None
        assert waiting.state == "pending" and waiting.attempts == intent.attempts
    _wait_until(lambda: len(_events(clean_sandbox, subject)) == 1)  # the slow attempt landed
    with time_machine.travel(may_land_until + timedelta(milliseconds=10), tick=False):
        assert process_outbox(services, now=later + timedelta(days=3)) >= 1
    assert len(_events(clean_sandbox, subject)) == 1
    assert len(_items(clean_sandbox, AVA, subject)) == 1
    assert intent.id not in {op.id for op in _open_intents(services)}


@pytest.fixture
def own_app(tmp_path: Any, own_sandbox: SandboxRuntime) -> Iterator[Any]:
    from addin import create_app
    from addin.config import settings_for_tests

    own_sandbox.state.faults.clear()
    application = create_app(settings_for_tests(str(tmp_path / "instance"),
                                                http_timeout_seconds=0.5),
                             sandbox=own_sandbox)
    yield application
    application.extensions["addin"].db.dispose()


def _bearer_of(app: Any, email: str) -> dict[str, str]:
    from addin.store.models import User

    services = app.extensions["addin"]
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    return {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}


def test_with_the_request_id_field_a_retry_is_an_upsert(
        own_app: Any, own_sandbox: SandboxRuntime) -> None:
    """The admin installs the External ID field; from then on a create is an upsert by its
    request id: a lost answer, or an attempt still in flight, is retried at once and
    still makes one Event."""
    client = own_app.test_client()
    http = requests.Session()
    http.verify, http.trust_env = own_sandbox.ca_path, False
    refused = client.post("/api/v1/admin/salesforce-setup",
                          headers=_bearer_of(own_app, "ben.carter@acme-sales.example"))
    assert refused.status_code == 403
    setup = client.post("/api/v1/admin/salesforce-setup", headers=_bearer_of(own_app, AVA))
    assert setup.status_code == 200, setup.json
    assert setup.json["requestIdField"] == "added"
    assert setup.json["settings"]["requestIdField"] is True
    again = client.post("/api/v1/admin/salesforce-setup", headers=_bearer_of(own_app, AVA))
    assert again.json["requestIdField"] == "already there"
    headers = {**_bearer_of(own_app, AVA), "Idempotency-Key": "upsert-1"}
    _warm(client, headers)
    for number, fault in enumerate(({"status": 500, "applied": True},
                                    {"status": 0, "delayMs": 1200})):
        subject = f"Upserted {number}"
        headers["Idempotency-Key"] = f"upsert-{number}"
        _fault(own_sandbox, http, service="salesforce", **fault)
        first = client.post("/api/v1/events", json={**BODY, "subject": subject},
                            headers=headers)
        assert first.status_code == 202, first.json
        retry = client.post("/api/v1/events", json={**BODY, "subject": subject},
                            headers=headers)
        assert retry.status_code == 201, retry.json  # no waiting: an upsert cannot double
        time.sleep(1.0)  # the attempt in flight lands: an update of the same Event
        events = _events(own_sandbox, subject)
        assert [e["Id"] for e in events] == [retry.json["event"]["id"]]
        assert events[0]["Addin_Request_Id__c"]
        assert len(_items(own_sandbox, AVA, subject)) == 1


def test_a_stranded_pending_mirror_is_queued_again(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """A mirror row left pending with no outbox entry (a process that died before it wrote
    one, or a row from before intents) is found by the worker and completed once."""
    from addin.services.events import requeue_stranded_mirrors

    _fault(clean_sandbox, upstream, service="google", status=503, times=4)
    created = client.post("/api/v1/events", json={**BODY, "subject": "Stranded"},
                          headers=bearer(CLEO))
    assert created.status_code == 201 and created.json["sync"]["state"] == "pending"
    with services.db.session() as session:  # the outbox entry is lost
        for op in session.scalars(select(OutboxOperation)):
            session.delete(op)
    later = _after_leases(services)
    assert requeue_stranded_mirrors(services, now=later) == 1
    assert requeue_stranded_mirrors(services, now=later) == 0  # checked a moment ago
    assert process_outbox(services, now=later) == 1
    assert len(_items(clean_sandbox, CLEO, "Stranded")) == 1
    assert requeue_stranded_mirrors(services, now=later + timedelta(hours=1)) == 0


def test_a_calendar_connection_that_expired_keeps_the_event_pending(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """Microsoft no longer honours the stored refresh token: the Event is created, its
    mirror waits for the person to connect again (never a 500)."""
    from addin.store.models import Connection, User

    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == AVA))
        connection = session.scalar(select(Connection).where(
            Connection.user_id == user_id, Connection.service == "graph"))
        refresh = services.cipher.decrypt(connection.refresh_token_encrypted)
    clean_sandbox.state.tokens.revoke(refresh)
    upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/oauth/expire",
                  json={"email": AVA})
    created = client.post("/api/v1/events", json={**BODY, "subject": "Expired calendar"},
                          headers=bearer(AVA))
    assert created.status_code == 201, created.json
    assert created.json["sync"]["state"] == "pending"
    assert "connect it again" in created.json["sync"]["detail"]
    view = client.get(f"/api/v1/events/{created.json['event']['id']}", headers=bearer(AVA))
    assert view.status_code == 200  # the calendar read fails quietly; the Event is there
