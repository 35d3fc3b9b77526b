"""The pane opened on a calendar item: the Salesforce Event mirrored from it, or saving the
item to Salesforce (the Event is created from the item, exactly once, and the item becomes
its mirror, so attendee sync goes on from there).

Saving reuses the Create dialog's exactly-once machinery (addin/services/event_creation.py):
an intent recorded before any upstream call, the Event upserted by a request id derived
from the user and the item (the same on every retry), else looked up before a repeated
create. The item is not written to: no update is emailed to its attendees; the mirror row
(unique per calendar item) is the link. The item's attendees are then brought into
Salesforce by one reconciliation (Salesforce's REST API emails nobody).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from addin.accounts.clients import open_calendar
from addin.accounts.identity import CurrentUser, load_user
from addin.container import Container
from addin.domain import CalendarItem
from addin.domain.errors import Conflict, DomainError, InProgress, NotFound, UpstreamUnavailable
from addin.providers.calendar.provider import CalendarError, ItemNotFound
from addin.providers.salesforce.client import SalesforceError
from addin.services.attendees import Known, reconcile
from addin.services.event_creation import Refused, _find_or_create
from addin.services.event_mapping import base_fields, salesforce_fields
from addin.services.events import get_event_view, salesforce_of
from addin.services.outbox import queue as outbox
from addin.services.schemas import EventCreateSchema
from addin.store.models import MirroredEvent, OutboxOperation, utcnow

log = logging.getLogger(__name__)
KIND = "save_calendar_item"


def find_item_mirror(container: Container, user: CurrentUser, item_id: str
                     ) -> MirroredEvent | None:
    with container.db.session() as session:
        return session.scalar(select(MirroredEvent).where(
            MirroredEvent.user_id == user.id, MirroredEvent.calendar_item_id == item_id,
            MirroredEvent.state != "deleted"))


def mirror_of_item(container: Container, user: CurrentUser, item_id: str) -> dict[str, Any]:
    """The event view of the Salesforce Event mirrored from this calendar item, or 404
    ``not_mirrored``."""
    row = find_item_mirror(container, user, item_id)
    if row is None:
        raise NotFound("This calendar item is not in Salesforce yet.", code="not_mirrored",
                       fields={"itemId": "no Salesforce Event is mirrored from it"})
    return get_event_view(container, user, row.salesforce_event_id)


def _request_id(user: CurrentUser, item_id: str) -> str:
    return hashlib.sha256(f"save:{user.id}:{item_id}".encode()).hexdigest()[:32]


def _fields_of(item: CalendarItem, extra: dict[str, Any]) -> dict[str, Any]:
    """The Create dialog's fields for the item (an all-day item's exclusive end becomes
    the last day)."""
    if item.is_all_day and isinstance(item.start, date) and isinstance(item.end, date):
        start: str = item.start.isoformat()[:10]
        last = item.end - timedelta(days=1) if not isinstance(item.end, datetime) else item.end
        end: str = max(last, item.start).isoformat()[:10]
    else:
        start, end = item.start.isoformat(), item.end.isoformat()
    data: dict[str, Any] = {
        "subject": item.subject or "(no subject)", "start": start, "end": end,
        "isAllDay": item.is_all_day, "location": item.location[:255],
        "showAs": item.show_as if item.show_as in ("busy", "free", "outOfOffice") else "busy",
        "isPrivate": item.is_private, "reminderMinutes": item.reminder_minutes}
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def save_calendar_item(container: Container, user: CurrentUser, item_id: str,
                       extra: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Create the Salesforce Event of an existing calendar item and link the item as its
    mirror: 201 with the event view; 200 when it was saved before."""
    existing = find_item_mirror(container, user, item_id)
    if existing is not None:
        return 200, get_event_view(container, user, existing.salesforce_event_id)
    salesforce_of(container, user)  # 409 not_connected before anything is read
    calendar = open_calendar(container, user)
    try:
        item = calendar.get_item(item_id)
    except ItemNotFound:
        raise NotFound("This item is not in your calendar.",
                       fields={"itemId": "not found in your calendar"}) from None
    except CalendarError as exc:
        raise UpstreamUnavailable("Your calendar is not available right now.") from exc
    if not item.is_organizer:
        raise Conflict("Only the organizer's meeting is saved to Salesforce: this is your "
                       "copy of someone else's meeting.", code="not_organizer",
                       fields={"itemId": "you are not its organizer"})
    if item.raw.get("isCancelled") is True or item.raw.get("status") == "cancelled":
        raise Conflict("This meeting was cancelled.", code="cancelled",
                       fields={"itemId": "cancelled"})
    max_days = 14 if container.settings.salesforce_multi_day_events else 1
    payload = EventCreateSchema(max_days=max_days).load(_fields_of(item, extra))
    with container.db.session() as session:
        running = session.scalars(select(OutboxOperation).where(
            OutboxOperation.user_id == user.id, OutboxOperation.kind == KIND,
            OutboxOperation.state.in_(("pending", "running")))).all()
    if any(op.payload.get("itemId") == item_id for op in running):
        raise InProgress("This item is being saved to Salesforce; try again shortly (it "
                         "will not be saved twice).", retry_after=5)
    intent = {"requestId": _request_id(user, item_id), "itemId": item_id,
              "salesforceFields": salesforce_fields(payload), "baseFields": base_fields(payload)}
    op_id = outbox.start_running(container, user.id, KIND, intent)
    try:
        _link(container, user, op_id)
    except Refused as refused:
        outbox.fail_permanently(container, op_id, refused.error.message)
        raise refused.error from None
    except SalesforceError as exc:
        outbox.retry_later(container, op_id, f"{exc.__class__.__name__}: {exc}")
        raise UpstreamUnavailable("Salesforce did not confirm the event; it will be saved "
                                  "once, as soon as Salesforce answers.") from exc
    row = find_item_mirror(container, user, item_id)
    assert row is not None
    return 201, get_event_view(container, user, row.salesforce_event_id)


