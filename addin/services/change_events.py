"""Salesforce change events -> sync requests: one listener per organization subscribes to
/data/EventChangeEvent and /data/EventRelationChangeEvent (Pub/Sub API) and asks the worker
to sync the owners of the mirrored events that changed, within a second of the change
instead of at the next poll. The poll stays as the safety net.

- The product's own writes (``changeOrigin`` names the client ``addin-sync``, set by
  providers/salesforce.py through Sforce-Call-Options) cost nothing.
- The replay id of the last handled event is stored per organization and topic
  (change_event_cursors): a restart resumes after it without loss.
- A gap (GAP_* events name their records; GAP_OVERFLOW does not) or a replay id the bus no
  longer holds makes every user of the organization with mirrored events sync (their poll
  pass reads Salesforce since their own cursor), then the stream restarts at the tip.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from addin.accounts.connections import ConnectionTokens, NotConnected, load_connection
from addin.container import Container
from addin.providers.salesforce.client import CALL_OPTIONS_CLIENT
from addin.providers.salesforce.pubsub import (
    ChangeEvent,
    ChangeEventStream,
    ChangeStreamError,
    ReplayExpired,
    StreamAuthExpired,
)
from addin.services.push import request_sync
from addin.services.sync_pass import CALENDAR_POLL
from addin.store.models import (
    ChangeEventCursor,
    Connection,
    MirroredEvent,
    Organization,
    SyncCursor,
    User,
)

log = logging.getLogger(__name__)
TOPICS = ("/data/EventChangeEvent", "/data/EventRelationChangeEvent")
REASON = "salesforce-change"
GAP_REASON = "salesforce-change-gap"
KEEP_ALIVE_SECONDS = 270  # Salesforce sends an empty response at least this often


# -- what an event means ---------------------------------------------------------------
def users_to_sync(container: Container, organization_id: int,
                  events: Iterable[ChangeEvent]) -> tuple[set[int], bool]:
    """The users whose mirrors the events touch, and whether the whole organization must
    sync (an event that names no record we can place)."""
    event_ids: set[str] = set()
    owners: set[str] = set()
    everyone = False
    for event in events:
        if f"client={CALL_OPTIONS_CLIENT}" in event.change_origin:
            continue  # our own write: the pass that made it already reconciled it
        if event.change_type == "GAP_OVERFLOW":
            everyone = True
        elif event.entity == "Event":
            event_ids.update(event.record_ids)
            if isinstance(event.fields.get("OwnerId"), str):
                owners.add(event.fields["OwnerId"])
        elif event.entity == "EventRelation":
            parent = event.fields.get("EventId")
            if isinstance(parent, str):
                event_ids.add(parent)
            else:  # an update or delete names only the relation: no way to its event
                everyone = True
    users: set[int] = set()
    with container.db.session() as session:
        if event_ids:
            users |= set(session.scalars(select(MirroredEvent.user_id).where(
                MirroredEvent.salesforce_event_id.in_(sorted(event_ids)))))
        if owners:
            users |= set(session.scalars(select(User.id).where(
                User.organization_id == organization_id,
                User.salesforce_user_id.in_(sorted(owners)))))
    return users, everyone


def organization_users(container: Container, organization_id: int) -> set[int]:
    with container.db.session() as session:
        return set(session.scalars(select(MirroredEvent.user_id).join(
            User, User.id == MirroredEvent.user_id).where(
            User.organization_id == organization_id).distinct()))


def handle(container: Container, organization_id: int, events: list[ChangeEvent]) -> set[int]:
    users, everyone = users_to_sync(container, organization_id, events)
    reason = REASON
    if everyone:
        users |= organization_users(container, organization_id)
        reason = GAP_REASON
    for user_id in sorted(users):
        request_sync(container, user_id, reason)
    return users


# -- what a scheduled poll reads --------------------------------------------------------
def salesforce_streamed(container: Container, organization_id: int,
                        now: datetime | None = None) -> bool:
    """Both change-event streams of the organization answered within twice Salesforce's
    keep-alive period, in whichever process follows them (each answer stores its replay
    id, keep-alives included)."""
    now = now or datetime.now(UTC)
    with container.db.session() as session:
        heard = list(session.scalars(select(ChangeEventCursor.updated_at).where(
            ChangeEventCursor.organization_id == organization_id,
            ChangeEventCursor.topic.in_(TOPICS))))
    return len(heard) == len(TOPICS) and all(
        now - _aware(moment) < timedelta(seconds=KEEP_ALIVE_SECONDS * 2) for moment in heard)


def poll_reason(container: Container, user_id: int, organization_id: int,
                now: datetime | None = None) -> str:
    """What a scheduled poll of this user reads: both sides ("poll"), or only the calendar
    (``CALENDAR_POLL``) while the organization's change events flow and the user's
    Salesforce side was read within ``salesforce_poll_with_change_events_seconds``."""
    now = now or datetime.now(UTC)
    settings = container.settings
    if not settings.salesforce_change_events or \
            not salesforce_streamed(container, organization_id, now):
        return "poll"
    with container.db.session() as session:
        read = session.scalar(select(SyncCursor.updated_at).where(
            SyncCursor.user_id == user_id, SyncCursor.source == "salesforce_events"))
    if read is None or now - _aware(read) >= timedelta(
            seconds=settings.salesforce_poll_with_change_events_seconds):
        return "poll"
    return CALENDAR_POLL


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- where a stream stopped ------------------------------------------------------------
def stored_replay(container: Container, organization_id: int, topic: str) -> bytes | None:
    with container.db.session() as session:
        row = session.scalar(select(ChangeEventCursor).where(
            ChangeEventCursor.organization_id == organization_id,
            ChangeEventCursor.topic == topic))
        return bytes.fromhex(row.replay_id) if row and row.replay_id else None


def store_replay(container: Container, organization_id: int, topic: str,
                 replay: bytes | None) -> None:
    with container.db.session() as session:
        row = session.scalar(select(ChangeEventCursor).where(
            ChangeEventCursor.organization_id == organization_id,
            ChangeEventCursor.topic == topic))
        if row is None:
            row = ChangeEventCursor(organization_id=organization_id, topic=topic)
            session.add(row)
        row.replay_id = replay.hex() if replay else None
        row.updated_at = datetime.now(UTC)


# -- the listener ----------------------------------------------------------------------
@contextmanager
def stream_lease(container: Container, organization_id: int, topic: str) -> Iterator[bool]:
    """Whether this process may follow the stream: on PostgreSQL one process of the whole
    deployment holds a session advisory lock per organization and topic (released when its
    connection closes, also when the process dies); SQLite has one process."""
    if container.db.engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(
        f"addin-change-events:{organization_id}:{topic}".encode()).digest()[:8], "big",
        signed=True)
    with container.db.engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                       {"key": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
def stream_user(container: Container, organization_id: int) -> int | None:
    """A user of the organization whose Salesforce session the stream uses: an admin if
    one is connected (change events need read access to every Event), else anyone."""
    with container.db.session() as session:
        rows = list(session.execute(select(User.id, User.is_admin).join(
            Connection, Connection.user_id == User.id).where(
            User.organization_id == organization_id, Connection.service == "salesforce")
        ).all())
    rows.sort(key=lambda row: (not row.is_admin, row.id))
    return rows[0].id if rows else None


class ChangeListener:
    """Follows one topic of one organization until stopped; reconnects with back-off."""

    def __init__(self, container: Container, organization_id: int, topic: str,
                 on_handled: Callable[[set[int]], None] | None = None):
        self.container, self.organization_id, self.topic = container, organization_id, topic
        self.stop_event = threading.Event()
        self.on_handled = on_handled
        self._stream: ChangeEventStream | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.last_heard = 0.0  # time.monotonic() of the stream's last response

    def start(self) -> ChangeListener:
        self._thread = threading.Thread(target=self.run, daemon=True,
                                        name=f"changes-{self.organization_id}-{self.topic}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self._stream is not None:
            self._stream.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run(self) -> None:
        pause = 1.0
        while not self.stop_event.is_set():
            try:
                self._follow()
                pause = 1.0
            except ReplayExpired:
                log.warning("change events of organization %s: replay id expired; syncing "
                            "everyone and restarting at the tip", self.organization_id)
                self._everyone()
                store_replay(self.container, self.organization_id, self.topic, None)
                continue
            except (ChangeStreamError, NotConnected) as exc:
                log.info("change events of organization %s: %s", self.organization_id, exc)
            except Exception:  # a listener never dies of one bad event
                log.exception("change events of organization %s", self.organization_id)
            self.stop_event.wait(pause)
            pause = min(pause * 2, 60.0)

    def _everyone(self) -> None:
        users = organization_users(self.container, self.organization_id)
        for user_id in sorted(users):
            request_sync(self.container, user_id, GAP_REASON)

    def _open(self, refresh: bool) -> ChangeEventStream:
        user_id = stream_user(self.container, self.organization_id)
        if user_id is None:
            raise NotConnected("salesforce")
        info = load_connection(self.container, user_id, "salesforce")
        tokens = ConnectionTokens(self.container, user_id, "salesforce")
        token = tokens.refresh() if refresh else tokens.access_token()
        with self.container.db.session() as session:
            org = session.get(Organization, self.organization_id)
            org_id = org.salesforce_org_id if org else None
        settings = self.container.settings
        return ChangeEventStream(settings.upstream_urls["salesforce_pubsub"], access_token=token,
                                 instance_url=info.instance_url or "", org_id=org_id or "",
                                 ca_path=settings.ca_bundle or None)

    def _follow(self, refresh: bool = False) -> None:
        with stream_lease(self.container, self.organization_id, self.topic) as mine:
            if not mine:  # another process of this deployment follows this stream
                raise ChangeStreamError("followed by another worker process")
            self._follow_stream(refresh)

    def _follow_stream(self, refresh: bool = False) -> None:
        after = stored_replay(self.container, self.organization_id, self.topic)
        if after is None:  # nothing stored: whatever changed before now, the poll covers
            self._everyone()
        self._stream = self._open(refresh)
        try:
            for latest, events in self._stream.subscribe(self.topic, after, self.stop_event):
                self.connected.set()
                self.last_heard = time.monotonic()
                if events:
                    users = handle(self.container, self.organization_id, events)
                    if self.on_handled is not None:
                        self.on_handled(users)
                store_replay(self.container, self.organization_id, self.topic,
                             events[-1].replay_id if events else latest)
        except StreamAuthExpired:
            if refresh:
                raise
            self._stream.close()
            self._follow_stream(refresh=True)
        finally:
            self._stream.close()


class ChangeListeners:
    """The listeners of every organization with a connected Salesforce user: started for
    the organizations found now, and for those that connect later (checked every minute)."""

    def __init__(self, container: Container,
                 on_handled: Callable[[set[int]], None] | None = None):
        self.container, self.on_handled = container, on_handled
        self.running: dict[tuple[int, str], ChangeListener] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ChangeListeners:
        """Follow the organizations connected now, and look for new ones every minute."""
        self.refresh()
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name="change-listeners")
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(60):
            try:
                self.refresh()
            except Exception:  # the database may be away for a moment
                log.exception("looking for organizations to follow")

    def healthy(self, organization_id: int) -> bool:
        """Both streams of the organization answered within twice Salesforce's keep-alive
        period (270 s): Salesforce-side changes arrive by push, so polling Salesforce can
        be rare for this organization."""
        listeners = [self.running.get((organization_id, topic)) for topic in TOPICS]
        return all(listener is not None and listener.connected.is_set()
                   and time.monotonic() - listener.last_heard < KEEP_ALIVE_SECONDS * 2
                   for listener in listeners)

    def refresh(self, container: Container | None = None) -> int:
        """Start listeners for organizations that have none; the number started."""
        if not self.container.settings.salesforce_change_events:
            return 0
        with self.container.db.session() as session:
            organizations = list(session.scalars(select(User.organization_id).join(
                Connection, Connection.user_id == User.id).where(
                Connection.service == "salesforce").distinct()))
        started = 0
        for organization_id in organizations:
            for topic in TOPICS:
                if (organization_id, topic) not in self.running:
                    self.running[(organization_id, topic)] = ChangeListener(
                        self.container, organization_id, topic, self.on_handled).start()
                    started += 1
        return started

    def stop(self) -> None:
        self._stop.set()
        for listener in self.running.values():
            listener.stop_event.set()
        for listener in self.running.values():
            listener.stop()
        self.running.clear()


def start_listeners(container: Container,
                    on_handled: Callable[[set[int]], None] | None = None) -> ChangeListeners:
    return ChangeListeners(container, on_handled).start()
