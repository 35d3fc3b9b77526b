"""Idempotency-Key handling: the same key from the same user within 24 hours gets the same
answer and creates nothing new, also when the requests race and when a process dies.

A request claims its key by inserting a row under the (user, key) unique constraint, in
the same transaction as the durable intent of what it is about to do (an outbox operation
leased to it), BEFORE any upstream work. A duplicate finds the row and looks at the
intent: while a live process holds it, the duplicate waits a little and then answers 409
``in_progress`` with Retry-After (it never takes over a running request). An intent whose
holder died (lease ended) or that waits for the worker is taken over: the operation's
handler resumes from the progress it recorded, so nothing is done twice.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from addin.container import Container
from addin.domain.errors import IdempotencyKeyReused, InProgress, MalformedRequest
from addin.services.outbox import queue as outbox
from addin.store.models import IdempotencyKey, OutboxOperation

KEY_LIFETIME = timedelta(hours=24)
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.1


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Claim:
    """This request owns the intent ``op_id`` (new, or taken over from a dead holder)."""

    op_id: int
    key_id: int | None


@dataclass
class Replay:
    status: int
    body: dict[str, Any]


def validate_key(key: str) -> None:
    if not 1 <= len(key) <= 255:
        raise MalformedRequest("Idempotency-Key must be 1 to 255 characters.",
                               field="Idempotency-Key", reason="1 to 255 characters")


def begin(container: Container, user_id: int, key: str | None, fingerprint: str,
          new_intent: Callable[[Session], OutboxOperation]) -> Claim | Replay:
    """Claim ``key`` with a new intent (``new_intent`` adds it to the session), replay the
    answer it already has, or take over its intent when nobody alive holds it."""
    if key is None:
        with container.db.session() as session:
            op = new_intent(session)
            session.flush()
            return Claim(op.id, None)
    validate_key(key)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with container.db.session() as session:
            session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
                IdempotencyKey.created_at < datetime.now(UTC) - KEY_LIFETIME))
            row = session.scalar(select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
            if row is None:
                op = new_intent(session)
                row = IdempotencyKey(user_id=user_id, key=key, request_hash=fingerprint,
                                     state="in_progress", response_body={})
                session.add(row)
                try:
                    session.flush()
                except IntegrityError:
                    session.rollback()
                    continue  # somebody else claimed it a moment ago
                row.response_body = {"intentId": op.id}
                op.payload = {**op.payload, "idempotencyKeyId": row.id}
                return Claim(op.id, row.id)
            if row.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used with a different request.",
                    field="Idempotency-Key", reason="already used for another request")
            if row.state == "done":
                return Replay(int(row.response_status or 200), dict(row.response_body or {}))
            key_id, op_id = row.id, (row.response_body or {}).get("intentId")
        if op_id is not None and outbox.claim(container, int(op_id), any_pending=True):
            return Claim(int(op_id), key_id)  # its holder died, or it waits for the worker
        if time.monotonic() > deadline:
            raise InProgress("A request with this Idempotency-Key is still in progress; "
                             "try again shortly (it will not be done twice).", retry_after=2)
        time.sleep(POLL_SECONDS)


def finish(session: Session, key_id: int | None, status: int, body: dict[str, Any]) -> None:
    """Store the answer (in the caller's transaction, with the intent's completion)."""
    if key_id is None:
        return
    row = session.get(IdempotencyKey, key_id)
    if row is not None:
        row.state, row.response_status, row.response_body = "done", status, body


def abandon(session: Session, key_id: int | None) -> None:
    """Nothing was created: forget the key so the user can try again."""
    if key_id is not None:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id))
