"""The domain's vocabulary: plain values (attendees, calendar items, drafts) shared by the
services, the providers and the sync engine, and in ``addin.domain.errors`` the errors a use
case raises in its own terms. No Flask, no I/O, no HTTP; it imports nothing else of addin,
and every layer may import it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

RESPONSES = ("none", "accepted", "declined", "tentative")
SHOW_AS = ("busy", "free", "tentative", "outOfOffice")


def email_key(email: str) -> str:
    """Attendees are the same person when their emails match case-insensitively."""
    return email.strip().lower()


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""
    optional: bool = False
    response: str = "none"  # none | accepted | declined | tentative

    @property
    def key(self) -> str:
        return email_key(self.email)


@dataclass
class ItemDraft:
    """What the product writes into a calendar item (attendees travel separately).

    Timed items: ``start``/``end`` are timezone-aware datetimes and ``time_zone`` is the IANA
    zone the item is shown in. All-day items: ``start``/``end`` are dates, ``end`` EXCLUSIVE
    (the day after the last day), whatever the provider's own convention.
    """

    subject: str
    start: datetime | date
    end: datetime | date
    is_all_day: bool = False
    time_zone: str = "UTC"
    location: str = ""
    body: str = ""
    show_as: str = "busy"
    is_private: bool = False
    reminder_minutes: int | None = None
    salesforce_event_id: str | None = None  # written into the item's extended property
    # a series: its canonical RRULE value (addin.sync.recurrence.normalize, without "RRULE:"); the
    # item is ONE series in the calendar, never one item per occurrence
    recurrence: str | None = None


@dataclass
class CalendarItem:
    """A calendar item as a provider reports it, normalized (see ItemDraft for times)."""

    item_id: str
    etag: str | None
    subject: str
    start: datetime | date
    end: datetime | date
    is_all_day: bool = False
    location: str = ""
    body: str = ""
    show_as: str = "busy"
    is_private: bool = False
    reminder_minutes: int | None = None
    attendees: list[Attendee] = field(default_factory=list)
    organizer_email: str = ""
    salesforce_event_id: str | None = None
    web_link: str | None = None
    is_organizer: bool = True
    recurrence: str | None = None  # the series' RRULE value (on a series master only)
    series_id: str | None = None  # an occurrence or exception: its series' item id
    original_start: datetime | date | None = None  # an occurrence: where the rule put it
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def attendees_besides_organizer(self) -> list[Attendee]:
        organizer = email_key(self.organizer_email)
        return [a for a in self.attendees if a.key != organizer]

    @property
    def kind(self) -> str:
        """A calendar item with at least one attendee besides the organizer is a meeting."""
        return "meeting" if self.attendees_besides_organizer() else "appointment"
