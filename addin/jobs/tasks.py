"""The background work, as plain functions of the services: the same functions run under
Procrastinate on PostgreSQL (addin/jobs/procrastinate_jobs.py) and in the in-process
runner on SQLite (addin/jobs/worker.py).

Every job on a mailbox (a sync pass, a subscription renewal, an outbox operation) is
written down in ``mailbox_runs`` when it starts and when it ends. The engine guarantees that
two jobs on one mailbox never run at once (Procrastinate's ``lock`` per mailbox; the
in-process runner is one thread); the rows are the record of it, and tell when a mailbox
was last polled.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from addin.container import Container
from addin.providers.salesforce import budget
from addin.services.change_events import poll_reason
from addin.services.failpoints import failpoint
from addin.services.org_settings import load_org_settings
from addin.services.push import RESUBSCRIBE
from addin.store.models import MailboxRun, OutboxOperation, User

log = logging.getLogger(__name__)
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
# reasons of passes nobody is waiting for: they wait when the org's budget is tight
BACKGROUND_REASONS = ("poll", "backfill")
KEEP_RUNS = timedelta(days=2)
SUBSCRIPTION_CHECK_EVERY = timedelta(hours=1)


class Deferred(Exception):
    """The job should run later (the org's Salesforce budget is tight)."""


@contextmanager
def mailbox_run(container: Container, user_id: int, job: str, reason: str
                ) -> Iterator[dict[str, str]]:
    """Record the start and the end of a job on one mailbox."""
    with container.db.session() as session:
        run = MailboxRun(user_id=user_id, job=job, reason=reason[:64],
                         worker=WORKER_NAME[:128], started_at=datetime.now(UTC))
        session.add(run)
        session.flush()
        run_id = run.id
    result = {"outcome": "done"}
    try:
        yield result
    except Deferred:
        result["outcome"] = "skipped"
        raise
    except BaseException:
        result["outcome"] = "failed"
        raise
    finally:
        with container.db.session() as session:
            session.execute(update(MailboxRun).where(MailboxRun.id == run_id).values(
                finished_at=datetime.now(UTC), outcome=result["outcome"]))


def organization_of(container: Container, user_id: int) -> int | None:
    with container.db.session() as session:
        return session.scalar(select(User.organization_id).where(User.id == user_id))


def sync_mailbox(container: Container, user_id: int, reason: str,
                 sync_user: Callable[[Container, int, str], Any] | None = None) -> str:
    """One sync pass for one user. A lifecycle notification (``resubscribe:...``) renews or
    recreates the push subscription first. A pass nobody asked for (a poll, a backfill)
    waits while the organization's Salesforce budget is nearly spent: "deferred"."""
    if sync_user is None:
        from addin.services.sync_pass import sync_user as sync_user_pass

        sync_user = sync_user_pass
    organization_id = organization_of(container, user_id)
    if organization_id is None:
        return "gone"
    level = budget.pressure(container, organization_id)
    nobody_waits = reason in BACKGROUND_REASONS
    if nobody_waits and (level == budget.STOP or (level == budget.SLOW and reason == "backfill")):
        log.info("%s pass of user %s deferred: Salesforce budget %s", reason, user_id, level)
        return "deferred"
    with mailbox_run(container, user_id, "sync", reason):
        failpoint("job.sync.started")
        if reason.startswith(RESUBSCRIBE):
            keep_subscribed(container, user_id)
        sync_user(container, user_id, reason)
    return "done"


def renew_subscription(container: Container, user_id: int) -> str:
    with mailbox_run(container, user_id, "subscribe", "renew"):
        return keep_subscribed(container, user_id)


def keep_subscribed(container: Container, user_id: int) -> str:
    """Subscribe the user's calendar to push notifications, or renew it when it ends soon."""
    from addin.accounts.clients import open_calendar
    from addin.accounts.connections import NotConnected
    from addin.accounts.identity import load_user
    from addin.services.push import ensure_subscription

    user = load_user(container, user_id)
    if user is None or not container.settings.public_url.startswith((
            "https://", "http://127.0.0.1", "http://localhost")):
        return "unsupported"  # push needs a URL the calendar services can reach
    try:
        calendar = open_calendar(container, user)
    except NotConnected:
        return "not_connected"  # no push-capable calendar connected (yet)
    return ensure_subscription(container, user_id, calendar)


def run_outbox_operation(container: Container, op_id: int) -> str:
    """One outbox operation, if it is due (or its holder's lease ended)."""
    from addin.services.outbox.queue import run_operation

    with container.db.session() as session:
        user_id = session.scalar(select(OutboxOperation.user_id).where(
            OutboxOperation.id == op_id))
    if user_id is None:
        return "gone"
    # the operation's Salesforce answers count against the org of the client it opens
    with mailbox_run(container, user_id, "outbox", f"op {op_id}"):
        return run_operation(container, op_id)


def synced_users(container: Container) -> list[tuple[int, int]]:
    """(user id, organization id) of everyone with something to sync (people still
    onboarding, Salesforce not connected yet, have nothing)."""
    with container.db.session() as session:
        return [(row.id, row.organization_id) for row in session.execute(
            select(User.id, User.organization_id)
            .where(User.salesforce_user_id.is_not(None)).order_by(User.id))]


def due_polls(container: Container, now: datetime | None = None) -> list[tuple[int, str]]:
    """(user id, reason) of users whose organization's poll interval (spaced out under
    budget pressure) has passed since their last sync pass began, whichever worker ran
    it: "poll", or "backfill" for a mailbox never synced (its first, biggest pass)."""
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        last = dict(session.execute(select(MailboxRun.user_id, func.max(MailboxRun.started_at))
                                    .where(MailboxRun.job == "sync")
                                    .group_by(MailboxRun.user_id)).all())
    due: list[tuple[int, str]] = []
    intervals: dict[int, float | None] = {}
    for user_id, organization_id in synced_users(container):
        if organization_id not in intervals:
            configured = load_org_settings(container, organization_id).poll_interval_seconds
            intervals[organization_id] = budget.poll_interval(container, organization_id,
                                                              configured)
        interval = intervals[organization_id]
        if interval is None:
            continue
        started = last.get(user_id)
        if started is None:
            due.append((user_id, "backfill"))
        elif now - _aware(started) >= timedelta(seconds=interval):
            due.append((user_id, poll_reason(container, user_id, organization_id, now)))
    return due


def due_renewals(container: Container, now: datetime | None = None) -> list[int]:
    """Users whose push subscription was not looked at in the last hour (by any worker;
    a failed renewal is retried by its job, then again an hour later): a new worker
    subscribes everybody at once, then keeps the subscriptions alive."""
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        checked = set(session.scalars(select(MailboxRun.user_id).where(
            MailboxRun.job == "subscribe",
            MailboxRun.started_at > now - SUBSCRIPTION_CHECK_EVERY)))
    return [user_id for user_id, _org in synced_users(container) if user_id not in checked]


def due_outbox_operations(container: Container, now: datetime | None = None,
                          limit: int = 500) -> list[tuple[int, int]]:
    """(operation id, user id) of due operations, and of running ones whose lease ended."""
    from addin.services.outbox.queue import claimable

    now = now or datetime.now(UTC)
    with container.db.session() as session:
        return [(row.id, row.user_id) for row in session.execute(
            select(OutboxOperation.id, OutboxOperation.user_id).where(claimable(now))
            .order_by(OutboxOperation.next_attempt_at).limit(limit))]


def prune_runs(container: Container, now: datetime | None = None) -> int:
    """Forget run records older than two days (at most once every five minutes)."""
    now = now or datetime.now(UTC)
    pruned = container.caches.get("runs-pruned")
    if pruned is not None and now - pruned < timedelta(minutes=5):
        return 0
    container.caches["runs-pruned"] = now
    with container.db.session() as session:
        result = session.execute(delete(MailboxRun).where(
            MailboxRun.started_at < now - KEEP_RUNS))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_due_outbox(container: Container, now: datetime | None = None, limit: int = 50) -> int:
    """The in-process runner's round of the outbox: each due operation as its own job."""
    done = 0
    for op_id, _user_id in due_outbox_operations(container, now, limit):
        done += run_outbox_operation(container, op_id) == "done"
    return done
