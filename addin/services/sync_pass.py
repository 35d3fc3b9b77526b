"""One sync pass for one user: find the mirrored events that changed on either side since
the last pass and reconcile each of them, in as few upstream requests as the services allow.

- The calendar's change feed (delta link / sync token) is read first: one request when
  nothing changed. Items carrying the etag the product stored after its own write are its
  own echoes and cost nothing more.
- Salesforce has its own cursor (SystemModstamp high-water mark): ONE request (a composite of
  queries) reads every changed Event with its EventRelations, the deleted ones and the
  owner's experience. A pass started by a calendar notification skips it and reads from
  Salesforce only the Events whose calendar items changed (one query per 200).
- Only the mirrors concerned are loaded; the calendar items not in the feed are read in
  batches; the calendar writes of every reconciled event go out together at the end
  (calendar_batch.BatchingCalendar).
- A series (a row whose base has ``recurrence``) is reconciled occurrence by occurrence
  inside the sync window (services/series.py) when any of its occurrences changed on
  either side: the Salesforce occurrence Events the base knows are looked for among the
  changed ones, and a calendar change names the series (``series_id``; Google's instance
  ids ``{series}_{stamp}``). Series reconcile with their own reads and writes, unbatched
  (series.py: Salesforce 1 read, calendar 2 reads, per reconciled series)."""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import CurrentUser, load_user
from addin.container import Container
from addin.domain import CalendarItem
from addin.providers.calendar.provider import (
    CalendarError,
    CalendarProvider,
    ChangePage,
    ItemNotFound,
)
from addin.providers.salesforce.client import (
    EventSnapshot,
    PersonRecord,
    SalesforceChanges,
    SalesforceClient,
)
from addin.services.attendees import Known, reconcile
from addin.services.calendar_batch import BatchingCalendar
from addin.services.cancellation import calendar_deleted, salesforce_deleted
from addin.services.event_sync import sync_fields
from addin.services.events import ensure_mirror
from addin.services.failpoints import failpoint
from addin.services.mirrors import item_as_agreed
from addin.services.org_settings import OrgSettings, load_org_settings
from addin.services.salesforce_batch import BatchingSalesforce
from addin.services.series import (
    is_series,
    occurrence_ids,
    reconcile_series,
    series_relations,
)
from addin.services.sync_history import PassOutcome, modified_at, propagation, record_pass
from addin.store.mailbox_lock import exclusive_mailbox
from addin.store.models import MirroredEvent, SyncCursor
from addin.sync.fields import from_api
from addin.sync.merge import key

log = logging.getLogger(__name__)
FIRST_LOOKBACK = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=5)
# A pass requested by a calendar notification ("graph:updated", "google:exists", ...)
# starts from the calendar and leaves Salesforce's own changes to its own schedule.
CALENDAR_PUSH_REASONS = ("graph:", "google:", "ews:")
# A scheduled poll that reads only the calendar: Salesforce's changes arrive as change
# events meanwhile (services/change_events.py, ``poll_reason``).
CALENDAR_POLL = "poll:calendar"
# Salesforce refusing a write because what it asked for is already so: the invitee is
# already there, the row already gone. The agreed state holds: nothing to put back.
ALREADY_SO = ("DUPLICATE_VALUE", "ENTITY_IS_DELETED")


@dataclass
class PassReport:
    checked: int = 0
    reconciled: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)  # event id -> what was done
    propagations: list[dict[str, Any]] = field(default_factory=list)  # see sync_history

    def outcome(self) -> PassOutcome:
        return PassOutcome(checked=self.checked, reconciled=len(self.reconciled),
                           failures=self.failed, propagations=self.propagations)


def _cursor(container: Container, user_id: int, source: str) -> str | None:
    with container.db.session() as session:
        row = session.scalar(select(SyncCursor).where(SyncCursor.user_id == user_id,
                                                      SyncCursor.source == source))
        return row.cursor if row else None


def _save_cursor(container: Container, user_id: int, source: str, value: str) -> None:
    """One statement (INSERT ... ON CONFLICT DO UPDATE): two passes saving the same cursor
    at once (a webhook's and a requested one) cannot collide on the unique key."""
    with container.db.session() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(SyncCursor).values(user_id=user_id, source=source, cursor=value,
                                              updated_at=datetime.now(UTC))
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id", "source"],
            set_={"cursor": value, "updated_at": datetime.now(UTC)}))


