"""Guests' copies of an event, as Google Calendar keeps them: a guest whose calendar is a
Google account of the sandbox (a seeded user whose calendar is Google) holds the event
under the same id, with ``organizer.self`` false and ``self: true`` on their own entry in
``attendees[]``; the organizer appears in ``attendees[]`` with ``organizer: true`` (and
``self: true`` in their own calendar). A guest answers by patching their own entry's
``responseStatus`` on their copy; the organizer's event records it. Anything else a guest
changes on a shared property is refused (403 forbiddenForNonOrganizer). Private extended
properties belong to one calendar's copy and are not shared."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from addin.sandbox.calendar_core import StoredItem
from addin.sandbox.google.resources import GoogleApiError, rfc3339

if TYPE_CHECKING:
    from addin.sandbox.google.app import GoogleCalendar

GUEST_WRITABLE = {"attendees", "reminders", "colorId", "extendedProperties", "transparency"}
ANSWERS = ("accepted", "declined", "tentative", "needsAction")


def organizer_of(item: StoredItem) -> str:
    return str((item.resource.get("organizer") or {}).get("email") or item.owner).lower()


def is_copy(item: StoredItem) -> bool:
    return organizer_of(item) != item.owner


def view(item: StoredItem, resource: dict[str, Any]) -> dict[str, Any]:
    """The event as the owner of ``item``'s calendar sees it (``self`` flags, the organizer
    entry among the attendees)."""
    organizer = organizer_of(item)
    out = dict(resource)
    out["organizer"] = {**(resource.get("organizer") or {}), "email": organizer}
    out["creator"] = {**(resource.get("creator") or {}), "email": organizer}
    for key in ("organizer", "creator"):
        out[key].pop("self", None)
        if organizer == item.owner:
            out[key]["self"] = True
    guests = [dict(a) for a in resource.get("attendees") or []
              if str(a.get("email", "")).lower() != organizer]
    if guests:
        for guest in guests:
            guest.pop("self", None)
            if str(guest["email"]).lower() == item.owner:
                guest["self"] = True
        head = {"email": organizer, "organizer": True, "responseStatus": "accepted"}
        if organizer == item.owner:
            head["self"] = True
        out["attendees"] = [head, *guests]
    return out


class Guests:
    def __init__(self, api: GoogleCalendar, accounts: set[str]):
        self.api = api
        self.accounts = accounts  # calendars of the sandbox's Google accounts

    def fan_out(self, owner: str, item: StoredItem) -> list[str]:
        """After the organizer wrote ``item``: every invited account holds a copy (same
        id); one no longer invited, or of a deleted event, sees it cancelled. Answers the
        calendars that changed."""
        store = self.api.store
        invited = set() if item.deleted else {
            str(a.get("email", "")).lower() for a in item.resource.get("attendees") or []}
        invited = (invited & self.accounts) - {owner}
        touched = []
        for guest in sorted(self.accounts - {owner}):
            copy = store.get(guest, item.id)
            if copy is not None and not is_copy(copy):
                continue  # the guest's own event that happens to share the id
            if guest in invited:
                private = ((copy.resource.get("extendedProperties") or {}).get("private")
                           if copy else None)
                shared = (item.resource.get("extendedProperties") or {}).get("shared")
                resource = {k: v for k, v in item.resource.items()
                            if k != "extendedProperties"}
                extended = {k: v for k, v in (("private", private), ("shared", shared)) if v}
                if extended:
                    resource["extendedProperties"] = extended
                store.put(guest, item.id, resource)
                touched.append(guest)
            elif copy is not None:
                store.delete(guest, item.id)
                touched.append(guest)
        return touched

    def guest_write(self, guest: str, copy: StoredItem, patch: dict[str, Any]) -> StoredItem:
        """A guest patches their copy: their own answer reaches the organizer's event."""
        forbidden = sorted(set(patch) - GUEST_WRITABLE)
        if forbidden:
            raise GoogleApiError(403, "forbiddenForNonOrganizer", "Shared properties can only "
                                 "be changed by the organizer of the event.")
        organizer = organizer_of(copy)
        mine = [a for a in patch.get("attendees") or []
                if str(a.get("email", "")).lower() == guest or a.get("self")]
        answer = mine[0].get("responseStatus") if mine else None
        if answer is not None and answer not in ANSWERS:
            raise GoogleApiError(400, "invalid", f"Invalid attendee response: {answer}")
        resource = dict(copy.resource)
        for key in ("reminders", "colorId", "transparency"):
            if key in patch:
                resource[key] = patch[key]
        if "extendedProperties" in patch:
            private = (patch["extendedProperties"] or {}).get("private")
            extended = dict(resource.get("extendedProperties") or {})
            if private is not None:
                extended["private"] = private
            resource["extendedProperties"] = extended
        meeting = self.api.store.get(organizer, copy.id)
        if meeting is None and copy.resource.get("recurringEventId"):
            try:  # an answer to one instance: the organizer's side gets an exception
                meeting = self.api.find(organizer, copy.id)
            except GoogleApiError:
                meeting = None
        if answer is not None and meeting is not None:
            attendees = [dict(a) for a in meeting.resource.get("attendees") or []]
            for attendee in attendees:
                if str(attendee.get("email", "")).lower() == guest:
                    attendee["responseStatus"] = answer
            now = rfc3339(datetime.now(UTC))
            meeting = self.api.store.put(organizer, copy.id, {
                **meeting.resource, "attendees": attendees, "updated": now})
            resource["attendees"] = attendees
            resource["updated"] = now
            self.fan_out(organizer, meeting)
            self.api.notify(organizer)
        return self.api.store.put(guest, copy.id, resource)
