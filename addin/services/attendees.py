"""Attendees: the sidebar's edits, and the two-way sync of one mirrored event.

Decisions come from addin/sync (pure); this module reads both sides, executes, and saves
the new base. Upstream requests per reconcile: Salesforce 1-3 (invitees; people lookup only
for new emails; one composite for every invitee change), calendar 1-2.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain import Attendee, CalendarItem
from addin.domain.errors import Conflict, InvalidInput
from addin.providers.calendar.provider import CalendarProvider, EtagMismatch, NotifyMode
from addin.providers.salesforce.client import (
    EventRelationRecord,
    PersonRecord,
    SalesforceClient,
    SalesforceValidationError,
)
from addin.providers.salesforce.series import change_series_invitees
from addin.services.event_mapping import draft_from_base
from addin.services.failpoints import failpoint
from addin.services.mirrors import find_mirror, item_as_agreed, sidebar_write
from addin.services.org_settings import load_org_settings
from addin.services.push import request_sync
from addin.services.series import is_series, series_relations
from addin.store.models import MirroredEvent, utcnow
from addin.sync.linking import Link, choose, who_id
from addin.sync.merge import AgreedAttendee, MergeResult, key, merge
from addin.sync.policy import Origin, calendar_write

log = logging.getLogger(__name__)
MAX_INVITEES = 1000
MAX_SERIES_INVITEES = 100  # Salesforce: invitees of a recurring event
STATUS = {"accepted": "Accepted", "declined": "Declined"}


def _row(container: Container, user: CurrentUser, event_id: str) -> MirroredEvent:
    row = find_mirror(container, user.id, event_id)
    if not row.calendar_item_id:
        raise Conflict("The event is still being added to your calendar; try again shortly.")
    return row


def _link_all(salesforce: SalesforceClient, emails: set[str],
              known: dict[str, list[PersonRecord]] | None = None) -> dict[str, Link | None]:
    """Links for ``emails``; ``known`` holds lookups already made (in the same read)."""
    found = dict(known or {})
    missing = emails - set(found)
    if missing:
        found.update(salesforce.find_people_by_emails(missing))
    return {k: choose(found.get(k, [])) for k in emails}


def _invitees(relations: list[EventRelationRecord]) -> dict[str, EventRelationRecord]:
    return {key(r.email): r for r in relations if r.is_invitee and r.email}


@dataclass
class Known:
    """What a caller of ``reconcile`` has read already (each read there when None).
    ``people``: look-ups of emails already made (a sync pass makes them for all its events
    at once); ``series`` (a series: its live occurrence Event ids -> their relations)
    makes an invitee change one of every occurrence."""

    experience: str | None = None
    item: CalendarItem | None = None
    record: dict[str, Any] | None = None
    relations: list[EventRelationRecord] | None = None
    people: dict[str, list[PersonRecord]] | None = None
    series: Mapping[str, Sequence[EventRelationRecord]] | None = None


@dataclass
class _Change:
    """An attendee list for both sides of one event (``_apply``), with what was read."""

    agreed: dict[str, AgreedAttendee]
    relations: list[EventRelationRecord]
    calendar_now: set[str]  # the emails the calendar item has now
    notify: NotifyMode
    item_etag: str | None
    event: dict[str, Any] | None = None
    known_people: dict[str, list[PersonRecord]] | None = None
    leave_alone: frozenset[str] = frozenset()
    step: str = "sync"
    series: Mapping[str, Sequence[EventRelationRecord]] | None = None


def _apply(container: Container, row: MirroredEvent, salesforce: SalesforceClient,
           calendar: CalendarProvider, change: _Change) -> dict[str, AgreedAttendee]:
    """Make both sides hold ``change.agreed`` (new emails linked first), save it as the
    base. A WhoId set here is written into ``change.event`` too, so a caller's view of it
    is current. The calendar write is conditional on ``item_etag`` (the item as read): a
    change made there meanwhile fails it (EtagMismatch) rather than being overwritten, and
    the etag stored afterwards is the echo of this write alone. Invitees in
    ``leave_alone`` (RelationIds) are neither removed nor recorded: the next pass treats
    them as new in Salesforce. ``series`` makes an invitee change one of every
    occurrence, in one request (the calendar series itself invites once)."""
    agreed = change.agreed
    _link_new(salesforce, change)
    # The calendar first: if Salesforce fails afterwards, the next pass sees a calendar-side
    # change and only writes Salesforce (the REST API never emails): still one invitation.
    target = [Attendee(a.email, a.name, a.optional, a.response)
              for a in agreed.values() if not a.held]
    failpoint(f"{change.step}.before_calendar")
    if {key(a.email) for a in target} != change.calendar_now:
        item = calendar.replace_attendees(str(row.calendar_item_id), target,
                                          notify=change.notify, etag=change.item_etag)
        etag = item.etag
    else:  # unchanged by this write: the etag the item had as read (or as stored)
        etag = change.item_etag or row.calendar_etag
    failpoint(f"{change.step}.after_calendar")  # the mail server has sent the invitations
    who = _write_salesforce(row, salesforce, change)
    failpoint(f"{change.step}.after_salesforce")
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        stored.base_attendees = [a.as_json() for a in agreed.values()]
        stored.calendar_etag, stored.last_synced_at = etag, utcnow()
        if who:
            stored.base_fields = {**stored.base_fields, "whoId": who}
    return agreed


def _link_new(salesforce: SalesforceClient, change: _Change) -> None:
    """Link the agreed attendees not linked yet to a Salesforce person, where one is."""
    agreed = change.agreed
    unlinked = {k for k, a in agreed.items() if a.record is None
                and not a.removed_in_salesforce}
    for k, link in _link_all(salesforce, unlinked, change.known_people).items():
        if link is not None:
            attendee = agreed[k]
            agreed[k] = AgreedAttendee(attendee.email, attendee.name or link.name,
                                       attendee.optional, attendee.response, link.as_json(),
                                       attendee.held)


def _answers(agreed: dict[str, AgreedAttendee], invitees: dict[str, EventRelationRecord]
             ) -> dict[str, str]:
    """The invitees' answers Salesforce does not show yet: RelationId -> status."""
    statuses = {a.record["id"]: STATUS.get(a.response, "New") for a in agreed.values()
                if a.record and a.response in STATUS}
    current_status = {r.relation_id: r.status for r in invitees.values()}
    return {rid: s for rid, s in statuses.items() if current_status.get(rid) != s}


