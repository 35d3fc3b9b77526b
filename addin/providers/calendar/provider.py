"""One interface for every mailbox calendar (Microsoft Graph, Google Calendar, EWS).

A series is ONE item (``ItemDraft.recurrence``); its occurrences are read window by window
(``list_instances``) and changed one at a time through their own ids (an exception).

A provider says what it can do with explicit capability flags instead of raising
NotImplementedError at run time. Every provider normalizes items to ``addin.domain``
values: aware datetimes for timed items, dates with an EXCLUSIVE end for all-day items,
IANA time zones, and the Salesforce Event id read from the item's extended property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from addin.domain import Attendee, CalendarItem, ItemDraft

# the sync decides with these; the providers answer with them (re-exported here)
from addin.sync.capabilities import CalendarCapabilities as CalendarCapabilities
from addin.sync.capabilities import NotifyMode as NotifyMode


@dataclass
class ChangePage:
    """Changes since a cursor. ``full_resync`` is True when the old cursor had expired (or
    none was given) and ``changed`` lists every item rather than only the changed ones."""

    changed: list[CalendarItem]
    removed: list[str]  # item ids
    cursor: str
    full_resync: bool = False


@dataclass(frozen=True)
class ItemWrite:
    """One write of a batch: the draft's fields (``update_fields``) or the attendee list
    (``replace_attendees``). ``etag`` makes it conditional (the first write of an item in
    a batch only: later ones follow it)."""

    item_id: str
    draft: ItemDraft | None = None
    notify_attendees: bool = False  # with a draft: email the attendees the update
    attendees: list[Attendee] | None = None
    notify: NotifyMode = NotifyMode.CHANGED  # with attendees
    etag: str | None = None


# The answer of a batch, per item id: the item as written last, or what failed.
BatchResult = dict[str, "CalendarItem | CalendarError"]


@dataclass
class PushSubscription:
    id: str
    resource: str
    notification_url: str
    client_state: str
    expires_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. Google's resourceId


class CalendarError(Exception):
    """An upstream calendar call failed. Carries what the upstream said."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None,
                 url: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.body = body
        self.url = url
        self.retry_after = retry_after


class ItemNotFound(CalendarError):
    """404 / 410: the item does not exist (any more)."""


class EtagMismatch(CalendarError):
    """412 (or EWS ErrorIrresolvableConflict): the item changed since it was read."""


class CalendarRateLimited(CalendarError):
    """429 even after the HTTP layer's retries."""


class CalendarUnavailable(CalendarError):
    """5xx or a timeout; the operation may be retried later (through the outbox)."""


class CalendarAuthError(CalendarError):
    """401/403 that a token refresh did not cure."""


class SilentUpdateUnsupported(CalendarError):
    """The service cannot change attendees without emailing them (Microsoft Graph)."""


class TokenSource(Protocol):
    """Where a provider gets its bearer token; ``refresh`` is called once after a 401."""

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


@dataclass
class StaticTokenSource:
    """A fixed token (sandbox users, tests); ``on_refresh`` may supply a new one."""

    token: str
    on_refresh: Callable[[], str] | None = None

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        if self.on_refresh is None:
            raise CalendarAuthError("the access token was rejected and cannot be refreshed")
        self.token = self.on_refresh()
        return self.token


@runtime_checkable
class CalendarProvider(Protocol):
    name: str  # graph | google | ews
    capabilities: CalendarCapabilities

    def create_item(self, draft: ItemDraft, *, idempotency_key: str) -> CalendarItem:
        """Create an item WITHOUT attendees (an appointment). Retry-safe per the key."""
        ...

    def get_item(self, item_id: str) -> CalendarItem: ...

    def link_item(self, item_id: str, salesforce_event_id: str) -> CalendarItem:
        """Mark an item the person made in the calendar (a series too) with its Salesforce
        Event: only the extended property is written, and nobody is emailed."""
        ...

    def update_fields(self, item_id: str, draft: ItemDraft, *, etag: str | None = None,
                      notify_attendees: bool = False) -> CalendarItem:
        """Change every field of the draft; attendees untouched. ``notify_attendees``
        asks for an update email to the attendees (when something they see changed);
        where ``capabilities.field_update_notifies_attendees`` they are emailed anyway."""
        ...

    def rename_item(self, item_id: str, subject: str, location: str, *,
                    etag: str | None = None, notify_attendees: bool = False) -> CalendarItem:
        """Change only the subject and location (a series master: its exceptions keep
        their own times, which a write of the whole item would drop)."""
        ...

    def replace_attendees(self, item_id: str, attendees: list[Attendee], *,
                          notify: NotifyMode, etag: str | None = None) -> CalendarItem:
        """Make the attendee list exactly ``attendees``; only changed ones are emailed
        (NotifyMode.CHANGED) or nobody (NotifyMode.SILENT, where capable)."""
        ...

    def delete_item(self, item_id: str, *, notify: NotifyMode) -> None: ...

    def list_instances(self, item_id: str, window_start: datetime, window_end: datetime
                       ) -> list[CalendarItem]:
        """The occurrences of the series ``item_id`` within the window (never the whole
        series: an endless one is only ever read window by window), each with its own
        ``item_id`` (what update_fields / replace_attendees / delete_item of ONE occurrence
        take), ``series_id`` and ``original_start``; cancelled ones left out."""
        ...

    def get_items(self, item_ids: list[str]) -> BatchResult:
        """Several items in as few requests as the service allows (Graph ``$batch`` of 20,
        Google's batch endpoint, EWS one GetItem); a missing one maps to ItemNotFound."""
        ...

    def write_items(self, chains: list[list[ItemWrite]]) -> BatchResult:
        """Each chain's writes (one item each, in order) in as few requests as the
        service allows; the answer is per item: its last write's result or its error."""
        ...

    def find_by_salesforce_event(self, salesforce_event_id: str) -> CalendarItem | None: ...

    def list_changes(self, cursor: str | None) -> ChangePage: ...

    def subscribe(self, notification_url: str, client_state: str,
                  expires_at: datetime) -> PushSubscription: ...

    def renew(self, subscription: PushSubscription, expires_at: datetime) -> PushSubscription: ...

    def unsubscribe(self, subscription: PushSubscription) -> None: ...
