"""Recurring series in the Graph emulator: a ``seriesMaster`` and its instances.

Stored on the master's resource (a copy in an invitee's calendar carries the same):
``exceptions`` (original-start key -> the fields changed on that occurrence, its
changeKey and lastModified), ``cancelled`` (keys of deleted occurrences), ``touched`` (key
-> the change sequence of its last edit, for delta), ``series_seq`` (the sequence of the
last change of the whole series) and ``history`` (earlier patterns and times, so delta can
report occurrences that a pattern change removed).

An instance's id is the master's id, ``_`` and its original start in UTC
(``20261210T100000Z``); it stays the same when the occurrence becomes an exception.
Instances are ``type: occurrence`` or ``exception`` with ``seriesMasterId`` and
``originalStart``; their ``iCalUId`` carries the original date in the bytes Outlook keeps
it in. calendarView and its delta list instances (never masters); ``/events`` lists
masters. Exchange's rules: changing a series' pattern or times drops its exceptions and
cancellations; an occurrence cannot move onto or past the day of a neighbour
(ErrorOccurrenceCrossingBoundary); an occurrence takes no ``recurrence``.

Emails: a change of the series reaches its attendees once (the master is one meeting);
an edit of one occurrence reaches that occurrence's attendees (an invitation to one added
there only, ``scope: occurrence``), and cancelling one occurrence emails each of its
attendees one cancellation."""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from addin.sandbox.calendar_core import StoredItem
from addin.sandbox.graph import recurrence
from addin.sandbox.graph.resources import GraphError, bad

if TYPE_CHECKING:
    from addin.sandbox.graph.app import Graph

INSTANCE_ID = re.compile(r"^(?P<master>.+)_(?P<key>\d{8}T\d{6}Z)$")
SERIES_FIELDS = ("recurrence", "exceptions", "cancelled", "touched", "series_seq", "history",
                 "own")
OVERRIDABLE = ("subject", "body", "location", "locations", "showAs", "isReminderOn",
               "reminderMinutesBeforeStart", "sensitivity", "categories", "importance",
               "isOnlineMeeting", "onlineMeetingProvider", "onlineMeeting", "attendees",
               "start_utc", "start_zone", "end_utc", "end_zone", "isAllDay", "extended")
TIMING = ("recurrence", "start_utc", "end_utc", "start_zone", "end_zone")
HISTORY = 10
Window = tuple[datetime, datetime]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def is_master(item: StoredItem) -> bool:
    return bool(item.resource.get("recurrence") or item.resource.get("history"))


def stamp(graph: Graph, before: dict[str, Any] | None, event: dict[str, Any]) -> None:
    """Before the master is stored by a write of the whole series: every instance
    changes with it (for delta); a new series, or a change of its pattern or times, also
    drops the exceptions and cancellations."""
    event["series_seq"] = graph.store.current_seq()  # every instance changes with it
    if before is not None and all(before.get(k) == event.get(k) for k in TIMING):
        return
    if before is not None and before.get("recurrence"):
        earlier = {k: before[k] for k in (*TIMING, "cancelled") if k in before}
        earlier["replaced_seq"] = graph.store.current_seq()
        event["history"] = [earlier, *(before.get("history") or [])][:HISTORY]
    event.update(exceptions={}, cancelled=[], touched={})


def occurrence_uid(master_uid: str, original: datetime) -> str:
    """The GlobalObjectId of an occurrence: the master's with the original date in bytes
    16-19 (year, month, day), which are zero on the master."""
    stamped = f"{original.year:04X}{original.month:02X}{original.day:02X}"
    return master_uid[:32] + stamped + master_uid[40:] if len(master_uid) >= 40 \
        else master_uid