def is_calendar_push(reason: str) -> bool:
    """A pass that starts from the calendar and leaves Salesforce to its own schedule."""
    return reason.startswith(CALENDAR_PUSH_REASONS) or reason == CALENDAR_POLL


def sync_user(container: Container, user_id: int, reason: str = "poll") -> PassReport:
    """One pass, recorded (addin/services/sync_history.py) whether it succeeds or not.
    Passes for the same user run one after the other, whoever runs them (a worker's job,
    `addin sync`, a Retry on the status page) and in whichever process: the writes of a
    pass go out at its end, after its base is saved, so two passes at once would each take
    the other's half-done work for news (addin/store/mailbox_lock.py)."""
    with exclusive_mailbox(container.db.engine, user_id):
        return _recorded_pass(container, user_id, reason)


def _recorded_pass(container: Container, user_id: int, reason: str) -> PassReport:
    report = PassReport()
    started = datetime.now(UTC)
    try:
        _sync_user(container, user_id, reason, report)
    except Exception as exc:
        record_pass(container, user_id, reason, started, report.outcome(),
                    error=f"{exc.__class__.__name__}: {exc}")
        raise
    record_pass(container, user_id, reason, started, report.outcome())
    return report


def _sync_user(container: Container, user_id: int, reason: str, report: PassReport) -> None:
    user = load_user(container, user_id)
    if user is None or not _has_mirrors(container, user_id):
        return
    salesforce, calendar = open_salesforce(container, user), open_calendar(container, user)
    started = datetime.now(UTC)
    source = f"{calendar.name}_changes"
    page = calendar.list_changes(_cursor(container, user_id, source))
    changes = None
    if not is_calendar_push(reason):
        stored = _cursor(container, user_id, "salesforce_events")
        since = (datetime.fromisoformat(stored) if stored else started - FIRST_LOOKBACK) \
            - CLOCK_SKEW
        changes = salesforce.changes_since(since, str(user.salesforce_user_id))
    rows = _rows_concerned(container, user_id, page, changes, calendar, started)
    work = _Work(container, user, salesforce, calendar, _Reads.of(page, changes), rows,
                 started)
    work.run(report)
    if changes is not None:
        _save_cursor(container, user_id, "salesforce_events", started.isoformat())
    _save_cursor(container, user_id, source, page.cursor)
    if report.reconciled or report.failed or report.deleted:
        log.info("pass for user %s (%s): reconciled %s, failed %s, deleted %s", user_id,
                 reason, report.reconciled, report.failed, report.deleted)

def _agreed_state(container: Container, row_id: int) -> tuple[Any, ...]:
    """What both sides agree on, normalized: the event's fields and its attendees with
    their answers and links (a change to it is a change propagated)."""
    with container.db.session() as session:
        stored = session.get(MirroredEvent, row_id)
        if stored is None:
            return ()
        people = sorted((str(a.get("email", "")).lower(), a.get("response"),
                         bool(a.get("optional")), str(a.get("record")))
                        for a in stored.base_attendees or [])
        return from_api(stored.base_fields or {}), people


def _has_mirrors(container: Container, user_id: int) -> bool:
    with container.db.session() as session:
        return session.scalar(select(MirroredEvent.id).where(
            MirroredEvent.user_id == user_id, MirroredEvent.state == "mirrored").limit(1)
        ) is not None


