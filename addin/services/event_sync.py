"""The Event itself across both sides: field edits (subject, location, when) and deletions.

Attendees hear about a field change only when it is something they see and the item is a
meeting; an appointment's edits email nobody."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from addin.container import Container
from addin.domain import CalendarItem
from addin.providers.calendar import CalendarError, CalendarProvider, NotifyMode
from addin.providers.salesforce import SalesforceClient, SalesforceNotFound
from addin.services.event_mapping import draft_from_base, event_view
from addin.services.org_settings import OrgSettings
from addin.store.models import MirroredEvent, utcnow
from addin.sync.fields import as_base, from_api, from_calendar, merge_fields, salesforce_fields

log = logging.getLogger(__name__)


def sync_fields(services: Container, row: MirroredEvent, salesforce: SalesforceClient,
                calendar: CalendarProvider, record: dict[str, Any], item: CalendarItem,
                settings: OrgSettings) -> CalendarItem:
    base = from_api(row.base_fields)
    on_salesforce = from_api(event_view(record, salesforce.instance_url))
    on_calendar = from_calendar(item.subject, item.location, item.is_all_day, item.start,
                                item.end)
    result = merge_fields(base, on_salesforce, on_calendar, settings.sync_direction)
    if result.to_salesforce:
        salesforce.update_event(row.salesforce_event_id,
                                salesforce_fields(result.to_salesforce))
    fields = {**row.base_fields, **as_base(result.agreed)}
    if result.to_calendar:
        item = calendar.update_fields(str(row.calendar_item_id),
                                      draft_from_base(fields, row.salesforce_event_id),
                                      notify_attendees=item.kind == "meeting")
    if result.to_salesforce or result.to_calendar or fields != row.base_fields:
        with services.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            stored.base_fields = fields
            stored.calendar_etag = item.etag
        row.base_fields = fields
    return item


def salesforce_deleted(services: Container, row: MirroredEvent, calendar: CalendarProvider,
                       settings: OrgSettings) -> str:
    """The Event is gone from Salesforce: cancel/delete the calendar item if configured."""
    outcome = "kept in the calendar (deletions are not propagated)"
    if settings.delete_propagation in ("both_ways", "sf_to_calendar") and row.calendar_item_id:
        try:
            calendar.delete_item(row.calendar_item_id, notify=NotifyMode.CHANGED)
        except CalendarError as exc:  # already gone is fine
            log.info("calendar delete of %s: %s", row.calendar_item_id, exc)
        outcome = "deleted in the calendar"
    _mark_deleted(services, row, f"Deleted in Salesforce; {outcome}.")
    return outcome


def calendar_deleted(services: Container, row: MirroredEvent, salesforce: SalesforceClient,
                     settings: OrgSettings) -> str:
    """The calendar item is gone: delete the Event (two-way), or mirror it again (one-way:
    Salesforce is the source of truth)."""
    if settings.sync_direction == "sf_to_calendar":
        with services.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            generation = int(stored.base_fields.get("mirrorGeneration", 0)) + 1
            stored.base_fields = {**stored.base_fields, "mirrorGeneration": generation}
            stored.calendar_item_id, stored.state = None, "pending"
            stored.detail = "Deleted in the calendar; mirrored again from Salesforce."
        return "mirrored again"
    if settings.delete_propagation == "both_ways":
        with suppress(SalesforceNotFound):  # already gone is fine
            salesforce.delete_event(row.salesforce_event_id)
        _mark_deleted(services, row, "Deleted in the calendar and in Salesforce.")
        return "deleted in Salesforce"
    _mark_deleted(services, row, "Deleted in the calendar; the Salesforce Event is kept.")
    return "kept in Salesforce"


def _mark_deleted(services: Container, row: MirroredEvent, detail: str) -> None:
    with services.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        stored.state, stored.detail, stored.last_synced_at = "deleted", detail, utcnow()