def _link(container: Container, user: CurrentUser, op_id: int) -> None:
    """The Event (found or created), the mirror row, the attendees; then the intent ends."""
    op = outbox.load(container, op_id)
    assert op is not None
    payload = dict(op.payload)
    salesforce = salesforce_of(container, user)
    record = _find_or_create(container, user, salesforce, op_id, payload)
    calendar = open_calendar(container, user)
    item = calendar.get_item(payload["itemId"])
    try:
        with container.db.session() as session:
            row = MirroredEvent(
                user_id=user.id, salesforce_event_id=record["Id"],
                provider=user.calendar_provider, calendar_item_id=item.item_id,
                calendar_etag=item.etag, state="mirrored", base_attendees=[],
                base_fields={**payload["baseFields"], "webLink": item.web_link},
                last_synced_at=utcnow())
            session.add(row)
            session.flush()
            row_id = row.id
            stored = session.get(OutboxOperation, op_id)
            if stored is not None:
                stored.state, stored.last_error = "done", None
                stored.payload = {**stored.payload, "salesforceEventId": record["Id"]}
    except IntegrityError:  # linked meanwhile (another request for the same item)
        outbox.complete(container, op_id)
        return
    with container.db.session() as session:
        linked = session.get(MirroredEvent, row_id)
        assert linked is not None
        session.expunge(linked)
    try:  # the item's attendees into Salesforce (REST: nobody is emailed)
        reconcile(container, user, linked, salesforce, calendar, Known(item=item, record=record))
    except (CalendarError, SalesforceError, DomainError) as exc:
        log.warning("attendees of saved item %s not synced yet: %s", record["Id"], exc)


def _save_later(container: Container, user_id: int, payload: dict[str, Any]) -> None:
    """The worker's side: finish a save whose request could not."""
    user = load_user(container, user_id)
    if user is None:
        return
    if find_item_mirror(container, user, str(payload.get("itemId"))) is not None:
        return
    try:
        _link(container, user, int(payload["opId"]))
    except Refused as refused:
        raise outbox.PermanentFailure(refused.error.message) from None
    except ItemNotFound:
        raise outbox.PermanentFailure("the calendar item is gone") from None


