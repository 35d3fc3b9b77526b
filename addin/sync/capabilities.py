"""What a mailbox calendar can do and how it emails attendees: the types the sync decides
with (policy). Every calendar provider answers with them (addin.providers.calendar)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NotifyMode(enum.Enum):
    """Who the mail server emails when attendees change or an item is deleted."""

    CHANGED = "changed"  # invite the added attendees, cancel the removed ones, nobody else
    SILENT = "silent"  # nobody (only where capabilities.silent_attendee_update)


@dataclass(frozen=True)
class CalendarCapabilities:
    silent_attendee_update: bool  # can change attendees without emailing anyone
    idempotent_create: bool  # a retried create cannot make a second item
    incremental_changes: bool  # list_changes with a cursor
    push_notifications: bool  # subscribe / renew
    field_update_notifies_attendees: bool  # changing any other field re-sends to everyone
    # list_changes covers only items within (days back, days ahead) of when its cursor
    # began; None: every item. An item moved outside is reported as removed.
    change_window_days: tuple[int, int] | None = None