def _rows_concerned(container: Container, user_id: int, page: ChangePage,
                    changes: SalesforceChanges | None, calendar: CalendarProvider,
                    now: datetime) -> list[MirroredEvent]:
    """The user's mirrors that either side reports changed, those beyond the change
    feed's window (read directly) and the series (_Work.run picks those whose occurrences
    changed), and no others: a full resync concerns them all."""
    mine = select(MirroredEvent).where(MirroredEvent.user_id == user_id,
                                       MirroredEvent.state == "mirrored")
    if page.full_resync:
        with container.db.session() as session:
            return list(session.scalars(mine.order_by(MirroredEvent.id)))
    event_ids: set[str] = set()
    if changes is not None:
        event_ids = set(changes.events) | changes.deleted | changes.uninvited_elsewhere
    item_ids = {i.item_id for i in page.changed} | set(page.removed)
    conditions = []
    for chunk in _chunks(sorted(event_ids)):
        conditions.append(MirroredEvent.salesforce_event_id.in_(chunk))
    for chunk in _chunks(sorted(item_ids)):
        conditions.append(MirroredEvent.calendar_item_id.in_(chunk))
    # series: which of their occurrences changed is decided from their base (_Work.run)
    conditions.append(MirroredEvent.base_fields["recurrence"].as_string().is_not(None))
    window = calendar.capabilities.change_window_days
    if window is not None:  # ends within a month of the feed window's far end, or later
        edge = (now + timedelta(days=window[1] - 31)).date().isoformat()
        conditions.append(MirroredEvent.base_fields["end"].as_string() >= edge)
    if not conditions:
        return []
    with container.db.session() as session:
        return list(session.scalars(mine.where(or_(*conditions)).order_by(MirroredEvent.id)))


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i: i + size] for i in range(0, len(values), size)]


@dataclass
class _Reads:
    """What the pass has read of both sides: the calendar's change feed and Salesforce's
    changes first, then (``_Work``) what it reads more of the events due."""

    page: ChangePage
    changes: SalesforceChanges | None
    in_feed: dict[str, CalendarItem]  # item id -> the item the feed reports changed
    removed: set[str]  # item ids the feed reports removed
    snapshots: dict[str, EventSnapshot] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)  # Salesforce Events gone
    salesforce_changed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, page: ChangePage, changes: SalesforceChanges | None) -> _Reads:
        reads = cls(page, changes, {i.item_id: i for i in page.changed}, set(page.removed))
        if changes is not None:
            reads.snapshots = dict(changes.events)
            reads.deleted = set(changes.deleted)
            reads.salesforce_changed = set(reads.snapshots) | reads.deleted | \
                changes.uninvited_elsewhere
        return reads

    def feed_items(self) -> set[str]:
        """Every item the feed names, with the series of a changed exception."""
        return set(self.in_feed) | self.removed | {
            i.series_id for i in self.page.changed if i.series_id}


