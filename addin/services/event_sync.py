"""The Event itself across both sides: field edits (subject, location, when); deletions are
in cancellation.py.

Attendees hear about a field change only when it is something they see and the item is a
meeting; an appointment's edits email nobody."""

from __future__ import annotations

import logging
from typing import Any

from addin.container import Container
from addin.domain import CalendarItem
from addin.providers.calendar.provider import CalendarProvider
from addin.providers.salesforce.client import SalesforceClient
from addin.services.event_mapping import draft_from_base, event_view
from addin.services.org_settings import OrgSettings
from addin.store.models import MirroredEvent
from addin.sync.fields import as_base, from_api, from_calendar, merge_fields, salesforce_fields

log = logging.getLogger(__name__)


def sync_fields(container: Container, row: MirroredEvent, salesforce: SalesforceClient,
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
                                      etag=item.etag, notify_attendees=item.kind == "meeting")
    if result.to_salesforce or result.to_calendar or fields != row.base_fields:
        with container.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            stored.base_fields = fields
            stored.calendar_etag = item.etag
        row.base_fields, row.calendar_etag = fields, item.etag
    return item
