"""Upstream operations still to be done, retried with backoff by the worker.

Every handler is idempotent (a calendar create is keyed by its Salesforce Event, an Event
create by its request id), so an operation that ran twice does no harm.

An operation being worked on is ``running`` under a lease (``next_attempt_at`` is when the
lease ends). A process that dies holding it (kill -9, OOM, a lost machine) leaves it
``running``; once the lease has ended the worker claims it again. A handler that meets a
refusal no retry can change raises :class:`PermanentFailure`: the operation ends ``failed``
with its reason instead of being retried for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from addin.container import Container
from addin.store.models import OutboxOperation

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20
Handler = Callable[[Container, int, dict[str, Any]], None]
TERMINAL = ("done", "failed", "dead")


class PermanentFailure(Exception):
    """The upstream refused the operation for good (validation, a limit of its data)."""


class NotYet(Exception):
    """The operation waits for something on the real clock until ``until`` (an earlier
    attempt that may still land): it is handed back WITHOUT counting an attempt, so a
    worker whose rounds come faster than the wait cannot spend MAX_ATTEMPTS on waiting."""

    def __init__(self, until: datetime):
        super().__init__(f"waits until {until.isoformat()}")
        self.until = until


def handler_for(kind: str) -> Handler:
    """The function that runs operations of this kind, from the one table of kinds
    (addin.services.outbox.handlers): a process that never imported the module that
    queues a kind still runs it."""
    from addin.services.outbox.handlers import HANDLERS

    return HANDLERS[kind]


def lease(container: Container) -> timedelta:
    return timedelta(seconds=container.settings.outbox_lease_seconds)


def enqueue(container: Container, user_id: int, kind: str, payload: dict[str, Any]) -> None:
    with container.db.session() as session:
        pending = session.scalars(select(OutboxOperation).where(
            OutboxOperation.user_id == user_id, OutboxOperation.kind == kind,
            OutboxOperation.state.in_(("pending", "running")))).all()
        if any(op.payload == payload for op in pending):
            return  # already queued
        op = OutboxOperation(user_id=user_id, kind=kind, payload=payload)
        session.add(op)
        session.flush()
        op_id = op.id
    _announce(container, op_id, user_id, datetime.now(UTC))


def _announce(container: Container, op_id: int, user_id: int, when: datetime) -> None:
    """Tell the job engine (after the commit): Procrastinate gets a job for the operation
    at ``when``; the in-process runner finds it on its next round anyway."""
    try:
        container.job_queue().outbox_queued(op_id, user_id, when)
    except Exception:  # the operation is stored: the periodic dispatch queues it
        log.exception("could not queue outbox operation %s now", op_id)


def start_running(container: Container, user_id: int, kind: str,
                  payload: dict[str, Any]) -> int:
    """Record an operation that this request runs at once, leased to it: if the process
    dies before :func:`complete`, the worker takes it over when the lease ends."""
    with container.db.session() as session:
        op = OutboxOperation(user_id=user_id, kind=kind, payload=payload, state="running",
                             attempts=1, next_attempt_at=datetime.now(UTC) + lease(container))
        session.add(op)
        session.flush()
        return op.id


def claim(container: Container, op_id: int, now: datetime | None = None, *,
          any_pending: bool = False) -> bool:
    """Take a due pending operation, or a running one whose lease ended, for this process.
    ``any_pending``: also a pending one whose backoff has not ended (a person retrying)."""
    now = now or datetime.now(UTC)
    condition = claimable(now)
    if any_pending:
        condition = or_(condition, OutboxOperation.state == "pending")
    with container.db.session() as session:
        claimed = session.execute(update(OutboxOperation).where(
            OutboxOperation.id == op_id, condition
        ).values(state="running", attempts=OutboxOperation.attempts + 1,
                 next_attempt_at=now + lease(container)))
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def claimable(now: datetime) -> Any:
    return or_(and_(OutboxOperation.state == "pending", OutboxOperation.next_attempt_at <= now),
               and_(OutboxOperation.state == "running", OutboxOperation.next_attempt_at <= now))


def load(container: Container, op_id: int) -> OutboxOperation | None:
    with container.db.session() as session:
        return session.get(OutboxOperation, op_id)


def save_payload(container: Container, op_id: int, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the operation's payload, durably (progress a retry resumes
    from)."""
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        assert op is not None
        op.payload = {**op.payload, **changes}
        return dict(op.payload)