def _instance(master: StoredItem, original: datetime) -> StoredItem:
    e = master.resource
    key = recurrence.key(original)
    change = (e.get("exceptions") or {}).get(key)
    resource = {k: v for k, v in e.items() if k not in SERIES_FIELDS}
    resource.update({
        "recurrence": None, "start_utc": original.isoformat(),
        "end_utc": (original + recurrence.length(e)).isoformat(),
        "iCalUId": occurrence_uid(str(e.get("iCalUId")), original),
        "_type": "exception" if change else "occurrence", "_seriesMasterId": master.id,
        "_originalStart": original.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if change:
        resource.update(change["fields"])
        resource.update(changeKey=change["changeKey"], lastModified=change["lastModified"])
    mine = (e.get("own") or {}).get(key) or {}
    if mine.get("response"):  # an invitee's own answer for this occurrence
        resource["response"] = mine["response"]
    return StoredItem(f"{master.id}_{key}", master.owner, resource, master.version,
                      master.seq, master.deleted)


def gone(resource: dict[str, Any]) -> set[str]:
    """Keys of the occurrences no longer in this calendar: cancelled by the organizer, or
    (in an invitee's copy) declined by the invitee."""
    declined = {k for k, mine in (resource.get("own") or {}).items() if mine.get("declined")}
    return set(resource.get("cancelled") or []) | declined


def instance_at(master: StoredItem, key: str) -> StoredItem:
    return _instance(master, datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))


def set_exception_fields(graph: Graph, owner: str, master: StoredItem, key: str,
                         fields: dict[str, Any]) -> StoredItem:
    """One occurrence of ``master`` gets ``fields`` as its own (an exception)."""
    resource = dict(master.resource)
    exceptions = dict(resource.get("exceptions") or {})
    earlier = (exceptions.get(key) or {}).get("fields") or {}
    exceptions[key] = {"fields": {**earlier, **fields}, "changeKey": secrets.token_urlsafe(21),
                       "lastModified": _now()}
    resource.update(exceptions=exceptions, touched={**(resource.get("touched") or {}),
                                                    key: graph.store.current_seq()})
    return graph.store.put(owner, master.id, resource)


def _overlaps(resource: dict[str, Any], window: Window) -> bool:
    return datetime.fromisoformat(resource["end_utc"]) > window[0] and \
        datetime.fromisoformat(resource["start_utc"]) < window[1]


def instances(master: StoredItem, window: Window) -> list[StoredItem]:
    """The series' occurrences and exceptions that overlap the window (an exception by
    its own, possibly moved, times), in start order; cancelled ones are gone."""
    e = master.resource
    if not e.get("recurrence"):
        return []
    cancelled = gone(e)
    changed = e.get("exceptions") or {}
    found: list[StoredItem] = []
    span = recurrence.length(e)
    for original in recurrence.rule(e["recurrence"], datetime.fromisoformat(e["start_utc"]),
                                    e["start_zone"]):
        original = original.astimezone(UTC)
        if original >= window[1] or len(found) >= recurrence.MAX_EXPANDED:
            break
        key = recurrence.key(original)
        if key in cancelled or key in changed or original + span <= window[0]:
            continue
        found.append(_instance(master, original))
    for key in changed:
        if key not in cancelled:
            moved = _instance(master, datetime.strptime(key, "%Y%m%dT%H%M%SZ")
                              .replace(tzinfo=UTC))
            if _overlaps(moved.resource, window):
                found.append(moved)
    return sorted(found, key=lambda i: i.resource["start_utc"])


def expand(items: list[StoredItem], window: Window) -> list[StoredItem]:
    """What calendarView lists: single events and the instances of series."""
    rows: list[StoredItem] = []
    for item in items:
        if item.resource.get("recurrence"):
            rows += instances(item, window)
        elif _overlaps(item.resource, window):
            rows.append(item)
    return sorted(rows, key=lambda i: i.resource["start_utc"])


def resolve(graph: Graph, owner: str, item_id: str) -> StoredItem | None:
    """An instance by its id (None when the id is not an instance's)."""
    match = INSTANCE_ID.match(item_id)
    if match is None:
        return None
    master = graph.store.get(owner, match["master"])
    if master is None or not master.resource.get("recurrence"):
        return None
    key = match["key"]
    if key in gone(master.resource):
        return None
    try:
        original = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None  # not a date: no such instance
    if key not in (master.resource.get("exceptions") or {}) and \
            not _is_original(master, original):
        return None
    return _instance(master, original)


def _is_original(master: StoredItem, original: datetime) -> bool:
    """``original`` is the start of one of the series' occurrences."""
    e = master.resource
    rule = recurrence.rule(e["recurrence"], datetime.fromisoformat(e["start_utc"]),
                           e["start_zone"])
    return rule.after(original, inc=True) == original


def _neighbours(master: StoredItem, original: datetime) -> tuple[datetime | None,
                                                                   datetime | None]:
    before: datetime | None = None
    for moment in recurrence.rule(master.resource["recurrence"],
                                  datetime.fromisoformat(master.resource["start_utc"]),
                                  master.resource["start_zone"]):
        moment = moment.astimezone(UTC)
        if moment > original:
            return before, moment
        if moment < original:
            before = moment
    return before, None


def update_occurrence(graph: Graph, owner: str, instance: StoredItem, body: dict[str, Any]
                      ) -> tuple[StoredItem, StoredItem, dict[str, Any]]:
    """PATCH of one occurrence: it becomes (or stays) an exception. Returns the master as
    stored, the instance as it now is, and the instance's resource before."""
    if "recurrence" in body:
        raise bad("An occurrence of a series cannot have its own recurrence.",
                  "ErrorInvalidRequest")
    master = graph.find(owner, instance.resource["_seriesMasterId"])
    changed = graph.build(owner, body, instance.resource)
    original = datetime.strptime(instance.id.rsplit("_", 1)[1], "%Y%m%dT%H%M%SZ") \
        .replace(tzinfo=UTC)
    new_start = datetime.fromisoformat(changed["start_utc"])
    zone = recurrence.zone(recurrence.zone_name(master.resource["recurrence"],
                                                master.resource["start_zone"]))
    before, after = _neighbours(master, original)
    day = new_start.astimezone(zone).date()
    if (before is not None and day <= before.astimezone(zone).date()) or \
            (after is not None and day >= after.astimezone(zone).date()):
        raise GraphError(400, "ErrorOccurrenceCrossingBoundary",
                         "An occurrence can't be moved to or before the day of the previous "
                         "occurrence, or to or after the day of the next one.")
    fields = {k: changed[k] for k in OVERRIDABLE
              if k in changed and changed.get(k) != master.resource.get(k)}
    key = recurrence.key(original)
    resource = dict(master.resource)
    resource["exceptions"] = {**(resource.get("exceptions") or {}), key: {
        "fields": fields, "changeKey": changed["changeKey"], "lastModified": changed[
            "lastModified"]}}
    resource["touched"] = {**(resource.get("touched") or {}),
                           key: graph.store.current_seq()}
    stored = graph.store.put(owner, master.id, resource)
    return stored, _instance(stored, original), instance.resource


def cancel_occurrence(graph: Graph, owner: str, instance: StoredItem) -> StoredItem:
    """DELETE (or cancel) of one occurrence: it leaves the series; the master is stored."""
    master = graph.find(owner, instance.resource["_seriesMasterId"])
    key = instance.id.rsplit("_", 1)[1]
    resource = dict(master.resource)
    resource["cancelled"] = sorted({*(resource.get("cancelled") or []), key})
    resource["exceptions"] = {k: v for k, v in (resource.get("exceptions") or {}).items()
                              if k != key}
    resource["touched"] = {**(resource.get("touched") or {}),
                           key: graph.store.current_seq()}
    resource["changeKey"] = secrets.token_urlsafe(21)
    resource["lastModified"] = _now()
    return graph.store.put(owner, master.id, resource)


def mail_occurrence(graph: Graph, owner: str, before: dict[str, Any],
                    after: dict[str, Any] | None, only_attendees: bool) -> None:
    """One occurrence's emails: added attendees are invited to it, removed ones get its
    cancellation, and (unless only attendees changed) the others an update; a cancelled
    occurrence (``after`` None) reaches each of its attendees once."""
    old = {a["emailAddress"]["address"].lower(): a["emailAddress"]["address"]
           for a in before.get("attendees") or []}
    new = {a["emailAddress"]["address"].lower(): a["emailAddress"]["address"]
           for a in (after or {}).get("attendees") or []}
    plan = [(new[k], "invitation") for k in new if k not in old]
    plan += [(old[k], "cancellation") for k in old if k not in new]
    if after is not None and not only_attendees:
        plan += [(new[k], "update") for k in new if k in old]
    for recipient, kind in plan:
        if recipient.lower() != owner:
            graph.state.mail.record(sender="graph", from_=owner, to=recipient, kind=kind,
                                    subject=str((after or before).get("subject") or ""),
                                    scope="occurrence",
                                    occurrence=before.get("_originalStart"))


def mail_exceptions(graph: Graph, owner: str, master: dict[str, Any], kind: str) -> None:
    """A whole series was updated (``kind`` update: not its pattern or times, which drop
    the exceptions; only when the setting ``exchange.seriesUpdateMailsEachException``
    says so) or deleted (``cancellation``: MS-OXOCAL's rule, for the edited occurrences
    not yet past): each edited occurrence's attendees get one more email for it."""
    if kind == "update" and not graph.state.setting("exchange.seriesUpdateMailsEachException"):
        return
    now = datetime.now(UTC)
    for key, change in sorted((master.get("exceptions") or {}).items()):
        start = datetime.fromisoformat(change["fields"].get("start_utc") or datetime.strptime(
            key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat())
        if kind == "cancellation" and start <= now:
            continue
        for person in change["fields"].get("attendees", master.get("attendees")) or []:
            address = person["emailAddress"]["address"]
            if address.lower() != owner:
                graph.state.mail.record(
                    sender="graph", from_=owner, to=address, kind=kind,
                    subject=str(change["fields"].get("subject", master.get("subject")) or ""),
                    scope="occurrence", occurrence=datetime.strptime(
                        key, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ"))


def as_reported(graph: Graph) -> bool:
    return bool(graph.state.setting("graph.seriesDelta") == "asReported")


def delta_initial(graph: Graph, items: list[StoredItem], owner: str, window: Window
                  ) -> list[dict[str, Any]]:
    """The first round of a calendarView delta: single events and instances, and (as
    reported) each series master before its instances."""
    rows: list[dict[str, Any]] = []
    for item in expand(items, window):
        master_id = item.resource.get("_seriesMasterId")
        if master_id and as_reported(graph) and not any(r["id"] == master_id for r in rows):
            master = graph.store.get(owner, master_id)
            if master is not None:
                rows.append(graph.shape(master, owner))
        rows.append(graph.shape(item, owner))
    return rows


def _removed(item_id: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.event", "id": item_id,
            "@removed": {"reason": "deleted"}}


def delta_rows(graph: Graph, master: StoredItem, owner: str, window: Window,
               since: int) -> list[dict[str, Any]]:
    """What a changed series puts in a calendarView delta round. As reported (setting
    ``graph.seriesDelta``): the master and every remaining instance in the window, no
    trace of deleted occurrences; a deleted series: ``@removed`` for the master and its
    instances. Precise: after a change of the whole series every instance in the window
    (and ``@removed`` for those the change removed); otherwise only the occurrences
    edited (their rows) or cancelled (``@removed``) since the cursor."""
    e = master.resource
    current = {} if master.deleted else {i.id: i for i in instances(master, window)}
    if e.get("recurrence") and as_reported(graph):
        if master.deleted:
            ghost = replace(master, deleted=False)
            return [_removed(i) for i in [master.id, *(i.id for i in instances(ghost,
                                                                               window))]]
        return [graph.shape(master, owner)] + [graph.shape(i, owner)
                                               for i in current.values()] if current else []
    rows: list[dict[str, Any]] = []
    if not e.get("recurrence"):  # no longer a series (or deleted): the event itself
        rows.append(graph._delta_row(master, owner, window))
    whole = int(e.get("series_seq") or 0) > since or master.deleted
    touched = {f"{master.id}_{k}" for k, seq in (e.get("touched") or {}).items()
               if seq > since}
    for item_id, item in current.items():
        if whole or item_id in touched:
            rows.append(graph.shape(item, owner))
    gone: set[str] = set()
    if whole:
        versions = [h for h in e.get("history") or [] if h["replaced_seq"] > since]
        for earlier in ([e] if master.deleted else []) + versions:
            ghost = replace(master, resource={**e, "exceptions": {}, "cancelled": [],
                                              **earlier}, deleted=False)
            gone |= {i.id for i in instances(ghost, window)}
    gone |= {t for t in touched if t not in current}
    return rows + [_removed(item_id) for item_id in sorted(gone - set(current))]