def _who(row: MirroredEvent, salesforce: SalesforceClient, change: _Change
         ) -> tuple[str | None, str | None]:
    """The Event's WhoId as known, and the one to set (None: leave it)."""
    people = [Link(str(a.record["type"]), str(a.record["id"]), str(a.record.get("name", "")))
              for a in change.agreed.values()
              if a.record and a.record.get("type") in ("Contact", "Lead")]
    known_who = (row.base_fields or {}).get("whoId")
    if not people or known_who:
        return known_who, None
    # read the Event only when a WhoId may be set
    change.event = change.event or salesforce.get_event(row.salesforce_event_id)
    known_who = change.event.get("WhoId")
    return known_who, who_id(known_who, people)


def _write_salesforce(row: MirroredEvent, salesforce: SalesforceClient, change: _Change
                      ) -> str | None:
    """The invitees (and their answers, and the WhoId) Salesforce lacks; the Event's WhoId
    afterwards (None when it has none)."""
    agreed, relations, series = change.agreed, change.relations, change.series
    invitees = _invitees(relations)
    wanted = {a.record["id"]: a for a in agreed.values() if a.record}
    have = {r.relation_id for r in invitees.values()}
    statuses = _answers(agreed, invitees)
    known_who, new_who = _who(row, salesforce, change)
    add = sorted(set(wanted) - have)
    remove = sorted(have - set(wanted) - change.leave_alone)
    if series and (add or remove):
        change_series_invitees(salesforce, series, add=add, remove=remove)
        add, remove = [], []
    if add or remove or statuses or new_who:
        first = next(iter(series)) if series else row.salesforce_event_id
        salesforce.change_invitees(first, add=add, remove=remove,
                                   who_id=new_who, statuses=statuses, existing=relations)
        if new_who and change.event is not None:
            change.event["WhoId"] = new_who
    return new_who or known_who


