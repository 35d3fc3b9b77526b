"""A mirrored series across both sides: Salesforce's occurrence Events and the calendar's
ONE series item, reconciled occurrence by occurrence inside the sync window.

The mirror row of a series is keyed by its first occurrence's Event id (what the create
answered) and holds the series' calendar item (the master). Its base keeps the series key
(``series``: owner, pattern start and text, which is how Salesforce's occurrences are
found: no field links them) and the agreed occurrences (``occurrences``: original start
-> Event id and times). Decisions are addin/sync/occurrences.py's; this module reads,
executes and saves. Upstream requests per reconciled series: Salesforce 1 read (+1 per
write), calendar 2 reads (the master, the instances in the window) (+1 per write).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from addin.accounts.clients import open_calendar
from addin.accounts.connections import NotConnected
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain import CalendarItem
from addin.domain.errors import InvalidInput, UpstreamUnavailable
from addin.providers.calendar.provider import (
    CalendarError,
    CalendarProvider,
    ItemNotFound,
    NotifyMode,
)
from addin.providers.salesforce.client import SalesforceClient, SalesforceNotFound
from addin.providers.salesforce.records import EventRelationRecord
from addin.providers.salesforce.series import (
    delete_series,
    occurrences,
    recreated_since,
    relations,
    series_key,
    update_occurrences,
)
from addin.services.event_mapping import draft_from_base
from addin.services.org_settings import OrgSettings
from addin.store.models import MirroredEvent, utcnow
from addin.sync.fields import merge_fields, salesforce_fields
from addin.sync.occurrences import (
    CalendarOccurrence,
    OccurrenceBase,
    OccurrencePlan,
    SalesforceOccurrence,
    Slot,
    originals_by_event,
    plan,
)
from addin.sync.recurrence import RecurrenceError, normalize

log = logging.getLogger(__name__)
# How far around now a series is expanded when it is reconciled: occurrences beyond are
# neither read nor written (an endless series is never expanded to 2046).
WINDOW_DAYS = (30, 365)


def is_series(row: MirroredEvent) -> bool:
    return bool((row.base_fields or {}).get("recurrence"))


def window(calendar: CalendarProvider, now: datetime) -> tuple[datetime, datetime]:
    back, ahead = calendar.capabilities.change_window_days or WINDOW_DAYS
    return now - timedelta(days=back), now + timedelta(days=ahead)


def occurrence_ids(row: MirroredEvent) -> set[str]:
    """Every Salesforce occurrence Event id the base knows for this series."""
    base = base_occurrences(row)
    return set(originals_by_event(base)) | {row.salesforce_event_id}


@dataclass
class SeriesOutcome:
    detail: str
    master: CalendarItem | None = None  # the calendar series, when it lives on
    # "salesforce" | "calendar": the series was deleted there; "pattern": Salesforce made
    # a new series (its pattern changed), this one is no longer mirrored
    gone_from: str | None = None


def reconcile_series(container: Container, user: CurrentUser, row: MirroredEvent,
                     salesforce: SalesforceClient, calendar: CalendarProvider,
                     settings: OrgSettings, now: datetime | None = None) -> SeriesOutcome:
    """One pass over one series' occurrences (attendees are the caller's)."""
    now = now or datetime.now(UTC)
    live = live_occurrences(container, row, salesforce)
    if _pattern_changed(container, row, salesforce, live):
        detail = ("The series' repeat pattern was changed in Salesforce, which makes a new "
                  "series there: this one is no longer kept in step (nothing was deleted "
                  "in your calendar).")
        with container.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            stored.state, stored.detail = "failed", detail
        return SeriesOutcome(detail, gone_from="pattern")
    if not live:
        return SeriesOutcome("every occurrence was deleted in Salesforce",
                             gone_from="salesforce")
    try:
        master = calendar.get_item(str(row.calendar_item_id))
    except ItemNotFound:
        return SeriesOutcome(calendar_series_deleted(container, row, salesforce, settings,
                                                     live), gone_from="calendar")
    if master.raw.get("isCancelled") is True or master.raw.get("status") == "cancelled":
        return SeriesOutcome(calendar_series_deleted(container, row, salesforce, settings,
                                                     live), gone_from="calendar")
    low, high = window(calendar, now)
    instances = calendar.list_instances(str(row.calendar_item_id), low, high)
    base = base_occurrences(row)
    decided = plan(base, (instant_key(low), instant_key(high)), _salesforce_side(base, live),
                   _calendar_side(instances), settings.sync_direction)
    _execute(row, salesforce, calendar, master, decided)
    texts = _sync_texts(row, salesforce, calendar, master, live, settings,
                        fresh_etag=not decided.writes)
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        stored.base_fields = {**stored.base_fields, **texts, "occurrences": {
            k: v.as_json() for k, v in decided.base.items()}}
        stored.last_synced_at = utcnow()
        row.base_fields = stored.base_fields
    return SeriesOutcome(f"{decided.writes} occurrence change(s) applied", master)


def _pattern_changed(container: Container, row: MirroredEvent, salesforce: SalesforceClient,
                     live: list[dict[str, Any]]) -> bool:
    """Agreed occurrences are gone and the owner has new occurrences of the same subject
    since the last pass: Salesforce recreated the series (a pattern change). Read only
    when agreed occurrences are missing."""
    base = base_occurrences(row)
    agreed = {b.salesforce_event_id for b in base.values() if b.slot is not None
              and b.salesforce_event_id}
    if not agreed - {str(r["Id"]) for r in live}:
        return False
    key = (row.base_fields or {}).get("series") or {}
    since = row.last_synced_at or row.created_at
    if not key or since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    found = set(recreated_since(salesforce, str(key["ownerId"]),
                                str(row.base_fields.get("subject") or ""),
                                since - timedelta(minutes=1), agreed))
    return bool(found - _other_mirrors(container, row))


def _other_mirrors(container: Container, row: MirroredEvent) -> set[str]:
    """The Salesforce Event ids the user's other mirrors hold (another series of the same
    subject made meanwhile is not this one recreated)."""
    with container.db.session() as session:
        others = list(session.scalars(select(MirroredEvent).where(
            MirroredEvent.user_id == row.user_id, MirroredEvent.id != row.id)))
        return {o.salesforce_event_id for o in others} | {
            event_id for o in others for event_id in originals_by_event(base_occurrences(o))}


def _sync_texts(row: MirroredEvent, salesforce: SalesforceClient, calendar: CalendarProvider,
                master: CalendarItem, live: list[dict[str, Any]], settings: OrgSettings,
                fresh_etag: bool) -> dict[str, str]:
    """The series' subject and location, three ways (addin/sync/fields.py): Salesforce's
    is its earliest occurrence nobody changed alone; a change goes to every occurrence in
    one request, or to the calendar series alone (its exceptions keep their times).
    Returns the agreed values."""
    representative = next((r for r in live if not r.get("IsRecurrence2Exception")), live[0])
    base = {"subject": str(row.base_fields.get("subject") or ""),
            "location": str(row.base_fields.get("location") or ""), "when": None}
    on_salesforce = {"subject": str(representative.get("Subject") or ""),
                     "location": str(representative.get("Location") or ""), "when": None}
    on_calendar = {"subject": master.subject, "location": master.location, "when": None}
    result = merge_fields(base, on_salesforce, on_calendar, settings.sync_direction)
    if result.to_salesforce:
        update_occurrences(salesforce, [str(r["Id"]) for r in live],
                           salesforce_fields(result.to_salesforce))
    if result.to_calendar:
        calendar.rename_item(master.item_id, result.agreed["subject"],
                             result.agreed["location"],
                             etag=master.etag if fresh_etag else None,
                             notify_attendees=master.kind == "meeting")
    return {"subject": result.agreed["subject"], "location": result.agreed["location"]}


def calendar_series_deleted(container: Container, row: MirroredEvent,
                            salesforce: SalesforceClient, settings: OrgSettings,
                            live: list[dict[str, Any]]) -> str:
    """The calendar series is gone (its server cancelled it for its attendees, once):
    the Salesforce series goes too (two-way deletions), from its first live occurrence on,
    in one request; the REST API emails nobody."""
    if settings.delete_propagation != "both_ways" or settings.sync_direction == \
            "sf_to_calendar":
        outcome = "kept in Salesforce"
    else:
        with suppress(SalesforceNotFound):
            delete_series(salesforce, str(live[0]["Id"]))
        outcome = "deleted in Salesforce"
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        stored.state, stored.last_synced_at = "deleted", utcnow()
        stored.detail = f"The series was deleted in the calendar; {outcome}."
    return outcome


def adoptable(container: Container, user: CurrentUser, payload: dict[str, Any]
              ) -> dict[str, Any]:
    """A create for an item the person made in the calendar: it must be theirs and not
    linked yet; a series keeps its own rule (unless the create names one). One calendar
    read, before anything is recorded."""
    try:
        item = open_calendar(container, user, payload["timeZone"]).get_item(
            payload["calendarItemId"])
    except ItemNotFound:
        raise InvalidInput("That calendar item does not exist (any more).", fields={
            "calendarItemId": "not found in your calendar"}) from None
    except (CalendarError, NotConnected) as exc:
        raise UpstreamUnavailable("Your calendar is not available; try again.") from exc
    with container.db.session() as session:
        known = session.scalar(select(MirroredEvent.id).where(
            MirroredEvent.provider == user.calendar_provider,
            MirroredEvent.calendar_item_id == item.item_id))
    if not item.is_organizer or item.salesforce_event_id or item.series_id or known:
        reason = ("already linked to a Salesforce Event" if item.salesforce_event_id
                  or known else
                  "one occurrence of a series: link the series" if item.series_id else
                  "organized by someone else")
        raise InvalidInput(f"That calendar item cannot be linked: {reason}.",
                           fields={"calendarItemId": reason})
    if item.recurrence and not payload.get("recurrence"):
        try:
            payload = {**payload, "recurrence": normalize(item.recurrence, payload["start"],
                                                          payload["timeZone"])}
        except RecurrenceError as exc:
            raise InvalidInput("Salesforce cannot repeat this series the same way.",
                               fields={"recurrence": str(exc)}) from None
    return payload


def series_relations(container: Container, row: MirroredEvent, salesforce: SalesforceClient
                     ) -> dict[str, list[EventRelationRecord]]:
    """The live occurrences' relations, the series' representative first (the earliest
    occurrence nobody changed on its own): 2 requests."""
    live = live_occurrences(container, row, salesforce)
    own = set((row.base_fields or {}).get("ownAttendees") or {})
    live.sort(key=lambda r: bool(r.get("IsRecurrence2Exception")) or str(r["Id"]) in own)
    found = relations(salesforce, [str(r["Id"]) for r in live])
    return {str(r["Id"]): found.get(str(r["Id"]), []) for r in live}


def live_occurrences(container: Container, row: MirroredEvent, salesforce: SalesforceClient
                     ) -> list[dict[str, Any]]:
    """The series' live occurrence Events. Nothing links them to their series, so the
    owner's Events with the same pattern are candidates; once paired, the base's Event ids
    say which are this series' (another series with the same pattern and start stays
    apart); before that, the same subject as the first occurrence too."""
    key = _series_key(container, row, salesforce)
    if not key:
        return []
    known = set(originals_by_event(base_occurrences(row)))
    if known:
        return [r for r in occurrences(salesforce, key, same_text=False)
                if str(r["Id"]) in known]
    return [r for r in occurrences(salesforce, key) if r.get("Subject") == key.get("subject")]


def _series_key(container: Container, row: MirroredEvent, salesforce: SalesforceClient
                ) -> dict[str, str] | None:
    known = (row.base_fields or {}).get("series")
    if known:
        return dict(known)
    try:
        first = salesforce.get_event(row.salesforce_event_id)
    except SalesforceNotFound:
        return None
    key = series_key(first)
    if key:
        key["subject"] = str(first.get("Subject") or "")
        with container.db.session() as session:
            stored = session.get(MirroredEvent, row.id)
            assert stored is not None
            stored.base_fields = {**stored.base_fields, "series": key}
            row.base_fields = stored.base_fields
    return key


def base_occurrences(row: MirroredEvent) -> dict[str, OccurrenceBase]:
    return {k: OccurrenceBase.from_json(v)
            for k, v in ((row.base_fields or {}).get("occurrences") or {}).items()}


def instant_key(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat()


def record_slot(record: dict[str, Any]) -> Slot:
    if record.get("IsAllDayEvent"):
        return Slot(str(record["ActivityDate"]), str(record.get("EndDate")
                                                      or record["ActivityDate"]))
    return Slot(instant_key(_instant(record["StartDateTime"])),
                instant_key(_instant(record["EndDateTime"])))


def _item_slot(item: CalendarItem) -> Slot:
    if item.is_all_day and not isinstance(item.end, datetime):
        return Slot(instant_key(item.start), (item.end - timedelta(days=1)).isoformat())
    return Slot(instant_key(item.start), instant_key(item.end))


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00").replace("+0000", "+00:00"))


def _salesforce_side(base: dict[str, OccurrenceBase], live: list[dict[str, Any]]
                     ) -> dict[str, SalesforceOccurrence]:
    """Live occurrence Events by original start: the base's for Events it knows, their own
    start for new ones (where the pattern put them)."""
    originals = originals_by_event(base)
    found: dict[str, SalesforceOccurrence] = {}
    for record in live:
        slot = record_slot(record)
        original = originals.get(str(record["Id"]), slot.start)
        found[original] = SalesforceOccurrence(str(record["Id"]), slot)
    return found


def _calendar_side(instances: list[CalendarItem]) -> dict[str, CalendarOccurrence]:
    return {original_key(i): CalendarOccurrence(i.item_id, _item_slot(i)) for i in instances}


def original_key(item: CalendarItem) -> str:
    """An all-day occurrence is known by its day (Graph gives midnight as an instant)."""
    original = item.original_start or item.start
    if item.is_all_day and isinstance(original, datetime):
        return original.date().isoformat()
    return instant_key(original)


def _execute(row: MirroredEvent, salesforce: SalesforceClient, calendar: CalendarProvider,
             master: CalendarItem, decided: OccurrencePlan) -> None:
    for event_id, slot in decided.move_in_salesforce.items():
        if "T" in slot.start:
            fields = {"StartDateTime": slot.start, "EndDateTime": slot.end}
        else:
            fields = {"ActivityDate": slot.start, "EndDate": slot.end}
        salesforce.update_event(event_id, fields)
    for event_id in decided.delete_in_salesforce:
        with suppress(SalesforceNotFound):
            salesforce.delete_event(event_id)
    meeting = master.kind == "meeting"
    for item_id, slot in decided.move_in_calendar.items():
        one = {**row.base_fields, "start": slot.start, "end": slot.end, "recurrence": None}
        calendar.update_fields(item_id, draft_from_base(one, row.salesforce_event_id),
                               notify_attendees=meeting)
    for item_id in decided.cancel_in_calendar:
        with suppress(ItemNotFound):
            calendar.delete_item(item_id, notify=NotifyMode.CHANGED)
    if decided.writes:
        log.info("series %s: %d occurrence change(s)", row.salesforce_event_id,
                 decided.writes)
