"""What the Graph and Google Calendar emulators share in substance (not in wire format):
a per-mailbox event store with a change sequence for delta / sync tokens, push delivery
to subscribers in the background, and the rule that turns an attendee change into the
emails a mail server sends."""

from __future__ import annotations

import itertools
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

from addin.sandbox.state import SandboxState

log = logging.getLogger(__name__)


@dataclass
class StoredItem:
    id: str
    owner: str  # the mailbox (organizer) email, lower case
    resource: dict[str, Any]  # the vendor-shaped resource, as last written
    version: int = 1
    seq: int = 0
    deleted: bool = False


@dataclass
class Cursor:
    owner: str
    seq: int
    window: tuple[str, str] | None = None
    created: float = field(default_factory=time.time)


class CalendarStore:
    """Items per mailbox; every write gets the next sequence number; cursors remember a
    sequence and expire when told (tests) or when older than the cursor lifetime."""

    def __init__(self, cursor_lifetime_seconds: float = 7 * 24 * 3600):
        self.lock = threading.RLock()
        self._items: dict[str, dict[str, StoredItem]] = {}
        self._seq = itertools.count(1)
        self._cursors: dict[str, Cursor] = {}
        self.cursor_lifetime = cursor_lifetime_seconds

    def mailbox(self, owner: str) -> dict[str, StoredItem]:
        return self._items.setdefault(owner.lower(), {})

    def get(self, owner: str, item_id: str, include_deleted: bool = False) -> StoredItem | None:
        item = self.mailbox(owner).get(item_id)
        if item is None or (item.deleted and not include_deleted):
            return None
        return item

    def put(self, owner: str, item_id: str, resource: dict[str, Any]) -> StoredItem:
        with self.lock:
            box = self.mailbox(owner)
            previous = box.get(item_id)
            item = StoredItem(item_id, owner.lower(), resource,
                              version=(previous.version + 1) if previous else 1,
                              seq=next(self._seq))
            box[item_id] = item
            return item

    def delete(self, owner: str, item_id: str) -> StoredItem | None:
        with self.lock:
            item = self.get(owner, item_id)
            if item is None:
                return None
            item.deleted = True
            item.version += 1
            item.seq = next(self._seq)
            return item

    def live(self, owner: str) -> list[StoredItem]:
        return [i for i in self.mailbox(owner).values() if not i.deleted]

    def changed_since(self, owner: str, seq: int) -> list[StoredItem]:
        return sorted((i for i in self.mailbox(owner).values() if i.seq > seq),
                      key=lambda i: i.seq)

    def current_seq(self) -> int:
        with self.lock:
            value = next(self._seq)
            return value

    def open_cursor(self, owner: str, window: tuple[str, str] | None = None,
                    seq: int | None = None) -> str:
        """A cursor at ``seq`` (by default now): a round of pages hands out the sequence
        taken when its first page was read, so a change made while the client pages is in
        the next round."""
        with self.lock:
            token = secrets.token_urlsafe(18)
            at = self.current_seq() if seq is None else seq
            self._cursors[token] = Cursor(owner.lower(), at, window)
            return token

    def cursor(self, token: str) -> Cursor | None:
        with self.lock:
            found = self._cursors.get(token)
            if found is None or time.time() - found.created > self.cursor_lifetime:
                return None
            return found

    def expire_cursors(self, owner: str) -> int:
        with self.lock:
            doomed = [t for t, c in self._cursors.items() if c.owner == owner.lower()]
            for token in doomed:
                del self._cursors[token]
            return len(doomed)


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    attempts_left: int = 4


class WebhookSender:
    """Posts notifications in a background thread so API answers are never delayed;
    retries failures a few times with a short backoff."""

    def __init__(self, verify: str | bool = True):
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.verify = verify
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def send(self, delivery: Delivery) -> None:
        self._queue.put(delivery)

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                response = self._session.post(delivery.url, data=delivery.body,
                                              headers=delivery.headers, timeout=3)
                ok = 200 <= response.status_code < 300
            except requests.RequestException:
                ok = False
            if not ok and delivery.attempts_left > 1:
                delivery.attempts_left -= 1
                threading.Timer(0.5, self._queue.put, args=(delivery,)).start()
            elif not ok:
                log.info("gave up delivering a notification to %s", delivery.url)


def record_attendee_mail(
    state: SandboxState, *, sender: str, organizer: str, subject: str,
    before: Iterable[str], after: Iterable[str], invite_added: bool = True,
    cancel_removed: bool = True, update_others: bool = False,
    recipient_filter: Callable[[str], bool] = lambda _email: True, **context: Any,
) -> None:
    """The emails a mail server sends when an organizer changes a meeting's attendees:
    an invitation to each added attendee, a cancellation to each removed one, and (when
    ``update_others``) an update to everyone who stayed. The organizer gets nothing.
    ``context`` is recorded with each email (which event, series or instance)."""
    organizer_key = organizer.lower()
    old = {e.lower(): e for e in before if e.lower() != organizer_key}
    new = {e.lower(): e for e in after if e.lower() != organizer_key}
    plan: list[tuple[str, str]] = []
    if invite_added:
        plan += [(new[k], "invitation") for k in new if k not in old]
    if cancel_removed:
        plan += [(old[k], "cancellation") for k in old if k not in new]
    if update_others:
        plan += [(new[k], "update") for k in new if k in old]
    for recipient, kind in plan:
        if recipient_filter(recipient):
            state.mail.record(sender=sender, from_=organizer, to=recipient, kind=kind,
                              subject=subject, **context)
