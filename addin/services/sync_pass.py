"""One sync pass for one user: find the mirrored events that changed on either side since
the last pass (Salesforce by SystemModstamp high-water mark, the calendar by its delta link
or sync token) and reconcile each of them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from addin.container import Container
from addin.domain import CalendarItem
from addin.identity import load_user
from addin.providers.calendar import CalendarProvider, ItemNotFound
from addin.providers.registry import open_calendar, open_salesforce
from addin.providers.salesforce import EventSnapshot, SalesforceClient, SalesforceNotFound
from addin.services.attendees import reconcile
from addin.services.cancellation import calendar_deleted, salesforce_deleted
from addin.services.event_sync import sync_fields
from addin.services.events import ensure_mirror
from addin.services.org_settings import load_org_settings
from addin.services.sync_history import modified_at, propagation, record_pass
from addin.store.models import MirroredEvent, SyncCursor
from addin.sync.fields import from_api

log = logging.getLogger(__name__)
FIRST_LOOKBACK = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=5)
DELETED_WINDOW = timedelta(minutes=2)


@dataclass
class PassReport:
    checked: int = 0
    reconciled: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)  # event id -> what was done
    propagations: list[dict[str, Any]] = field(default_factory=list)  # see sync_history


def _cursor(services: Container, user_id: int, source: str) -> str | None:
    with services.db.session() as session:
        row = session.scalar(select(SyncCursor).where(SyncCursor.user_id == user_id,
                                                      SyncCursor.source == source))
        return row.cursor if row else None


def _save_cursor(services: Container, user_id: int, source: str, value: str) -> None:
    """One statement (INSERT ... ON CONFLICT DO UPDATE): two passes saving the same cursor
    at once (a webhook's and a requested one) cannot collide on the unique key."""
    with services.db.session() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(SyncCursor).values(user_id=user_id, source=source, cursor=value,
                                              updated_at=datetime.now(UTC))
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id", "source"],
            set_={"cursor": value, "updated_at": datetime.now(UTC)}))


def sync_user(services: Container, user_id: int, reason: str = "poll") -> PassReport:
    """One pass, recorded (addin/services/sync_history.py) whether it succeeds or not."""
    report = PassReport()
    started = datetime.now(UTC)
    try:
        _sync_user(services, user_id, report)
    except Exception as exc:
        record_pass(services, user_id, reason, started, checked=report.checked,
                    reconciled=len(report.reconciled), failures=report.failed,
                    error=f"{exc.__class__.__name__}: {exc}",
                    propagations=report.propagations)
        raise
    record_pass(services, user_id, reason, started, checked=report.checked,
                reconciled=len(report.reconciled), failures=report.failed,
                propagations=report.propagations)
    return report