def set_attendees(container: Container, user: CurrentUser, event_id: str,
                  desired: list[dict[str, Any]]) -> dict[str, Any]:
    """The sidebar's attendee editor: make the list exactly ``desired``. Only the added
    attendees are invited and the removed ones cancelled, by the mail server. Returns the
    Salesforce Event as it now is. Upstream requests: Salesforce 1 read (Event, relations
    and the new emails' people together) + 1 write when invitees change; calendar 1 write
    when attendees change, conditional on the etag stored with the agreed list (read first
    only when that write finds the item changed meanwhile: then 1 read + 1 write)."""
    bad = {f"attendees.{i}.email": "not a valid email address" for i, a in enumerate(desired)
           if not _valid_email(a.get("email"))}
    if bad:
        raise InvalidInput("Some attendees have invalid email addresses.", fields=bad)
    if len(desired) > MAX_INVITEES:
        raise InvalidInput("Too many attendees.", fields={
            "attendees": f"Salesforce allows at most {MAX_INVITEES} invitees"})
    with sidebar_write(container, user.id):
        row = _row(container, user, event_id)
        if (row.base_fields or {}).get("recurrence") and len(desired) > MAX_SERIES_INVITEES:
            raise InvalidInput("Too many attendees for a recurring event.", fields={
                "attendees": f"Salesforce allows at most {MAX_SERIES_INVITEES} invitees on a "
                             "recurring event"})
        salesforce, calendar = open_salesforce(container, user), open_calendar(container, user)
        try:
            return _set_attendees(container, user, event_id, row, salesforce, calendar, desired)
        except SalesforceValidationError as exc:
            if exc.error_code not in ALREADY_SO:
                raise
            # someone made the same invitee change in Salesforce between this edit's read
            # and its write (passes wait for the mailbox, Salesforce users do not): read
            # both sides again, and what the person asked for may already be so
            row = _row(container, user, event_id)
            return _edit_attendees(container, user, row, salesforce, calendar, _Edit(
                desired, calendar.get_item(str(row.calendar_item_id))))


# Salesforce refusing an invitee change because it is already so (a Salesforce user's)
ALREADY_SO = ("DUPLICATE_VALUE", "ENTITY_IS_DELETED")