class _Work:
    """The reconciling part of one pass, once both sides' changes are known."""

    def __init__(self, container: Container, user: CurrentUser, salesforce: SalesforceClient,
                 calendar: CalendarProvider, reads: _Reads, rows: list[MirroredEvent],
                 started: datetime):
        self.container, self.user, self.salesforce = container, user, salesforce
        self.calendar, self.rows = calendar, rows
        self.reads, self.page, self.changes = reads, reads.page, reads.changes
        self.org: OrgSettings = load_org_settings(container, user.organization_id)
        self.writes = BatchingCalendar(calendar)
        self.started = started
        self.salesforce_writes = BatchingSalesforce(salesforce)
        # events whose agreed state this pass changed, with when their side changed it
        # (the propagation times of the sync status page: sync_history.py)
        self.propagated: list[tuple[str, tuple[str, datetime] | None]] = []
        self._experience = reads.changes.experience if reads.changes is not None else None

    def experience(self) -> str:
        if self._experience is None:  # read once, only when needed
            self._experience = self.salesforce.user_experience(
                str(self.user.salesforce_user_id))
        return self._experience

    def run(self, report: PassReport) -> None:
        due, series_due = self._due(report)
        raced = self._forget_raced(due)
        self._read_salesforce(due)
        items = self._read_calendar(due, raced)
        people = self._people_to_link(due, items)
        saved = {r.id: (deepcopy(r.base_fields), deepcopy(r.base_attendees), r.calendar_etag)
                 for r in due}
        finished = self._reconcile_due(due, items, people, report)
        for row in series_due:
            self._reconcile_series(row, report)
        self._flush(finished, saved, report)
        self._measure_propagation(report)

    def _due(self, report: PassReport) -> tuple[list[MirroredEvent], list[MirroredEvent]]:
        """The events and the series to reconcile, of the rows concerned."""
        reads, due, series_due = self.reads, [], []
        feed_items = reads.feed_items()  # an exception changed: its series did
        for row in self.rows:
            report.checked += 1
            if is_series(row):
                if self._series_changed(row, reads.salesforce_changed, feed_items):
                    series_due.append(row)
                continue
            # beyond the feed's window: its item is read below and compared
            if self._reported(row) or (str(row.calendar_item_id) not in reads.in_feed
                                       and self._beyond_window(row)):
                due.append(row)
        return due, series_due

    def _reported(self, row: MirroredEvent) -> bool:
        """Either side reports the event changed (not counting the product's own echo)."""
        reads, item_id = self.reads, str(row.calendar_item_id)
        in_feed = reads.in_feed.get(item_id)
        own_echo = in_feed is not None and bool(row.calendar_etag) and \
            in_feed.etag == row.calendar_etag
        return self.page.full_resync or row.salesforce_event_id in reads.salesforce_changed \
            or item_id in reads.removed or (in_feed is not None and not own_echo)

    def _forget_raced(self, due: list[MirroredEvent]) -> list[MirroredEvent]:
        """A mirror another pass saved after this one began reading holds a base newer
        than what this pass read of both sides: merging the two would take the other
        pass's own writes for changes made meanwhile (and undo them). Both sides are read
        again."""
        raced = [r for r in due if r.last_synced_at is not None
                 and _aware(r.last_synced_at) >= self.started]
        for row in raced:
            self.reads.snapshots.pop(row.salesforce_event_id, None)
            self.reads.in_feed.pop(str(row.calendar_item_id), None)
        return raced

    def _read_salesforce(self, due: list[MirroredEvent]) -> None:
        """Salesforce: what this pass has not read yet, in one query per 200."""
        reads = self.reads
        wanted = [r.salesforce_event_id for r in due
                  if r.salesforce_event_id not in reads.snapshots | dict.fromkeys(reads.deleted)]
        if wanted:
            read = self.salesforce.events_with_relations(wanted)
            reads.snapshots.update(read)
            reads.deleted |= set(wanted) - set(read)

    def _read_calendar(self, due: list[MirroredEvent], raced: list[MirroredEvent]
                       ) -> dict[str, CalendarItem | CalendarError]:
        """The calendar: an item the feed does not report is as the product last agreed
        it (its stored etag makes the write conditional); items the feed cannot vouch for
        (removed ones to confirm, those beyond its window, any a full listing left out)
        are read, in batches."""
        reads = self.reads
        items: dict[str, CalendarItem | CalendarError] = dict(reads.in_feed)
        for row in due:
            item_id = str(row.calendar_item_id)
            trusted = not self.page.full_resync and not self._beyond_window(row) and \
                row not in raced
            if trusted and item_id not in items and item_id not in reads.removed and \
                    row.calendar_etag and (row.base_fields or {}).get("start"):
                items[item_id] = item_as_agreed(row, self.user.email)
        missing = [str(r.calendar_item_id) for r in due
                   if str(r.calendar_item_id) not in items and r.salesforce_event_id
                   not in reads.deleted]
        if missing:
            items.update(self.calendar.get_items(missing))
        return items

    def _reconcile_due(self, due: list[MirroredEvent],
                       items: dict[str, CalendarItem | CalendarError],
                       people: dict[str, list[PersonRecord]], report: PassReport
                       ) -> dict[str, MirroredEvent]:
        """Reconcile each event due; those whose calendar writes may go out, by item id."""
        reads, finished = self.reads, {}
        for row in due:
            found = items.get(str(row.calendar_item_id))
            if isinstance(found, CalendarItem) and found.etag == row.calendar_etag and \
                    row.salesforce_event_id not in reads.salesforce_changed | reads.deleted \
                    and not self.page.full_resync and \
                    str(row.calendar_item_id) not in reads.removed:
                continue  # read beyond the window: unchanged
            if self._reconcile(row, reads.snapshots.get(row.salesforce_event_id),
                               row.salesforce_event_id in reads.deleted, found, people, report):
                finished[str(row.calendar_item_id)] = row
        return finished

    def _measure_propagation(self, report: PassReport) -> None:
        written = datetime.now(UTC)  # the writes are out: the change has propagated
        for event_id, changed_at in self.propagated:
            measured = propagation(event_id, changed_at, written)
            if measured and event_id not in report.failed:
                report.propagations.append(measured)

    def _series_changed(self, row: MirroredEvent, salesforce_changed: set[str],
                        feed_items: set[str]) -> bool:
        """One of the series' occurrences changed on either side (or it was never
        reconciled occurrence by occurrence yet)."""
        if self.page.full_resync or "occurrences" not in (row.base_fields or {}):
            return True
        if occurrence_ids(row) & salesforce_changed:
            return True
        # the series item or one of its occurrences (Google: ``{series id}_{start}``)
        master = str(row.calendar_item_id)
        return master in feed_items or any(i.startswith(f"{master}_") for i in feed_items)

    def _reconcile_series(self, row: MirroredEvent, report: PassReport) -> None:
        """A series: its occurrences (exceptions both ways, a series deleted on either
        side), then its attendees (the series' invitees on every occurrence, in one
        composite; the calendar series invites once). Written at once, not batched."""
        try:
            outcome = reconcile_series(self.container, self.user, row, self.salesforce,
                                       self.calendar, self.org)
            if outcome.gone_from == "salesforce":
                report.deleted[row.salesforce_event_id] = salesforce_deleted(
                    self.container, row, self.calendar, self.org, self.experience())
                return
            if outcome.gone_from == "pattern":
                report.failed[row.salesforce_event_id] = outcome.detail
                return
            if outcome.gone_from == "calendar" or outcome.master is None:
                report.deleted[row.salesforce_event_id] = outcome.detail
                return
            series = series_relations(self.container, row, self.salesforce)
            first = next(iter(series), None)
            if first is not None:
                reconcile(self.container, self.user, row, self.salesforce, self.calendar,
                          Known(self.experience(), outcome.master, None, series[first],
                                series=series))
            report.reconciled.append(row.salesforce_event_id)
        except Exception as exc:  # one series' failure must not stop the pass
            log.exception("reconciling the series %s failed", row.salesforce_event_id)
            report.failed[row.salesforce_event_id] = f"{exc.__class__.__name__}: {exc}"

    def _people_to_link(self, due: list[MirroredEvent],
                        items: dict[str, CalendarItem | CalendarError]
                        ) -> dict[str, list[PersonRecord]]:
        """Every attendee the calendar shows that the base has not linked (yet), looked up
        in Salesforce at once (100 addresses a request) instead of once per event."""
        emails: set[str] = set()
        for row in due:
            item = items.get(str(row.calendar_item_id))
            if not isinstance(item, CalendarItem):
                continue
            linked = {key(str(a.get("email", ""))) for a in row.base_attendees or []
                      if a.get("record")}
            unlinked = {key(str(a.get("email", ""))) for a in row.base_attendees or []
                        if not a.get("record")}
            emails |= ({a.key for a in item.attendees_besides_organizer()} | unlinked) - linked
        emails.discard(key(self.user.email))
        return self.salesforce.find_people_by_emails(emails) if emails else {}

    def _beyond_window(self, row: MirroredEvent) -> bool:
        window = self.calendar.capabilities.change_window_days
        end = (row.base_fields or {}).get("end")
        if window is None or not end:
            return False
        edge = datetime.now(UTC) + timedelta(days=window[1] - 31)
        return _instant(str(end)) > edge

    def _reconcile(self, row: MirroredEvent, snapshot: EventSnapshot | None, deleted: bool,
                   found: CalendarItem | CalendarError | None,
                   people: dict[str, list[PersonRecord]], report: PassReport) -> bool:
        """One event; True when its calendar writes (if any) may go out."""
        try:
            item = None if deleted or snapshot is None else _present(found)
            if deleted or snapshot is None:
                report.deleted[row.salesforce_event_id] = salesforce_deleted(
                    self.container, row, self.calendar, self.org, self.experience())
                return False
            if item is None:  # gone (404 / cancelled); a full resync lists no deletions
                report.deleted[row.salesforce_event_id] = calendar_deleted(
                    self.container, row, self.salesforce, self.org)
                if self.org.sync_direction == "sf_to_calendar":
                    ensure_mirror(self.container, self.user, row.id)
                return False
            self.writes.know(item)
            record = snapshot.record
            agreed, changed_at = _agreed_state(self.container, row.id), modified_at(record,
                                                                                   item.raw)
            queued = self.salesforce_writes  # typed as the client it stands for
            item = sync_fields(self.container, row, queued, self.writes,  # type: ignore[arg-type]
                               record, item, self.org)
            # the writes are only queued here: the pass's own failpoints are in _flush
            reconcile(self.container, self.user, row, queued, self.writes,  # type: ignore[arg-type]
                      Known(self.experience(), item, record, snapshot.relations, people),
                      step="sync.queued")
            report.reconciled.append(row.salesforce_event_id)
            if _agreed_state(self.container, row.id) != agreed:  # something was propagated
                self.propagated.append((row.salesforce_event_id, changed_at))
            return True
        except Exception as exc:  # one event's failure must not stop the pass
            log.exception("reconciling %s failed", row.salesforce_event_id)
            report.failed[row.salesforce_event_id] = f"{exc.__class__.__name__}: {exc}"
            return False

    def _flush(self, finished: dict[str, MirroredEvent],
               saved: dict[int, tuple[dict[str, Any], list[Any], str | None]],
               report: PassReport
               ) -> None:
        """Send the queued writes, then store each event's new agreed state (and its
        written item's etag: the echo to recognise). Until its writes have gone out, an
        event's stored base stays the one both sides last agreed on: a pass that dies
        between its calendar and its Salesforce writes (a killed worker), or whose write
        fails, leaves the next pass to merge again from there; a base saved before the
        writes would make it read a write that never went out as a removal."""
        agreed = self._put_back_until_written(finished, saved)
        log.debug("pass flush: %s calendar writes, Salesforce %s", self.writes.queued,
                  sorted(self.salesforce_writes.queued_events))
        failpoint("sync.before_calendar")
        try:
            results: dict[str, Any] = dict(self.writes.flush())
        except CalendarError as exc:  # the batch request itself failed
            results = {item_id: exc for item_id in finished}
        failpoint("sync.after_calendar")  # the mail server has sent the invitations
        by_event = {row.salesforce_event_id: item_id for item_id, row in finished.items()}
        try:
            salesforce_outcome: dict[str, Any] = dict(self.salesforce_writes.flush())
        except Exception as exc:  # the composite request itself failed
            salesforce_outcome = dict.fromkeys(by_event, exc)
        failpoint("sync.after_salesforce")
        for event_id, error in salesforce_outcome.items():
            if getattr(error, "error_code", "") in ALREADY_SO:
                error = None  # another pass (or person) made the same change first
            if error is not None and event_id in by_event:
                results[by_event[event_id]] = error
            elif event_id in by_event:
                results.setdefault(by_event[event_id], None)
        for item_id, row in finished.items():
            result = results.get(item_id)
            if row.id not in agreed:
                continue
            if result is None or isinstance(result, CalendarItem):  # written, or nothing to
                fields, attendees, etag = agreed[row.id]
                with self.container.db.session() as session:
                    session.execute(update(MirroredEvent).where(MirroredEvent.id == row.id)
                                    .values(base_fields=fields, base_attendees=attendees,
                                            calendar_etag=result.etag if isinstance(
                                                result, CalendarItem) else etag))
                continue
            if row.salesforce_event_id in report.reconciled:  # its base stays put back
                report.reconciled.remove(row.salesforce_event_id)
            report.failed[row.salesforce_event_id] = f"{result.__class__.__name__}: {result}"

    def _put_back_until_written(self, finished: dict[str, MirroredEvent],
                                saved: dict[int, tuple[dict[str, Any], list[Any], str | None]]
                                ) -> dict[int, tuple[dict[str, Any], list[Any], str | None]]:
        """The new agreed state of each finished event (as reconciling stored it), with
        the last agreed one stored back in its place, in one transaction."""
        agreed: dict[int, tuple[dict[str, Any], list[Any], str | None]] = {}
        with self.container.db.session() as session:
            for row in finished.values():
                stored = session.get(MirroredEvent, row.id)
                if stored is None:
                    continue
                agreed[row.id] = (stored.base_fields, stored.base_attendees,
                                  stored.calendar_etag)
                stored.base_fields, stored.base_attendees, stored.calendar_etag = saved[row.id]
        return agreed


def _present(found: CalendarItem | CalendarError | None) -> CalendarItem | None:
    """The item when it is there; None when it is gone (not found, or cancelled); the
    error when reading it failed otherwise."""
    if isinstance(found, ItemNotFound):
        return None
    if found is None:
        raise CalendarError("the calendar did not answer for this item")
    if isinstance(found, CalendarError):
        raise found
    cancelled = found.raw.get("isCancelled") is True or found.raw.get("status") == "cancelled"
    return None if cancelled else found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
