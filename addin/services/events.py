"""Use cases of the Create dialog: create a Salesforce Event and mirror it at once into
the user's mailbox calendar as an appointment; read it back current on both sides.

The create itself (exactly once, whatever fails) is addin/services/event_creation.py; this
module mirrors a remembered Event (idempotent per Event: a retried calendar create finds
the first item) and reads events back. A calendar outage leaves the mirror "pending" for
the outbox; a calendar's refusal for good leaves it "failed" with the reason.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.connections import NotConnected
from addin.accounts.identity import CurrentUser, load_user
from addin.container import Container
from addin.domain.errors import AccountNotConnected, NotFound, UpstreamUnavailable
from addin.providers.calendar.provider import CalendarError, CalendarProvider, NotifyMode
from addin.providers.salesforce.client import (
    SalesforceClient,
    SalesforceError,
    SalesforceNotFound,
)
from addin.services.attendees import attendee_views
from addin.services.event_mapping import (
    draft_from_base,
    event_view,
)
from addin.services.failpoints import failpoint
from addin.services.mirrors import find_mirror
from addin.services.outbox import queue as outbox
from addin.services.push import request_sync
from addin.services.series import is_series, live_occurrences
from addin.store.models import MirroredEvent, OutboxOperation, utcnow
from addin.sync.recurrence import with_prefix

log = logging.getLogger(__name__)
STRANDED_CHECK_EVERY = timedelta(minutes=5)


def mirror_key(salesforce_event_id: str, generation: int = 0) -> str:
    """The calendar create's idempotency key: one mirror per Event (and per re-mirroring
    after a deletion in the calendar), however often tried."""
    suffix = f":{generation}" if generation else ""
    return f"salesforce-event:{salesforce_event_id}{suffix}"


def ensure_mirror(container: Container, user: CurrentUser, row_id: int) -> MirroredEvent:
    """Create the calendar item of a remembered Event if it has none yet (idempotent)."""
    with container.db.session() as session:
        row = session.get(MirroredEvent, row_id)
        assert row is not None
        if row.calendar_item_id or row.state == "deleted":
            return row
        draft = draft_from_base(row.base_fields, row.salesforce_event_id)
        event_id = row.salesforce_event_id
        generation = int(row.base_fields.get("mirrorGeneration", 0))
        adopted = row.base_fields.get("calendarItemId") if not generation else None
    try:
        calendar: CalendarProvider = open_calendar(container, user, draft.time_zone)
        if adopted:  # made in the calendar: linked (silently), never created again
            item = calendar.link_item(str(adopted), event_id)
        else:
            item = calendar.create_item(draft, idempotency_key=mirror_key(event_id,
                                                                          generation))
    except (CalendarError, NotConnected) as exc:
        refused = refused_for_good(exc)
        log.warning("mirror of %s %s: %s", event_id,
                    "refused by the calendar" if refused else "not created yet", exc)
        if refused:
            detail = ("Your calendar refused this event, so it is in Salesforce only: "
                      f"{_calendar_reason(exc)}")
        elif isinstance(exc, NotConnected):
            detail = ("Your calendar is not connected (or its connection expired): connect "
                      "it again and the event will be added.")
            outbox.enqueue(container, user.id, "mirror_event", {"mirroredEventId": row_id})
        else:
            detail = "Your calendar could not be reached yet; the event will be added shortly."
            outbox.enqueue(container, user.id, "mirror_event", {"mirroredEventId": row_id})
        with container.db.session() as session:
            row = session.get(MirroredEvent, row_id)
            assert row is not None
            row.state, row.detail = ("failed" if refused else "pending"), detail
            return row
    failpoint("create.after_calendar")
    with container.db.session() as session:
        row = session.get(MirroredEvent, row_id)
        assert row is not None
        cancelled = row.state == "deleted"  # cancelled while the item was being created
        if not cancelled:
            row.calendar_item_id, row.calendar_etag = item.item_id, item.etag
            row.state, row.detail, row.last_synced_at = "mirrored", None, utcnow()
            row.base_fields = {**row.base_fields, "webLink": item.web_link}
    if adopted and not cancelled:  # its attendees reach Salesforce in the next pass
        request_sync(container, user.id, "linked a calendar item")
    if cancelled and not adopted:  # an appointment nobody was invited to: emails nobody
        with suppress(CalendarError):
            calendar.delete_item(item.item_id, notify=NotifyMode.SILENT)
    return row


def salesforce_of(container: Container, user: CurrentUser) -> SalesforceClient:
    try:
        return open_salesforce(container, user)
    except NotConnected:
        raise AccountNotConnected("Connect your Salesforce account first.",
                                  "salesforce") from None


def refused_for_good(exc: Exception) -> bool:
    """A calendar refusal no retry changes (the request itself is wrong for that service:
    a 4xx other than auth, rate limits, conflicts and missing items)."""
    return (type(exc) is CalendarError and exc.status is not None
            and 400 <= exc.status < 500 and exc.status not in (408, 409, 423, 425))


def _calendar_reason(exc: Exception) -> str:
    """The calendar's own words, without hosts or URLs."""
    text = str(exc).split(" (", 1)[0].strip()
    return text if text and "://" not in text else "it did not accept the event."