def complete(container: Container, op_id: int) -> None:
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        if op is not None:
            op.state, op.last_error = "done", None


def fail_permanently(container: Container, op_id: int, reason: str) -> None:
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        if op is not None:
            op.state, op.last_error = "failed", reason[:2000]


def retry_later(container: Container, op_id: int, reason: str,
                now: datetime | None = None, not_before: datetime | None = None) -> None:
    """Hand the operation back to the worker, after a backoff (and not before
    ``not_before``)."""
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        if op is None or op.state in TERMINAL:
            return
        op.last_error = reason[:2000]
        op.state = "dead" if op.attempts >= MAX_ATTEMPTS else "pending"
        op.next_attempt_at = max(now + backoff(op.attempts), not_before or now)
        state, user_id, when = op.state, op.user_id, op.next_attempt_at
    if state == "pending":
        _announce(container, op_id, user_id, when)


def postpone(container: Container, op_id: int, until: datetime) -> None:
    """Hand the operation back to run at ``until``; the claim that ran it does not count
    as an attempt."""
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        if op is None or op.state in TERMINAL:
            return
        op.state, op.attempts = "pending", max(0, op.attempts - 1)
        op.next_attempt_at = until
        user_id = op.user_id
    _announce(container, op_id, user_id, until)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def process_outbox(container: Container, limit: int = 50, now: datetime | None = None) -> int:
    """Run due operations (and those whose holder died); returns how many completed."""
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        due = session.scalars(select(OutboxOperation.id).where(claimable(now))
                              .order_by(OutboxOperation.next_attempt_at).limit(limit)).all()
    return sum(run_operation(container, op_id, now) == "done" for op_id in due)


def run_operation(container: Container, op_id: int, now: datetime | None = None) -> str:
    """Claim one operation and run its handler: "done", "failed" (for good), "retry"
    (handed back with a backoff) or "not_due" (another process holds it, or it waits)."""
    now = now or datetime.now(UTC)
    if not claim(container, op_id, now):
        return "not_due"  # another worker (or the request itself) has it
    return _run_claimed(container, op_id, now)


def _run_claimed(container: Container, op_id: int, now: datetime) -> str:
    """Run an operation this process claimed (see ``run_operation``)."""
    op = load(container, op_id)
    assert op is not None
    kind, user_id, payload, attempts = op.kind, op.user_id, dict(op.payload), op.attempts
    try:
        handler_for(kind)(container, user_id, {**payload, "opId": op_id})
    except PermanentFailure as exc:
        log.warning("outbox %s %s refused for good: %s", kind, op_id, exc)
        fail_permanently(container, op_id, str(exc))
        return "failed"
    except NotYet as wait:
        log.info("outbox %s %s %s", kind, op_id, wait)
        postpone(container, op_id, wait.until)
        return "retry"
    except Exception as exc:
        log.warning("outbox %s %s failed (attempt %s): %s", kind, op_id, attempts, exc)
        retry_later(container, op_id, f"{exc.__class__.__name__}: {exc}", now)
        return "retry"
    complete(container, op_id)
    return "done"


def retry_now(container: Container, op_id: int) -> bool:
    """A person's Retry: an operation that ended ``failed`` or ``dead``, or one waiting for
    its backoff, runs again at once with a fresh allowance of attempts. False when another
    process holds it (running) or it is done."""
    now = datetime.now(UTC)
    with container.db.session() as session:
        reopened = session.execute(update(OutboxOperation).where(
            OutboxOperation.id == op_id, OutboxOperation.state.in_(("failed", "dead"))
        ).values(state="pending", attempts=0, next_attempt_at=now))
        if not reopened.rowcount:  # type: ignore[attr-defined]
            op = session.get(OutboxOperation, op_id)
            if op is None or op.state != "pending":
                return False
    if not claim(container, op_id, now, any_pending=True):
        return False
    _run_claimed(container, op_id, now)
    return True
