"""The Create dialog's create: a Salesforce Event and its calendar appointment, exactly once
whatever fails, times out or dies on the way.

1. The intent is recorded durably BEFORE any upstream call: an outbox operation
   ``create_event`` holding a product-generated request id and the fields, leased to the
   request that runs it (and, with an Idempotency-Key, the key claimed in the same
   transaction).
2. Salesforce: before the create is sent, the intent notes that it was attempted. A retry
   of an attempted intent (after a lost answer, a timeout, a crash) first looks the Event
   up (the user's own Event with that subject and start, created since the attempt) and
   creates it only when none is there: ONE Salesforce request either way, and a second
   Event is never made. The Event id is saved with the mirror row in one transaction.
3. The calendar: the create is idempotent per Event (Graph ``transactionId``, a Google
   event id derived from the Event), so resuming after a crash finds the first item.
4. The intent completes in the same transaction that stores the answer for the key.

A temporary failure (429, 5xx, a timeout) leaves the intent to the worker, and the
caller hears 202 ``accepted``: what the user typed is kept and created once. A refusal
no retry changes (validation) ends the intent, frees the key, and answers 400 naming the
field. A process that dies holding an intent leaves it ``running``; when its lease ends
the worker (or the client's retry with the same key) takes it over and resumes.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from addin.accounts.connections import NotConnected
from addin.accounts.identity import CurrentUser, load_user
from addin.container import Container
from addin.domain.errors import AccountNotConnected, DomainError, InProgress, InvalidInput
from addin.providers.salesforce.client import (
    REQUEST_ID_FIELD,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    SalesforceLimitExceeded,
    SalesforceNotFound,
    SalesforceValidationError,
)
from addin.services import idempotency
from addin.services.event_mapping import api_fields_of, base_fields, salesforce_fields
from addin.services.events import _view, ensure_mirror, salesforce_of
from addin.services.failpoints import failpoint
from addin.services.org_settings import load_org_settings
from addin.services.outbox import queue as outbox
from addin.services.schemas import EventCreateSchema
from addin.services.series import adoptable
from addin.store.models import MirroredEvent, OutboxOperation

log = logging.getLogger(__name__)
KIND = "create_event"
# Salesforce's clock and ours may differ: the look-up window starts this much earlier.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Refused(Exception):
    """Salesforce refused the Event for good; ``error`` is what the client hears."""

    error: DomainError


@dataclass
class StillInFlight(Exception):
    """An earlier attempt's request may still reach Salesforce (its client gave up, the
    server may not have): looking for its Event before ``until`` could miss it."""

    until: datetime


def create_event(container: Container, user: CurrentUser, data: dict[str, Any],
                 idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    max_days = 14 if container.settings.salesforce_multi_day_events else 1
    payload = EventCreateSchema(max_days=max_days).load(data)
    salesforce_of(container, user)  # not connected: say so before anything is recorded
    if payload.get("calendarItemId"):
        payload = adoptable(container, user, payload)
    intent = {"requestId": uuid.uuid4().hex, "salesforceFields": salesforce_fields(payload),
              "baseFields": base_fields(payload)}

    def new_intent(session: Session) -> OutboxOperation:
        op = OutboxOperation(user_id=user.id, kind=KIND, payload=intent, state="running",
                             attempts=1,
                             next_attempt_at=datetime.now(UTC) + outbox.lease(container))
        session.add(op)
        return op

    started = idempotency.begin(container, user.id, idempotency_key,
                                idempotency.request_hash(data), new_intent)
    if isinstance(started, idempotency.Replay):
        return started.status, started.body
    return run_intent(container, user, started.op_id)


def run_intent(container: Container, user: CurrentUser, op_id: int
               ) -> tuple[int, dict[str, Any]]:
    """Advance a claimed intent as far as it goes now; the answer for the caller."""
    try:
        status, body = _advance(container, user, op_id)
    except Refused as refused:
        _end(container, op_id, refused.error)
        raise refused.error from None
    except StillInFlight as wait:
        seconds = max(1, math.ceil((wait.until - datetime.now(UTC)).total_seconds()))
        outbox.retry_later(container, op_id, "an earlier attempt may still be in flight",
                           not_before=wait.until)
        raise InProgress("This event is still being created; try again shortly (it will "
                         "not be created twice).", retry_after=seconds) from None
    except SalesforceError as exc:
        log.warning("create intent %s: Salesforce did not answer (%s); the worker retries",
                    op_id, exc)
        if exc.status is None:  # no answer at all (a timeout): the request may be in flight
            outbox.save_payload(container, op_id,
                                attemptEndedAt=datetime.now(UTC).isoformat())
        outbox.retry_later(container, op_id, f"{exc.__class__.__name__}: {exc}")
        return 202, _accepted(op_id, exc)
    return status, body


def _advance(container: Container, user: CurrentUser, op_id: int
             ) -> tuple[int, dict[str, Any]]:
    op = outbox.load(container, op_id)
    assert op is not None
    payload = dict(op.payload)
    salesforce = salesforce_of(container, user)
    record = _find_or_create(container, user, salesforce, op_id, payload)
    row_id = _remember(container, user, op_id, record["Id"], payload["baseFields"])
    failpoint("create.after_salesforce")
    mirror = ensure_mirror(container, user, row_id)
    view = _view(record, salesforce.instance_url, mirror, user)
    with container.db.session() as session:
        stored = session.get(OutboxOperation, op_id)
        if stored is not None:
            stored.state, stored.last_error = "done", None
        idempotency.finish(session, payload.get("idempotencyKeyId"), 201, view)
    failpoint("create.before_answer")
    return 201, view


def _find_or_create(container: Container, user: CurrentUser, salesforce: SalesforceClient,
                    op_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    fields = payload["salesforceFields"]
    try:
        if payload.get("salesforceEventId"):
            return salesforce.get_event(payload["salesforceEventId"])
        if load_org_settings(container, user.organization_id).request_id_field:
            record = _upsert(container, user, salesforce, op_id, payload)
            if record is not None:
                return record
        attempted = payload.get("attemptedAt")
        if attempted and user.salesforce_user_id:
            _wait_for_the_attempt(container, payload)
            found = salesforce.find_created_event(
                user.salesforce_user_id, fields,
                datetime.fromisoformat(attempted) - CLOCK_SKEW, _taken_ids(container, user))
            if found is not None:
                log.info("create intent %s: the Event %s was created by an earlier attempt",
                         op_id, found["Id"])
                return found
        outbox.save_payload(container, op_id, attemptedAt=datetime.now(UTC).isoformat())
        failpoint("create.before_salesforce")
        return salesforce.create_event(fields)
    except SalesforceValidationError as exc:
        blamed = api_fields_of(exc.fields)
        raise Refused(InvalidInput(f"Salesforce refused the event: {exc.message}",
                                   fields={name: exc.message for name in blamed})) from exc
    except SalesforceLimitExceeded:
        raise  # a temporary failure: the org's allowance comes back
    except (SalesforceAuthError, NotConnected) as exc:
        raise Refused(AccountNotConnected(
            "Your Salesforce connection has expired; connect again.", "salesforce")) from exc


def _upsert(container: Container, user: CurrentUser, salesforce: SalesforceClient,
            op_id: int, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The org has the External ID field: the Event is upserted by the request id, so a
    retry updates what an earlier attempt created (no look-up, no waiting). None when the
    field is gone or this user cannot see it (Salesforce answers 404): the look-up path."""
    outbox.save_payload(container, op_id, attemptedAt=datetime.now(UTC).isoformat())
    failpoint("create.before_salesforce")
    try:
        return salesforce.upsert_event(payload["requestId"], payload["salesforceFields"])
    except SalesforceNotFound:
        log.warning("the External ID field %s is missing or hidden from user %s; creates "
                    "fall back to the look-up", REQUEST_ID_FIELD, user.id)
        return None


