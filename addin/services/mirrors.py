"""Finding a user's mirrored event (the one query every use case starts from), its
calendar item as last agreed, and holding the user's mailbox while the sidebar writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from addin.container import Container
from addin.domain import Attendee, CalendarItem
from addin.domain.errors import NotFound, UpstreamUnavailable
from addin.services.event_mapping import draft_from_base
from addin.store.mailbox_lock import MailboxBusy, exclusive_mailbox
from addin.store.models import MirroredEvent
from addin.sync.merge import AgreedAttendee


def find_mirror(container: Container, user_id: int, event_id: str) -> MirroredEvent:
    """The user's mirrored event for this Salesforce Event id (detached), or 404."""
    with container.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.salesforce_event_id == event_id, MirroredEvent.user_id == user_id))
    if row is None:
        raise NotFound("No such event.")
    return row


# how long a sidebar edit waits for a sync pass of the same mailbox to finish
SIDEBAR_WAIT_SECONDS = 20.0


@contextmanager
def sidebar_write(container: Container, user_id: int) -> Iterator[None]:
    """Hold the mailbox for a sidebar write: a sync pass running now saved the agreed state
    it read before this write and would overwrite it; the write waits for the pass (and a
    pass waits for the write). If the pass takes longer than ``SIDEBAR_WAIT_SECONDS``,
    503: nothing was written, the same request can be sent again."""
    try:
        with exclusive_mailbox(container.db.engine, user_id, SIDEBAR_WAIT_SECONDS):
            yield
    except MailboxBusy:
        raise UpstreamUnavailable("Your calendar is being synced right now; nothing was "
                                  "changed, try again in a moment.") from None


def item_as_agreed(row: MirroredEvent, organizer: str) -> CalendarItem:
    """The calendar item as the product last agreed it with Salesforce (base fields and
    attendees) with the etag stored after that: what the calendar holds unless someone
    changed it since, which a write conditional on that etag finds out."""
    draft = draft_from_base(row.base_fields, row.salesforce_event_id)
    attendees = [Attendee(a.email, a.name, a.optional, a.response)
                 for a in (AgreedAttendee.from_json(b) for b in row.base_attendees or [])
                 if not a.held]
    return CalendarItem(
        item_id=str(row.calendar_item_id), etag=row.calendar_etag, subject=draft.subject,
        start=draft.start, end=draft.end, is_all_day=draft.is_all_day,
        location=draft.location, body=draft.body, show_as=draft.show_as,
        is_private=draft.is_private, reminder_minutes=draft.reminder_minutes,
        attendees=attendees, organizer_email=organizer,
        salesforce_event_id=row.salesforce_event_id)
