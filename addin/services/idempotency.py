"""Idempotency-Key handling: the same key from the same user within 24 hours gets the same
answer and creates nothing new, also when the requests race.

A request claims its key by inserting a row under the (user, key) unique constraint BEFORE
any upstream work. A concurrent duplicate finds the row and waits for the first to finish.
Progress made upstream is saved in the row as it happens, so a request that died half way
can be resumed by its retry instead of being repeated.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from addin.container import Container
from addin.errors import ApiError, Conflict
from addin.store.models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
STALE_AFTER = timedelta(seconds=60)
WAIT_SECONDS = 30.0


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Claim:
    """This request owns the key; ``progress`` holds what an earlier attempt achieved."""

    row_id: int
    progress: dict[str, Any]


@dataclass
class Replay:
    status: int
    body: dict[str, Any]


def begin(services: Container, user_id: int, key: str, fingerprint: str) -> Claim | Replay:
    if not 1 <= len(key) <= 255:
        raise ApiError("Idempotency-Key must be 1 to 255 characters.",
                       fields={"Idempotency-Key": "1 to 255 characters"})
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with services.db.session() as session:
            session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
                IdempotencyKey.created_at < datetime.now(UTC) - KEY_LIFETIME))
            row = session.scalar(select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
            if row is None:
                row = IdempotencyKey(user_id=user_id, key=key, request_hash=fingerprint,
                                     state="in_progress", response_body={})
                session.add(row)
                try:
                    session.flush()
                except IntegrityError:
                    session.rollback()
                    continue  # somebody else claimed it a moment ago
                return Claim(row.id, {})
            if row.request_hash != fingerprint:
                raise ApiError("This Idempotency-Key was used with a different request.",
                               status=422, code="idempotency_key_reused",
                               fields={"Idempotency-Key": "already used for another request"})
            if row.state == "done":
                return Replay(int(row.response_status or 200), dict(row.response_body or {}))
            created = row.created_at if row.created_at.tzinfo else row.created_at.replace(
                tzinfo=UTC)
            if datetime.now(UTC) - created > STALE_AFTER:
                row.created_at = datetime.now(UTC)  # take over the abandoned attempt
                return Claim(row.id, dict(row.response_body or {}))
        if time.monotonic() > deadline:
            raise Conflict("A request with this Idempotency-Key is still in progress.",
                           headers={"Retry-After": "2"})
        time.sleep(0.1)


def record_progress(services: Container, claim: Claim, **progress: Any) -> None:
    claim.progress.update(progress)
    with services.db.session() as session:
        row = session.get(IdempotencyKey, claim.row_id)
        if row is not None:
            row.response_body = dict(claim.progress)


def finish(services: Container, claim: Claim, status: int, body: dict[str, Any]) -> None:
    with services.db.session() as session:
        row = session.get(IdempotencyKey, claim.row_id)
        if row is not None:
            row.state, row.response_status, row.response_body = "done", status, body


def abandon(services: Container, claim: Claim) -> None:
    """Nothing was created: forget the key so the user can try again."""
    with services.db.session() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim.row_id))
