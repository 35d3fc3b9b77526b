"""Attendees of ONE occurrence of a mirrored series (the series' own list is
addin/services/attendees.py): the calendar occurrence becomes an exception with its own
attendees (its server invites the added ones to that occurrence only, once); the
Salesforce occurrence Event gets the same invitees (the REST API emails nobody). The
series' attendees and its other occurrences are untouched.

Upstream requests: Salesforce 3 reads (occurrences, the occurrence's invitees, people for
the emails) + 1 write; calendar 1 read (the instances around the occurrence) + 1 write.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain import Attendee, email_key
from addin.domain.errors import Conflict, InvalidInput, NotFound
from addin.providers.calendar.provider import NotifyMode
from addin.providers.salesforce.client import EventRelationRecord, SalesforceClient
from addin.services.attendees import MAX_SERIES_INVITEES, _valid_email
from addin.services.mirrors import find_mirror, sidebar_write
from addin.services.series import (
    base_occurrences,
    is_series,
    live_occurrences,
    original_key,
    record_slot,
)
from addin.store.models import MirroredEvent
from addin.sync.linking import Link, choose
from addin.sync.occurrences import originals_by_event


def set_occurrence_attendees(container: Container, user: CurrentUser, event_id: str,
                             occurrence_id: str, desired: list[dict[str, Any]]
                             ) -> dict[str, Any]:
    """Make one occurrence's attendees exactly ``desired``; answers the occurrence."""
    _check(desired)
    with sidebar_write(container, user.id):
        row = find_mirror(container, user.id, event_id)
        if not is_series(row) or not row.calendar_item_id:
            raise NotFound("This event is not a series (or not in your calendar yet).")
        salesforce, calendar = open_salesforce(container, user), open_calendar(container, user)
        record = next((r for r in live_occurrences(container, row, salesforce)
                       if str(r["Id"]) == occurrence_id), None)
        if record is None:
            raise NotFound("No such occurrence in this series.")
        original = originals_by_event(base_occurrences(row)).get(occurrence_id) or \
            record_slot(record).start
        instance = _instance(calendar, str(row.calendar_item_id), original)
        wanted: dict[str, dict[str, Any]] = {}
        for entry in desired:
            k = email_key(entry["email"])
            if k != email_key(user.email):
                wanted.setdefault(k, entry)
        target = _write_calendar(calendar, instance, wanted)
        invitees, links = _write_salesforce(salesforce, occurrence_id, wanted)
        _remember(container, row, occurrence_id, sorted(wanted))
        return {"id": occurrence_id, "seriesId": event_id, "originalStart": original,
                "calendarItemId": instance.item_id,
                "attendees": [{"email": a.email, "name": a.name, "optional": a.optional,
                               "response": a.response,
                               "linked": links.get(a.key) is not None or a.key in invitees}
                              for a in target]}


def _check(desired: list[dict[str, Any]]) -> None:
    bad = {f"attendees.{i}.email": "not a valid email address" for i, a in enumerate(desired)
           if not _valid_email(a.get("email"))}
    if bad:
        raise InvalidInput("Some attendees have invalid email addresses.", fields=bad)
    if len(desired) > MAX_SERIES_INVITEES:
        raise InvalidInput("Too many attendees for a recurring event.", fields={
            "attendees": f"Salesforce allows at most {MAX_SERIES_INVITEES} invitees on a "
                         "recurring event"})


def _write_calendar(calendar: Any, instance: Any, wanted: dict[str, dict[str, Any]]
                    ) -> list[Attendee]:
    """The calendar occurrence's attendees (its answers kept), written when they differ."""
    answers = {a.key: a.response for a in instance.attendees}
    target = [Attendee(e["email"].strip(), e.get("name") or "", bool(e.get("optional")),
                       answers.get(k, "none")) for k, e in wanted.items()]
    if {a.key for a in target} != {a.key for a in instance.attendees_besides_organizer()}:
        calendar.replace_attendees(instance.item_id, target, notify=NotifyMode.CHANGED,
                                   etag=instance.etag)
    return target


def _write_salesforce(salesforce: SalesforceClient, occurrence_id: str,
                      wanted: dict[str, dict[str, Any]]
                      ) -> tuple[dict[str, EventRelationRecord], dict[str, Link | None]]:
    """The occurrence Event's invitees; its invitees before, and the new emails' links."""
    relations = salesforce.event_relations(occurrence_id)
    invitees = {email_key(r.email): r for r in relations if r.is_invitee and r.email}
    new = set(wanted) - set(invitees)
    people = salesforce.find_people_by_emails(new) if new else {}
    links = {k: choose(people.get(k, [])) for k in new}
    add = sorted(link.id for link in links.values() if link is not None)
    remove = sorted(r.relation_id for k, r in invitees.items() if k not in wanted)
    if add or remove:
        salesforce.change_invitees(occurrence_id, add=add, remove=remove, existing=relations)
    return invitees, links


def _instance(calendar: Any, master_id: str, original: str) -> Any:
    around = datetime.fromisoformat(original.replace("Z", "+00:00")) if "T" in original \
        else datetime.fromisoformat(f"{original}T00:00:00+00:00")
    for item in calendar.list_instances(master_id, around - timedelta(days=2),
                                        around + timedelta(days=2)):
        if original_key(item) == original:
            return item
    raise Conflict("This occurrence is not in your calendar (cancelled there, or not "
                   "synced yet).")


def _remember(container: Container, row: MirroredEvent, occurrence_id: str,
              emails: list[str]) -> None:
    """The occurrence keeps its own attendees: never the series' representative."""
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row.id)
        assert stored is not None
        own = dict(stored.base_fields.get("ownAttendees") or {})
        own[occurrence_id] = emails
        stored.base_fields = {**stored.base_fields, "ownAttendees": own}
