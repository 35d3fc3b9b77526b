"""Deleting a mirrored Event: from the sidebar, in Salesforce, or in the calendar.

Every attendee gets exactly one cancellation, from whoever is in a position to send it:
- deleted in the calendar or from the sidebar: the mail server cancels the meeting for
  everyone on the calendar item; the Salesforce Event is deleted through the REST API, which
  never emails;
- deleted in Salesforce by a Lightning organizer: Salesforce emails nobody, so the calendar
  item is deleted with notifications;
- deleted in Salesforce by a Classic organizer: Salesforce has emailed every invitee
  (linked attendee) a cancellation. Google can first drop those invitees silently and then
  cancel for the rest (unlinked guests Salesforce never knew). Microsoft Graph cannot be
  silent: under the `hold` policy a meeting that still has Salesforce invitees is kept in
  Outlook for the organizer to cancel there (the row's detail says so); under `mirror` it is
  deleted and Outlook's cancellation is a documented second one.

Held attendees (Graph + Classic, invited by Salesforce and kept out of Outlook) hear nothing
when the meeting is cancelled outside Salesforce: the REST API cannot make Salesforce email
them. The sidebar's answer lists them so the organizer can tell them.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain import Attendee
from addin.domain.errors import NotFound, UpstreamUnavailable
from addin.providers.calendar.provider import (
    CalendarError,
    CalendarProvider,
    ItemNotFound,
    NotifyMode,
)
from addin.providers.salesforce.client import SalesforceClient, SalesforceError, SalesforceNotFound
from addin.providers.salesforce.series import delete_series
from addin.services.mirrors import find_mirror, sidebar_write
from addin.services.org_settings import OrgSettings
from addin.services.series import is_series, live_occurrences
from addin.store.models import MirroredEvent, utcnow
from addin.sync.merge import AgreedAttendee, key

log = logging.getLogger(__name__)


def _base(row: MirroredEvent) -> list[AgreedAttendee]:
    return [AgreedAttendee.from_json(a) for a in row.base_attendees or []]


def held_emails(row: MirroredEvent) -> list[str]:
    return sorted(a.email for a in _base(row) if a.held)


def cancel_event(container: Container, user: CurrentUser, event_id: str) -> dict[str, Any]:
    """The sidebar's "Cancel event": the calendar first (its server cancels the meeting for
    every attendee on the item), then the Salesforce Event (silent). A retry after a partial
    failure finishes the job; nobody is told twice."""
    with sidebar_write(container, user.id):
        row = find_mirror(container, user.id, event_id)
        if row.state == "deleted":
            raise NotFound("No such event.")
        told: list[str] = []
        if row.calendar_item_id:
            calendar = open_calendar(container, user)
            try:
                item = calendar.get_item(row.calendar_item_id)
                told = sorted(a.email for a in item.attendees_besides_organizer())
                calendar.delete_item(row.calendar_item_id, notify=NotifyMode.CHANGED)
            except ItemNotFound:
                pass  # already gone (an earlier try, or the organizer)
            except CalendarError as exc:
                raise UpstreamUnavailable("Your calendar is not available; nothing was "
                                          "cancelled yet, try again.") from exc
        try:
            with suppress(SalesforceNotFound):
                salesforce = open_salesforce(container, user)
                if is_series(row):  # every occurrence, in one request
                    live = live_occurrences(container, row, salesforce)
                    if live:
                        delete_series(salesforce, str(live[0]["Id"]))
                else:
                    salesforce.delete_event(event_id)
        except SalesforceError as exc:
            raise UpstreamUnavailable("Salesforce is not available; the calendar item is "
                                      "already cancelled, try again.") from exc
        untold = held_emails(row)
        detail = "Cancelled from the sidebar."
        if untold:
            detail += " Invited by Salesforce and not told by it: " + ", ".join(untold) + "."
        _mark_deleted(container, row, detail)
        return {"id": event_id, "state": "deleted", "cancellationsSentTo": told,
                "notToldByAnyone": untold, "detail": detail}


def salesforce_deleted(container: Container, row: MirroredEvent, calendar: CalendarProvider,
                       settings: OrgSettings, experience: str) -> str:
    """The Event is gone from Salesforce: cancel the calendar item if configured, emailing
    only those Salesforce did not."""
    if settings.delete_propagation not in ("both_ways", "sf_to_calendar") \
            or not row.calendar_item_id:
        outcome = "kept in the calendar (deletions are not propagated)"
    else:
        try:
            outcome = _cancel_in_calendar(row, calendar, settings, experience)
        except ItemNotFound:
            outcome = "already gone from the calendar"
    _mark_deleted(container, row, f"Deleted in Salesforce; {outcome}.")
    return outcome


def _cancel_in_calendar(row: MirroredEvent, calendar: CalendarProvider,
                        settings: OrgSettings, experience: str) -> str:
    item_id = str(row.calendar_item_id)
    item = calendar.get_item(item_id)
    attendees = item.attendees_besides_organizer()
    invitees = {key(a.email) for a in _base(row) if a.record and not a.removed_in_salesforce}
    told = [a for a in attendees if experience == "classic" and a.key in invitees]
    if not told:  # Lightning, or nobody on the item heard from Salesforce
        calendar.delete_item(item_id, notify=NotifyMode.CHANGED)
        return "deleted in the calendar"
    rest: list[Attendee] = [a for a in attendees if a.key not in invitees]
    if calendar.capabilities.silent_attendee_update:
        calendar.replace_attendees(item_id, rest, notify=NotifyMode.SILENT, etag=item.etag)
        calendar.delete_item(item_id, notify=NotifyMode.CHANGED if rest else NotifyMode.SILENT)
        return "deleted in the calendar (Salesforce had told its invitees)"
    if settings.graph_classic_policy == "mirror":
        calendar.delete_item(item_id, notify=NotifyMode.CHANGED)
        return "deleted in the calendar (Outlook's cancellation is a second one: mirror policy)"
    names = ", ".join(sorted(a.email for a in told))
    return (f"kept in Outlook: Salesforce has told {names}, and Outlook would tell them again "
            "(hold policy); cancel the meeting in Outlook when you are ready")


def calendar_deleted(container: Container, row: MirroredEvent, salesforce: SalesforceClient,
                     settings: OrgSettings) -> str:
    """The calendar item is gone (its server cancelled it for its attendees): delete the
    Event (two-way), or mirror it again (one-way: Salesforce is the source of truth)."""
    if settings.sync_direction == "sf_to_calendar":
        with container.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            generation = int(stored.base_fields.get("mirrorGeneration", 0)) + 1
            stored.base_fields = {**stored.base_fields, "mirrorGeneration": generation}
            stored.calendar_item_id, stored.state = None, "pending"
            stored.detail = "Deleted in the calendar; mirrored again from Salesforce."
        return "mirrored again"
    untold = held_emails(row)
    note = f" Invited by Salesforce and not told: {', '.join(untold)}." if untold else ""
    if settings.delete_propagation == "both_ways":
        with suppress(SalesforceNotFound):  # already gone is fine
            salesforce.delete_event(row.salesforce_event_id)
        _mark_deleted(container, row, "Deleted in the calendar and in Salesforce." + note)
        return "deleted in Salesforce"
    _mark_deleted(container, row, "Deleted in the calendar; the Salesforce Event is kept." + note)
    return "kept in Salesforce"


def _mark_deleted(container: Container, row: MirroredEvent, detail: str) -> None:
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        stored.state, stored.detail, stored.last_synced_at = "deleted", detail, utcnow()
