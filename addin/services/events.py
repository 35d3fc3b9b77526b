"""Use cases of the Create dialog: create a Salesforce Event and mirror it at once into
the user's mailbox calendar as an appointment; read it back current on both sides.

Upstream calls: ONE Salesforce API request for the create (composite create + read) and
one calendar request. If Salesforce succeeded but the calendar did not, the answer is still
201 with sync.state "pending" and the outbox completes the mirror: nothing the user typed
is lost, and nothing is created twice (the calendar create is idempotent per Event).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from sqlalchemy import select

from addin.connections import NotConnected
from addin.container import Container
from addin.errors import ApiError, NotFound, UpstreamUnavailable, ValidationFailed
from addin.identity import CurrentUser, load_user
from addin.providers.calendar import CalendarError, CalendarProvider, NotifyMode
from addin.providers.registry import open_calendar, open_salesforce
from addin.providers.salesforce import (
    SalesforceError,
    SalesforceLimitExceeded,
    SalesforceNotFound,
    SalesforceValidationError,
)
from addin.schemas import EventCreateSchema
from addin.services import idempotency, outbox
from addin.services.attendees import attendee_views
from addin.services.event_mapping import (
    api_fields_of,
    base_fields,
    draft_from_base,
    event_view,
    salesforce_fields,
)
from addin.services.mirrors import find_mirror
from addin.store.models import MirroredEvent, utcnow

log = logging.getLogger(__name__)


def mirror_key(salesforce_event_id: str, generation: int = 0) -> str:
    """The calendar create's idempotency key: one mirror per Event (and per re-mirroring
    after a deletion in the calendar), however often tried."""
    suffix = f":{generation}" if generation else ""
    return f"salesforce-event:{salesforce_event_id}{suffix}"


def create_event(services: Container, user: CurrentUser, data: dict[str, Any],
                 idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    max_days = 14 if services.settings.salesforce_multi_day_events else 1
    payload = EventCreateSchema(max_days=max_days).load(data)
    claim: idempotency.Claim | None = None
    if idempotency_key is not None:
        started = idempotency.begin(services, user.id, idempotency_key,
                                    idempotency.request_hash(data))
        if isinstance(started, idempotency.Replay):
            return started.status, started.body
        claim = started
    try:
        status, body = _create(services, user, payload, claim)
    except BaseException:
        if claim is not None and not claim.progress.get("salesforceEventId"):
            idempotency.abandon(services, claim)  # nothing was created: the key is free
        raise
    if claim is not None:
        idempotency.finish(services, claim, status, body)
    return status, body


def _create(services: Container, user: CurrentUser, payload: dict[str, Any],
            claim: idempotency.Claim | None) -> tuple[int, dict[str, Any]]:
    salesforce = _salesforce(services, user)
    event_id = claim.progress.get("salesforceEventId") if claim else None
    try:
        record = salesforce.get_event(event_id) if event_id else salesforce.create_event(
            salesforce_fields(payload))
    except SalesforceValidationError as exc:
        blamed = api_fields_of(exc.fields)
        raise ValidationFailed(f"Salesforce refused the event: {exc.message}",
                               fields={name: exc.message for name in blamed}) from exc
    except SalesforceLimitExceeded as exc:
        raise UpstreamUnavailable("Your organization has used up its Salesforce API requests "
                                  "for today.", code="salesforce_limit") from exc
    except SalesforceError as exc:
        raise UpstreamUnavailable(f"Salesforce is not available: {exc.message}",
                                  code="salesforce_unavailable") from exc
    event_id = record["Id"]
    if claim is not None:
        idempotency.record_progress(services, claim, salesforceEventId=event_id)
    fields = base_fields(payload)
    row_id = _remember(services, user, event_id, fields)
    mirror = ensure_mirror(services, user, row_id)
    return 201, _view(record, salesforce.instance_url, mirror, user)


def _salesforce(services: Container, user: CurrentUser) -> Any:
    try:
        return open_salesforce(services, user)
    except NotConnected:
        raise ApiError("Connect your Salesforce account first.", status=409,
                       code="not_connected", fields={"salesforce": "not connected"}) from None


def _remember(services: Container, user: CurrentUser, event_id: str,
              fields: dict[str, Any]) -> int:
    with services.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.salesforce_event_id == event_id))
        if row is None:
            row = MirroredEvent(user_id=user.id, salesforce_event_id=event_id,
                                provider=user.calendar_provider, state="pending",
                                base_attendees=[], base_fields=fields)
            session.add(row)
            session.flush()
        return row.id


def ensure_mirror(services: Container, user: CurrentUser, row_id: int) -> MirroredEvent:
    """Create the calendar item of a remembered Event if it has none yet (idempotent)."""
    with services.db.session() as session:
        row = session.get(MirroredEvent, row_id)
        assert row is not None
        if row.calendar_item_id or row.state == "deleted":
            return row
        draft = draft_from_base(row.base_fields, row.salesforce_event_id)
        event_id = row.salesforce_event_id
        generation = int(row.base_fields.get("mirrorGeneration", 0))
    try:
        calendar: CalendarProvider = open_calendar(services, user, draft.time_zone)
        item = calendar.create_item(draft, idempotency_key=mirror_key(event_id, generation))
    except (CalendarError, NotConnected) as exc:
        detail = f"The calendar could not be updated yet ({exc}); it will be retried."
        outbox.enqueue(services, user.id, "mirror_event", {"mirroredEventId": row_id})
        with services.db.session() as session:
            row = session.get(MirroredEvent, row_id)
            assert row is not None
            row.state, row.detail = "pending", detail
            return row
    with services.db.session() as session:
        row = session.get(MirroredEvent, row_id)
        assert row is not None
        cancelled = row.state == "deleted"  # cancelled while the item was being created
        if not cancelled:
            row.calendar_item_id, row.calendar_etag = item.item_id, item.etag
            row.state, row.detail, row.last_synced_at = "mirrored", None, utcnow()
            row.base_fields = {**row.base_fields, "webLink": item.web_link}
    if cancelled:  # an appointment nobody was invited to: removing it emails nobody
        with suppress(CalendarError):
            calendar.delete_item(item.item_id, notify=NotifyMode.SILENT)
    return row


def _view(record: dict[str, Any], instance_url: str, mirror: MirroredEvent,
          user: CurrentUser, attendees: list[dict[str, Any]] | None = None,
          kind: str | None = None) -> dict[str, Any]:
    sync: dict[str, Any] = {"state": mirror.state}
    if mirror.detail:
        sync["detail"] = mirror.detail
    return {
        "event": event_view(record, instance_url),
        "mirror": {"provider": mirror.provider, "itemId": mirror.calendar_item_id,
                   "kind": kind or ("meeting" if mirror.base_attendees else "appointment"),
                   "organizer": user.email,
                   "webLink": (mirror.base_fields or {}).get("webLink")},
        "attendees": attendees or [],
        "sync": sync,
    }


def stored_event_view(services: Container, user: CurrentUser, event_id: str,
                      record: dict[str, Any]) -> dict[str, Any]:
    """The view right after the product itself changed the event: the Salesforce record the
    caller holds and the stored agreed state, no upstream request."""
    mirror = find_mirror(services, user.id, event_id)
    attendees = attendee_views(mirror)
    kind = "meeting" if any(not a.get("held") for a in attendees) else "appointment"
    return _view(record, _salesforce(services, user).instance_url, mirror, user, attendees,
                 kind)


def get_event_view(services: Container, user: CurrentUser, event_id: str) -> dict[str, Any]:
    """The event as both sides have it now (one Salesforce and one calendar request)."""
    mirror = find_mirror(services, user.id, event_id)
    salesforce = _salesforce(services, user)
    try:
        record = salesforce.get_event(event_id)
    except SalesforceNotFound:
        raise NotFound("The event was deleted in Salesforce.") from None
    except SalesforceError as exc:
        raise UpstreamUnavailable(f"Salesforce is not available: {exc.message}") from exc
    attendees = attendee_views(mirror)
    kind = None
    if mirror.calendar_item_id:
        try:
            item = open_calendar(services, user).get_item(mirror.calendar_item_id)
        except CalendarError as exc:
            log.info("calendar read failed for %s: %s", event_id, exc)
        else:
            kind = item.kind
            answers = {a.key: a.response for a in item.attendees_besides_organizer()}
            for attendee in attendees:  # responses as the calendar has them now
                attendee["response"] = answers.get(attendee["email"].lower(),
                                                   attendee["response"])
    return _view(record, salesforce.instance_url, mirror, user, attendees, kind)



@outbox.handler("mirror_event")
def _mirror_later(services: Container, user_id: int, payload: dict[str, Any]) -> None:
    user = load_user(services, user_id)
    if user is None:
        return  # the user is gone; nothing to mirror for
    row = ensure_mirror(services, user, int(payload["mirroredEventId"]))
    if row.state != "mirrored":
        raise RuntimeError(row.detail or "the calendar is still unavailable")
