"""A calendar provider for one sync pass whose writes wait and go out together.

Reconciling an event decides its calendar writes one event at a time; sent one by one, a
pass over 50 changed events costs 50 requests. Here ``update_fields`` and
``replace_attendees`` are queued (an item's writes in order, the first one conditional on the
etag the pass read) and answered with the item as it will be; ``flush`` sends every queued
write through the provider's batch (Graph ``$batch`` of 20, Google's batch endpoint of 50,
EWS one UpdateItem per send mode) and says, per item, what it became or what failed.
Reads pass straight through."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from addin.domain import Attendee, CalendarItem, ItemDraft
from addin.providers.calendar.provider import (
    BatchResult,
    CalendarProvider,
    ItemWrite,
    NotifyMode,
    SilentUpdateUnsupported,
)


class BatchingCalendar:
    def __init__(self, real: CalendarProvider):
        self.real = real
        self.name = real.name
        self.capabilities = real.capabilities
        self._items: dict[str, CalendarItem] = {}
        self._chains: dict[str, list[ItemWrite]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def know(self, item: CalendarItem) -> None:
        """The item as the pass read it: what queued writes are applied to."""
        self._items[item.item_id] = item

    @property
    def queued(self) -> int:
        return sum(len(chain) for chain in self._chains.values())

    def _queue(self, write: ItemWrite) -> None:
        chain = self._chains.setdefault(write.item_id, [])
        # only an item's first write is conditional: the later ones follow it
        chain.append(write if not chain else replace(write, etag=None))

    def update_fields(self, item_id: str, draft: ItemDraft, *, etag: str | None = None,
                      notify_attendees: bool = False) -> CalendarItem:
        self._queue(ItemWrite(item_id, draft=draft, notify_attendees=notify_attendees,
                              etag=etag))
        item = replace(self._items[item_id], subject=draft.subject, start=draft.start,
                       end=draft.end, is_all_day=draft.is_all_day, location=draft.location,
                       body=draft.body, show_as=draft.show_as, is_private=draft.is_private,
                       reminder_minutes=draft.reminder_minutes, etag=None)
        self._items[item_id] = item
        return item

    def replace_attendees(self, item_id: str, attendees: list[Attendee], *,
                          notify: NotifyMode, etag: str | None = None) -> CalendarItem:
        if notify is NotifyMode.SILENT and not self.capabilities.silent_attendee_update:
            raise SilentUpdateUnsupported(f"{self.name} cannot change attendees silently")
        self._queue(ItemWrite(item_id, attendees=list(attendees), notify=notify, etag=etag))
        current = self._items[item_id]
        organizer = [a for a in current.attendees if a not in
                     current.attendees_besides_organizer()]
        item = replace(current, attendees=organizer + list(attendees), etag=None)
        self._items[item_id] = item
        return item

    def flush(self) -> BatchResult:
        """Send every queued write; per item its last write's result or its error."""
        chains = list(self._chains.values())
        self._chains = {}
        return self.real.write_items(chains) if chains else {}