def _view(record: dict[str, Any], instance_url: str, mirror: MirroredEvent,
          user: CurrentUser, attendees: list[dict[str, Any]] | None = None,
          kind: str | None = None) -> dict[str, Any]:
    sync: dict[str, Any] = {"state": mirror.state}
    if mirror.detail:
        sync["detail"] = mirror.detail
    event = event_view(record, instance_url)
    # the API's id stays the mirror's: a series whose first occurrence was deleted is shown
    # through a live occurrence (its record link) and still known by that first id
    event["id"] = mirror.salesforce_event_id
    agreed_rule = (mirror.base_fields or {}).get("recurrence")
    if event["recurrence"] is None and agreed_rule and record.get("IsRecurrence2"):
        event["recurrence"] = with_prefix(str(agreed_rule))
    return {
        "event": event,
        "mirror": {"provider": mirror.provider, "itemId": mirror.calendar_item_id,
                   "kind": kind or ("meeting" if mirror.base_attendees else "appointment"),
                   "organizer": user.email,
                   "webLink": (mirror.base_fields or {}).get("webLink")},
        "attendees": attendees or [],
        "sync": sync,
    }


def stored_event_view(container: Container, user: CurrentUser, event_id: str,
                      record: dict[str, Any]) -> dict[str, Any]:
    """The view right after the product itself changed the event: the Salesforce record the
    caller holds and the stored agreed state, no upstream request."""
    mirror = find_mirror(container, user.id, event_id)
    attendees = attendee_views(mirror)
    kind = "meeting" if any(not a.get("held") for a in attendees) else "appointment"
    return _view(record, salesforce_of(container, user).instance_url, mirror, user, attendees,
                 kind)


def get_event_view(container: Container, user: CurrentUser, event_id: str) -> dict[str, Any]:
    """The event as both sides have it now (one Salesforce and one calendar request)."""
    mirror = find_mirror(container, user.id, event_id)
    salesforce = salesforce_of(container, user)
    record: dict[str, Any] | None
    try:
        try:
            record = salesforce.get_event(event_id)
        except SalesforceNotFound:
            record = _series_stand_in(container, mirror, salesforce)
    except SalesforceError as exc:
        raise UpstreamUnavailable("Salesforce is not available; try again.") from exc
    if record is None:
        raise NotFound("The event was deleted in Salesforce.")
    attendees = attendee_views(mirror)
    kind = None
    if mirror.calendar_item_id:
        try:
            item = open_calendar(container, user).get_item(mirror.calendar_item_id)
        except CalendarError as exc:
            log.info("calendar read failed for %s: %s", event_id, exc)
        else:
            kind = item.kind
            answers = {a.key: a.response for a in item.attendees_besides_organizer()}
            for attendee in attendees:  # responses as the calendar has them now
                attendee["response"] = answers.get(attendee["email"].lower(),
                                                   attendee["response"])
    return _view(record, salesforce.instance_url, mirror, user, attendees, kind)


def _series_stand_in(container: Container, mirror: MirroredEvent, salesforce: SalesforceClient
                     ) -> dict[str, Any] | None:
    """A series is known by its first occurrence's Event id; once that occurrence is
    deleted (cancelled on its own), the earliest live occurrence stands for the series.
    None for a single event, or a series with no occurrence left."""
    if not is_series(mirror):
        return None
    live = live_occurrences(container, mirror, salesforce)
    return min(live, key=lambda r: str(r.get("StartDateTime") or ""), default=None)


def _mirror_later(container: Container, user_id: int, payload: dict[str, Any]) -> None:
    user = load_user(container, user_id)
    if user is None:
        return  # the user is gone; nothing to mirror for
    row = ensure_mirror(container, user, int(payload["mirroredEventId"]))
    if row.state == "failed":
        raise outbox.PermanentFailure(row.detail or "the calendar refused the event")
    if row.state == "pending":
        raise RuntimeError(row.detail or "the calendar is still unavailable")


def requeue_stranded_mirrors(container: Container, now: datetime | None = None) -> int:
    """Mirrors left ``pending`` with nothing to complete them (a process died between the
    row and its outbox entry, or rows from before intents existed): queue their mirror.
    The calendar create is idempotent per Event, so one that did reach the calendar is
    found, not made twice. Returns how many were queued."""
    now = now or datetime.now(UTC)
    checked = container.caches.get("stranded-mirrors-checked")
    if checked is not None and now - checked < STRANDED_CHECK_EVERY:
        return 0
    container.caches["stranded-mirrors-checked"] = now
    settled = now - outbox.lease(container)
    with container.db.session() as session:
        stranded = session.execute(select(MirroredEvent.id, MirroredEvent.user_id).where(
            MirroredEvent.state == "pending", MirroredEvent.calendar_item_id.is_(None),
            MirroredEvent.created_at < settled)).all()
        if not stranded:
            return 0
        waiting = session.scalars(select(OutboxOperation.payload).where(
            OutboxOperation.kind.in_(("mirror_event", "create_event")),
            OutboxOperation.state.in_(("pending", "running")))).all()
    covered = {p.get("mirroredEventId") for p in waiting} | {
        p.get("salesforceEventId") for p in waiting}
    queued = 0
    with container.db.session() as session:
        for row_id, user_id in stranded:
            row = session.get(MirroredEvent, row_id)
            if row is None or row.id in covered or row.salesforce_event_id in covered:
                continue
            log.warning("mirror of %s was stranded; queued again", row.salesforce_event_id)
            queued += 1
            session.add(OutboxOperation(user_id=user_id, kind="mirror_event",
                                        payload={"mirroredEventId": row_id}))
    return queued
