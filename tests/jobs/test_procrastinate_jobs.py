"""Procrastinate workers as real processes on PostgreSQL: one mailbox is never worked on by
two workers at once, and a worker killed with SIGKILL in the middle of a pass loses nothing
and does nothing twice (its job goes back to the queue once its heartbeats stop)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from addin.jobs import job_queue
from addin.jobs.procrastinate_jobs import ProcrastinateQueue
from addin.store.models import MailboxRun, User
from tests.clock import at, day, z
from tests.jobs.conftest import SECRET_KEY, add_invitee_in_salesforce, mail_to
from tests.processes import SandboxProcess, WorkerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

AVA = "ava.martin@acme-sales.example"  # Graph, Lightning
GUEST = "o'brien@acme.example"
FAST_RECOVERY = {"ADDIN_WORKER_HEARTBEAT_SECONDS": "1", "ADDIN_WORKER_STALLED_SECONDS": "4",
                 "ADDIN_OUTBOX_LEASE_SECONDS": "5", "ADDIN_WORKER_CONCURRENCY": "4",
                 "ADDIN_SECRET_KEY": SECRET_KEY,
                 # nothing listens there: push subscriptions fail, and are retried
                 "ADDIN_PUBLIC_URL": "http://127.0.0.1:9"}


def _worker(tmp_path: Path, world: SandboxProcess, database: str, name: str,
            **env: str) -> WorkerProcess:
    return WorkerProcess(tmp_path / name, world.url, database, **FAST_RECOVERY, **env)


def _create(product: Any, email: str, subject: str) -> dict[str, Any]:
    services = product.extensions["addin"]
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    answer = product.test_client().post(
        "/api/v1/events", json={"subject": subject, "start": z(at(day(17), "09:00")),
                                "end": z(at(day(17), "09:30"))},
        headers={"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"})
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def _runs(product: Any) -> list[MailboxRun]:
    with product.extensions["addin"].db.session() as session:
        return list(session.scalars(select(MailboxRun).order_by(MailboxRun.started_at)))


def _jobs(product: Any, task: str = "addin.sync_mailbox") -> Counter[str]:
    """The sync jobs by status (a failing subscription's retries wait much longer)."""
    with product.extensions["addin"].db.session() as session:
        return Counter(status for (status,) in session.execute(text(
            "SELECT status::text FROM procrastinate_jobs WHERE task_name = :task"),
            {"task": task}))


def _wait(condition: Callable[[], bool], seconds: float, why: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(why())


def _overlaps(runs: list[MailboxRun]) -> list[tuple[int, str, str]]:
    """Runs on one mailbox that began before the previous one on it ended."""
    found = []
    ended: dict[int, datetime] = {}
    for run in runs:
        previous_end = ended.get(run.user_id)
        if previous_end is not None and run.started_at < previous_end:
            found.append((run.user_id, run.worker, str(run.started_at)))
        if run.finished_at is not None:
            ended[run.user_id] = max(run.finished_at, previous_end or run.finished_at)
    return found


def test_two_workers_never_work_on_one_mailbox_at_once(
        tmp_path: Path, world: SandboxProcess, jobs_database: str, product: Any) -> None:
    services = product.extensions["addin"]
    with services.db.session() as session:
        users = dict(session.execute(select(User.email, User.id).where(
            User.salesforce_user_id.is_not(None))).all())
    for email in users:
        for number in range(2):
            _create(product, email, f"Overlap {email[:4]} {number}")
    queue = job_queue(services)
    assert isinstance(queue, ProcrastinateQueue)
    workers = [_worker(tmp_path, world, jobs_database, f"w{n}").start() for n in range(2)]
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:  # a pass asked for every mailbox, over and over
            for user_id in users.values():
                queue.sync(user_id, "test")
            time.sleep(0.05)
        _wait(lambda: not (_jobs(product).keys() & {"todo", "doing"}), 60,
              lambda: f"passes still queued or running: {_jobs(product)}")
    finally:
        for worker in workers:
            worker.stop()
    runs = [run for run in _runs(product) if run.job == "sync"]
    per_user = Counter(run.user_id for run in runs)
    assert set(per_user) == set(users.values())
    assert min(per_user.values()) >= 3, per_user  # each mailbox was synced again and again
    by_worker: dict[int, set[str]] = defaultdict(set)
    for run in runs:
        by_worker[run.user_id].add(run.worker)
    assert any(len(names) == 2 for names in by_worker.values()), by_worker  # both took turns
    assert all(run.finished_at is not None for run in runs)
    assert _overlaps(runs) == []


def test_a_worker_killed_mid_pass_loses_nothing_and_does_nothing_twice(
        tmp_path: Path, world: SandboxProcess, jobs_database: str, product: Any) -> None:
    created = _create(product, AVA, "Killed mid-pass")
    services = product.extensions["addin"]
    with services.db.session() as session:
        ava = session.scalar(select(User.id).where(User.email == AVA))
    # the first pass of each mailbox sets its cursors; the change comes after it
    first = _worker(tmp_path, world, jobs_database, "first").start()
    _wait(lambda: any(r.user_id == ava and r.finished_at for r in _runs(product)), 60,
          lambda: "no first pass:\n" + first.log())
    first.stop()
    add_invitee_in_salesforce(world, created["event"]["id"], GUEST)
    doomed = _worker(tmp_path, world, jobs_database, "doomed",
                     ADDIN_FAILPOINTS="sync.after_calendar=kill").start()
    job_queue(services).sync_requested()
    ProcrastinateQueue.sync(job_queue(services), ava, "test")  # type: ignore[arg-type]
    assert doomed.process is not None
    doomed.process.wait(timeout=60)  # the calendar has invited the guest; then SIGKILL
    assert doomed.process.returncode == -9, doomed.log()
    assert mail_to(world, GUEST, "Killed mid-pass") == ["invitation"]
    unfinished = [r for r in _runs(product) if r.user_id == ava and r.finished_at is None]
    assert len(unfinished) == 1
    rescuer = _worker(tmp_path, world, jobs_database, "rescuer").start()
    try:
        _wait(lambda: any(r.user_id == ava and r.finished_at and r.outcome == "done"
                          and r.started_at > unfinished[0].started_at
                          for r in _runs(product)), 60,
              lambda: "the killed pass was not taken over:\n" + rescuer.log())
        _wait(lambda: "doing" not in _jobs(product), 30, lambda: str(_jobs(product)))
    finally:
        rescuer.stop()
    assert mail_to(world, GUEST, "Killed mid-pass") == ["invitation"]  # once, not twice
    assert _overlaps([r for r in _runs(product) if r.job == "sync"]) == []
    event = world.upstream().get(
        f"{world.index()['services']['salesforce']}/services/data/v62.0/query",
        params={"q": "SELECT RelationId FROM EventRelation WHERE EventId = "
                     f"'{created['event']['id']}'"},
        headers=_salesforce_token(world, AVA), timeout=10).json()
    assert event["totalSize"] == 1  # the guest, once


def _salesforce_token(world: SandboxProcess, email: str) -> dict[str, str]:
    person = next(u for u in world.index()["users"] if u["email"] == email)
    return {"Authorization": f"Bearer {person['upstreamTokens']['salesforce']}"}