def _set_attendees(container: Container, user: CurrentUser, event_id: str,
                   row: MirroredEvent, salesforce: SalesforceClient,
                   calendar: CalendarProvider, desired: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    if row.calendar_etag and (row.base_fields or {}).get("start"):
        # the item as last agreed, written only if it is still so (its stored etag): no
        # read when nobody changed it in the calendar since
        try:
            return _edit_attendees(container, user, row, salesforce, calendar, _Edit(
                desired, item_as_agreed(row, user.email), as_agreed=True))
        except (EtagMismatch, _StaleBase):
            row = _row(container, user, event_id)
    return _edit_attendees(container, user, row, salesforce, calendar,
                           _Edit(desired, calendar.get_item(str(row.calendar_item_id))))


class _StaleBase(Exception):
    """Salesforce shows invitees the agreed list does not know: the calendar may too (an
    earlier edit that stopped half way), so the item must be read, not assumed."""


@dataclass
class _Edit:
    """The sidebar's attendee list, against the calendar item as given (read, or as
    agreed: then a Salesforce invitee the agreed list does not know means reading it)."""

    desired: list[dict[str, Any]]
    item: CalendarItem
    as_agreed: bool = False


def _edit_attendees(container: Container, user: CurrentUser, row: MirroredEvent,
                    salesforce: SalesforceClient, calendar: CalendarProvider, edit: _Edit
                    ) -> dict[str, Any]:
    """``set_attendees`` against the calendar item as given (read, or as agreed)."""
    event_id = row.salesforce_event_id
    series = series_relations(container, row, salesforce) if is_series(row) else None
    if series and event_id not in series:  # its first occurrence was deleted on its own
        event_id = next(iter(series))
    base = {key(a["email"]): AgreedAttendee.from_json(a) for a in row.base_attendees}
    current = {a.key: a for a in edit.item.attendees_besides_organizer()}
    new = ({key(a["email"]) for a in edit.desired} | set(current)) - {
        k for k, a in base.items() if a.record}
    snapshot = salesforce.event_with_relations(event_id, new - {key(user.email)})
    agreed = _desired(edit.desired, base, current, user.email)
    # Added in the calendar or in Salesforce since the last agreed list: the sidebar never
    # showed them, so its list cannot mean to remove them. Calendar additions are kept (and
    # linked). Salesforce ones are left to the next pass (asked for now), which applies the
    # invitation policy: a Classic user's Salesforce has invited them already.
    for k, live in current.items():
        if k not in base and k not in agreed:
            agreed[k] = AgreedAttendee(live.email, live.name, live.optional, live.response)
    unseen = {k: r.relation_id for k, r in _invitees(snapshot.relations).items()
              if k not in base and k not in current}
    if unseen and edit.as_agreed:
        raise _StaleBase
    for k in unseen:
        agreed.pop(k, None)
    _apply(container, row, salesforce, calendar, _Change(
        agreed, snapshot.relations, set(current), NotifyMode.CHANGED, edit.item.etag,
        snapshot.record, snapshot.people, frozenset(unseen.values()), step="edit",
        series=series))
    if unseen:
        request_sync(container, user.id, "invited in Salesforce meanwhile")
    return snapshot.record


def _desired(desired: list[dict[str, Any]], base: dict[str, AgreedAttendee],
             current: dict[str, Attendee], organizer: str) -> dict[str, AgreedAttendee]:
    """The sidebar's list as agreed attendees: names and answers from the calendar item,
    then from the agreed list; links from the agreed list."""
    agreed: dict[str, AgreedAttendee] = {}
    for entry in desired:
        k = key(entry["email"])
        if k == key(organizer) or k in agreed:
            continue  # the organizer is never an attendee; duplicates collapse
        known = base.get(k)
        live = current.get(k)
        agreed[k] = AgreedAttendee(
            email=entry["email"].strip(), name=entry.get("name") or (live.name if live else "")
            or (known.name if known else ""), optional=bool(entry.get("optional")),
            response=live.response if live else (known.response if known else "none"),
            record=known.record if known else None)
    return agreed


def reconcile(container: Container, user: CurrentUser, row: MirroredEvent,
              salesforce: SalesforceClient, calendar: CalendarProvider,
              known: Known | None = None, step: str = "sync") -> dict[str, AgreedAttendee]:
    """Three-way merge of one mirrored event's attendees; applies what changed where. In the
    one-way direction the calendar's own attendee edits are put back. ``known``: what the
    caller read already (see ``Known``). ``step`` names the failpoints (a pass that queues
    its writes passes its own)."""
    known = known or Known()
    relations = known.relations
    if relations is None:
        relations = salesforce.event_relations(row.salesforce_event_id)
    item = known.item or calendar.get_item(str(row.calendar_item_id))
    current = {a.key: AgreedAttendee(a.email, a.name, a.optional, a.response)
               for a in item.attendees_besides_organizer()}
    base = [AgreedAttendee.from_json(a) for a in row.base_attendees]
    org = load_org_settings(container, user.organization_id)
    seen = current
    if org.sync_direction == "sf_to_calendar":  # the calendar side counts as unchanged
        seen = {key(a.email): a for a in base if not a.held}
    result = merge(base, _invitees(relations).keys(), seen, user.email)
    notify = NotifyMode.CHANGED if seen is not current else NotifyMode.SILENT
    if result.added_in_salesforce or result.removed_in_salesforce:
        decision = calendar_write(Origin.SALESFORCE, known.experience or _experience(
            salesforce, user), calendar.capabilities, org.graph_classic_policy)
        notify = decision.notify if seen is current else NotifyMode.CHANGED
        if not decision.push:  # hold: the calendar item changes only in the calendar
            _hold(result, current)
    _link_invitees(result.agreed, relations)
    before = {k for k, a in ((key(a.email), a) for a in base) if a.held}
    agreed = _apply(container, row, salesforce, calendar, _Change(
        result.agreed, relations, set(current), notify, item.etag, known.record,
        known.people, step=step, series=known.series))
    _note_held(row, calendar, agreed, before)
    return agreed


def _experience(salesforce: SalesforceClient, user: CurrentUser) -> str:
    return salesforce.user_experience(str(user.salesforce_user_id))


def _note_held(row: MirroredEvent, calendar: CalendarProvider,
               agreed: dict[str, AgreedAttendee], before: set[str]) -> None:
    """Who is held changed, and nobody is in the calendar: the appointment's note."""
    held = sorted(a.email for a in agreed.values() if a.held)
    in_calendar = [a for a in agreed.values() if not a.held]
    if {key(e) for e in held} != before and not in_calendar:
        _write_held_note(row, calendar, held)


def _hold(result: MergeResult, current: dict[str, AgreedAttendee]) -> None:
    """The hold policy: Salesforce's invitee changes stay out of the calendar item."""
    for k in result.removed_in_salesforce & set(current):
        kept = current[k]
        result.agreed[k] = AgreedAttendee(kept.email, kept.name, kept.optional,
                                          kept.response, None, removed_in_salesforce=True)
    # held out of the calendar, unless the organizer has added them there too meanwhile:
    # both servers invited them already, and keeping them out would take a silent
    # calendar write Graph cannot do
    for k in result.added_in_salesforce - set(current):
        attendee = result.agreed[k]
        result.agreed[k] = AgreedAttendee(attendee.email, attendee.name, attendee.optional,
                                          attendee.response, attendee.record, held=True)


def _link_invitees(agreed: dict[str, AgreedAttendee],
                   relations: list[EventRelationRecord]) -> None:
    """An agreed attendee not linked yet who is a Salesforce invitee: linked to it."""
    for k, relation in _invitees(relations).items():
        if k in agreed and agreed[k].record is None:
            attendee = agreed[k]
            agreed[k] = AgreedAttendee(
                attendee.email, attendee.name or relation.name or "", attendee.optional,
                attendee.response, {"type": relation.relation_type, "id": relation.relation_id,
                                    "name": relation.name or ""}, attendee.held)


HELD_NOTE = ("Invited in Salesforce; add them in Outlook to send them the meeting request: "
             "{people}")


def _write_held_note(row: MirroredEvent, calendar: CalendarProvider, held: list[str]) -> None:
    """The hold policy lists Salesforce-invited people in the appointment's body. Written
    only while the item is an appointment: on a meeting it would re-notify everyone."""
    fields = dict(row.base_fields)
    note = HELD_NOTE.format(people=", ".join(held)) if held else ""
    description = str(fields.get("description") or "")
    fields["description"] = f"{description}\n\n{note}".strip() if note else description
    calendar.update_fields(str(row.calendar_item_id),
                           draft_from_base(fields, row.salesforce_event_id))


def attendee_views(row: MirroredEvent) -> list[dict[str, Any]]:
    return [_view(AgreedAttendee.from_json(a)) for a in row.base_attendees]


def _view(attendee: AgreedAttendee) -> dict[str, Any]:
    view = attendee.as_json()
    for flag in ("held", "removedInSalesforce"):  # hold policy states, shown when true
        if not view[flag]:
            del view[flag]
    return view


def _valid_email(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    local, at, domain = value.strip().rpartition("@")
    return bool(at and local and "." in domain and " " not in value.strip())
