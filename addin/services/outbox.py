"""Upstream operations still to be done, retried with backoff by the worker.

Every handler is idempotent (a calendar create is keyed by its Salesforce Event), so an
operation that ran twice does no harm."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from addin.container import Container
from addin.store.models import OutboxOperation

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20
Handler = Callable[[Container, int, dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function
    return register


def enqueue(services: Container, user_id: int, kind: str, payload: dict[str, Any]) -> None:
    with services.db.session() as session:
        pending = session.scalars(select(OutboxOperation).where(
            OutboxOperation.user_id == user_id, OutboxOperation.kind == kind,
            OutboxOperation.state.in_(("pending", "running")))).all()
        if any(op.payload == payload for op in pending):
            return  # already queued
        session.add(OutboxOperation(user_id=user_id, kind=kind, payload=payload))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def process_outbox(services: Container, limit: int = 50, now: datetime | None = None) -> int:
    """Run due operations; returns how many completed."""
    now = now or datetime.now(UTC)
    with services.db.session() as session:
        due = session.scalars(select(OutboxOperation.id).where(
            OutboxOperation.state == "pending", OutboxOperation.next_attempt_at <= now
        ).order_by(OutboxOperation.next_attempt_at).limit(limit)).all()
    done = 0
    for op_id in due:
        with services.db.session() as session:  # claim it (another worker may race us)
            claimed = session.execute(update(OutboxOperation).where(
                OutboxOperation.id == op_id, OutboxOperation.state == "pending"
            ).values(state="running", attempts=OutboxOperation.attempts + 1))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            op = session.get(OutboxOperation, op_id)
            assert op is not None
            kind, user_id, payload, attempts = op.kind, op.user_id, dict(op.payload), op.attempts
        try:
            HANDLERS[kind](services, user_id, payload)
        except Exception as exc:
            log.warning("outbox %s %s failed (attempt %s): %s", kind, op_id, attempts, exc)
            with services.db.session() as session:
                op = session.get(OutboxOperation, op_id)
                assert op is not None
                op.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                op.state = "dead" if attempts >= MAX_ATTEMPTS else "pending"
                op.next_attempt_at = now + backoff(attempts)
            continue
        with services.db.session() as session:
            op = session.get(OutboxOperation, op_id)
            assert op is not None
            op.state, op.last_error = "done", None
        done += 1
    return done