def _wait_for_the_attempt(container: Container, payload: dict[str, Any]) -> None:
    """The attempt whose answer was lost may still be on its way to Salesforce; a look-up
    made before it lands would miss it and the create would be sent twice. Its client gave
    up at ``attemptEndedAt``; the server is given twice the client's timeout after that.
    (An attempt whose process died has no end: the lease that had to end before anyone
    took the intent over is far longer.)"""
    ended = payload.get("attemptEndedAt")
    if not ended:
        return
    until = datetime.fromisoformat(ended) + timedelta(
        seconds=2 * container.settings.http_timeout_seconds)
    if datetime.now(UTC) < until:
        raise StillInFlight(until)


def _taken_ids(container: Container, user: CurrentUser) -> list[str]:
    """The user's Events already mirrored: never the Event of another create."""
    with container.db.session() as session:
        return list(session.scalars(select(MirroredEvent.salesforce_event_id).where(
            MirroredEvent.user_id == user.id)))


def _remember(container: Container, user: CurrentUser, op_id: int, event_id: str,
              fields: dict[str, Any]) -> int:
    """The mirror row and the intent's progress, in one transaction."""
    with container.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.salesforce_event_id == event_id))
        if row is None:
            row = MirroredEvent(user_id=user.id, salesforce_event_id=event_id,
                                provider=user.calendar_provider, state="pending",
                                base_attendees=[], base_fields=fields)
            session.add(row)
        op = session.get(OutboxOperation, op_id)
        if op is not None:
            op.payload = {**op.payload, "salesforceEventId": event_id}
        session.flush()
        return row.id


def _end(container: Container, op_id: int, error: DomainError) -> None:
    """A refusal for good: nothing was created; the intent ends and the key is free."""
    with container.db.session() as session:
        op = session.get(OutboxOperation, op_id)
        if op is None:
            return
        op.state, op.last_error = "failed", error.message[:2000]
        idempotency.abandon(session, op.payload.get("idempotencyKeyId"))


def _accepted(op_id: int, exc: SalesforceError) -> dict[str, Any]:
    if isinstance(exc, SalesforceLimitExceeded):
        reason = "Your organization has used up its Salesforce API requests for now."
    else:
        reason = "Salesforce did not confirm the event in time."
    return {"intent": {"id": op_id, "state": "pending"},
            "sync": {"state": "pending",
                     "detail": f"{reason} It is saved and will be created once, as soon as "
                               "Salesforce answers; it then appears in your calendar."}}


def _create_later(container: Container, user_id: int, payload: dict[str, Any]) -> None:
    """The worker's side: resume an intent whose request died or gave up for now."""
    user = load_user(container, user_id)
    if user is None:
        return
    op_id = payload.get("opId")
    if op_id is None:
        raise outbox.PermanentFailure("an intent without its operation id")
    try:
        _advance(container, user, int(op_id))
    except StillInFlight as wait:  # a wait, not a failed attempt
        raise outbox.NotYet(wait.until) from None
    except Refused as refused:
        _end(container, int(op_id), refused.error)
        raise outbox.PermanentFailure(refused.error.message) from None
    except DomainError as exc:  # not connected any more: for good until they reconnect
        raise outbox.PermanentFailure(exc.message) from None