def _sync_user(services: Container, user_id: int, report: PassReport) -> None:
    user = load_user(services, user_id)
    if user is None:
        return
    with services.db.session() as session:
        rows = list(session.scalars(select(MirroredEvent).where(
            MirroredEvent.user_id == user_id, MirroredEvent.state == "mirrored")))
    if not rows:
        return
    salesforce, calendar = open_salesforce(services, user), open_calendar(services, user)
    started = datetime.now(UTC)
    stored = _cursor(services, user_id, "salesforce_events")
    since = (datetime.fromisoformat(stored) if stored else started - FIRST_LOOKBACK) - CLOCK_SKEW
    touched = {e["Id"] for e in salesforce.changed_events(since, user.salesforce_user_id)}
    ids = [r.salesforce_event_id for r in rows]
    for chunk in range(0, len(ids), 200):
        touched |= {r.event_id for r in salesforce.changed_event_relations(
            since, ids[chunk: chunk + 200])}
    source = f"{calendar.name}_changes"
    page = calendar.list_changes(_cursor(services, user_id, source))
    items = {i.item_id for i in page.changed} | set(page.removed)
    echoes = {i.item_id: i.etag for i in page.changed if i.etag}
    # items the change feed no longer covers (moved far ahead) are looked at directly
    fetched = _outside_window(rows, calendar, started)
    known_etags = {r.calendar_item_id: r.calendar_etag for r in rows}
    items |= {item_id for item_id, item in fetched.items()
              if item is None or item.etag != known_etags.get(item_id)}
    # getDeleted ignores seconds and needs more than a minute: ask for a wider window
    deleted = set(salesforce.deleted_events(min(since, started - DELETED_WINDOW),
                                            started + DELETED_WINDOW)) & set(ids)
    org = load_org_settings(services, user.organization_id)
    experiences: list[str] = []  # the organizer's Classic/Lightning, read once when needed

    def experience() -> str:
        if not experiences:
            experiences.append(salesforce.user_experience(str(user.salesforce_user_id)))
        return experiences[0]

    for row in rows:
        report.checked += 1
        salesforce_changed = row.salesforce_event_id in touched | deleted
        if not (page.full_resync or salesforce_changed or row.calendar_item_id in items):
            continue
        if not (page.full_resync or salesforce_changed) and _own_write(row, echoes):
            continue  # the calendar reports the product's own last write: nothing new
        try:
            snapshot = None if row.salesforce_event_id in deleted else _event(salesforce, row)
            if snapshot is None:
                report.deleted[row.salesforce_event_id] = salesforce_deleted(
                    services, row, calendar, org, experience())
                continue
            # "removed" may mean moved out of the change feed's window: look before deleting
            item = fetched[row.calendar_item_id] if row.calendar_item_id in fetched \
                else _item(calendar, row)
            if item is None:  # gone (404 / cancelled); a full resync lists no deletions
                report.deleted[row.salesforce_event_id] = calendar_deleted(
                    services, row, salesforce, org)
                if org.sync_direction == "sf_to_calendar":
                    ensure_mirror(services, user, row.id)
                continue
            record = snapshot.record
            agreed = _agreed_state(services, row.id)
            changed = modified_at(record, item.raw)
            item = sync_fields(services, row, salesforce, calendar, record, item, org)
            reconcile(services, user, row, salesforce, calendar, experience(), item, record,
                      snapshot.relations)
            report.reconciled.append(row.salesforce_event_id)
            if _agreed_state(services, row.id) != agreed:  # something was propagated
                measured = propagation(row.salesforce_event_id, changed, datetime.now(UTC))
                if measured:
                    report.propagations.append(measured)
        except Exception as exc:  # one event's failure must not stop the pass
            log.exception("reconciling %s failed", row.salesforce_event_id)
            report.failed[row.salesforce_event_id] = f"{exc.__class__.__name__}: {exc}"
    _save_cursor(services, user_id, "salesforce_events", started.isoformat())
    _save_cursor(services, user_id, source, page.cursor)


def _agreed_state(services: Container, row_id: int) -> tuple[Any, ...]:
    """What both sides agree on, normalized: the event's fields and its attendees with
    their answers and links (a change to it is a change propagated)."""
    with services.db.session() as session:
        stored = session.get(MirroredEvent, row_id)
        if stored is None:
            return ()
        people = sorted((str(a.get("email", "")).lower(), a.get("response"),
                         bool(a.get("optional")), str(a.get("record")))
                        for a in stored.base_attendees or [])
        return from_api(stored.base_fields or {}), people


def _own_write(row: MirroredEvent, etags: dict[str, str]) -> bool:
    """The changed item carries the etag the product stored after writing it."""
    etag = etags.get(str(row.calendar_item_id))
    return bool(etag) and etag == row.calendar_etag


def _event(salesforce: SalesforceClient, row: MirroredEvent) -> EventSnapshot | None:
    """The Event and its relations, in one request."""
    try:
        return salesforce.event_with_relations(row.salesforce_event_id)
    except SalesforceNotFound:
        return None


def _item(calendar: CalendarProvider, row: MirroredEvent) -> CalendarItem | None:
    """The mirror's calendar item; None when it is gone: not found, or cancelled."""
    try:
        item = calendar.get_item(str(row.calendar_item_id))
    except ItemNotFound:
        return None
    cancelled = item.raw.get("isCancelled") is True or item.raw.get("status") == "cancelled"
    return None if cancelled else item


def _outside_window(rows: list[MirroredEvent], calendar: CalendarProvider, now: datetime
                    ) -> dict[str, CalendarItem | None]:
    """The items of mirrors agreed to lie beyond the change feed's window (within a month
    of its far end, as the window began when the cursor did), read directly."""
    window = calendar.capabilities.change_window_days
    if window is None:
        return {}
    edge = now + timedelta(days=window[1] - 31)
    found: dict[str, CalendarItem | None] = {}
    for row in rows:
        end = (row.base_fields or {}).get("end")
        if row.calendar_item_id and end and _instant(str(end)) > edge:
            found[row.calendar_item_id] = _item(calendar, row)
    return found


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
