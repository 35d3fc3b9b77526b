"""Instances of recurring events as Google Calendar keeps them: an instance has the id
``{recurringEventId}_{original start}`` (``20261211T150000Z`` for timed events, ``20261211``
for all-day ones), ``recurringEventId`` and ``originalStartTime``. Writing to an instance
id makes an exception, stored as an event of its own under that id; deleting one stores
it as a cancelled instance (``status: "cancelled"``), which is how lists and sync tokens
report it. Expansion itself is in queries.py (python-dateutil)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from addin.sandbox.google.queries import instances
from addin.sandbox.google.resources import in_window, when

INSTANCE_ID = re.compile(r"^(?P<master>[a-v0-9]{5,1024})_(?P<stamp>\d{8}(?:T\d{6}Z)?)$")


def split_instance_id(event_id: str) -> tuple[str, str] | None:
    match = INSTANCE_ID.match(event_id)
    return (match.group("master"), match.group("stamp")) if match else None


def _moment(stamp: str) -> datetime:
    if "T" in stamp:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(stamp, "%Y%m%d").replace(tzinfo=UTC)


def find_instance(master: dict[str, Any], event_id: str) -> dict[str, Any] | None:
    """The instance ``event_id`` of the recurring event ``master``, if its rules make it."""
    parts = split_instance_id(event_id)
    if parts is None or parts[0] != master.get("id") or not master.get("recurrence"):
        return None
    moment = _moment(parts[1])
    for row in instances(master, moment, moment + timedelta(seconds=1)):
        if row["id"] == event_id:
            return row
    return None


def is_exception(resource: dict[str, Any]) -> bool:
    return bool(resource.get("recurringEventId"))


def is_cancelled(resource: dict[str, Any]) -> bool:
    return resource.get("status") == "cancelled"


def cancelled_view(base: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """What Google shows of a cancelled instance: its id, the series, the original start."""
    return {**base, "status": "cancelled", "recurringEventId": resource["recurringEventId"],
            "originalStartTime": resource["originalStartTime"]}


def expand(master: dict[str, Any], exceptions: list[dict[str, Any]],
           time_min: datetime | None, time_max: datetime | None, show_cancelled: bool
           ) -> list[dict[str, Any]]:
    """The instances of ``master`` in the window, each exception in place of the instance
    it changed (found by its own, possibly moved, times), cancelled ones only when asked."""
    taken = {e["id"] for e in exceptions}
    rows = [row for row in instances(master, time_min, time_max) if row["id"] not in taken]
    for exception in exceptions:
        if is_cancelled(exception) and not show_cancelled:
            continue
        if in_window(exception, time_min, time_max):
            rows.append(exception)
    return sorted(rows, key=_start_of)


def _start_of(event: dict[str, Any]) -> datetime:
    kind, value = when(event["start"], "start")
    if kind == "date":
        return datetime.combine(value, datetime.min.time(), tzinfo=UTC)
    return value


def mail_context(resource: dict[str, Any]) -> dict[str, Any]:
    """What the mail log records about the event an email is for: a whole series, one
    instance of it, or a single event."""
    if resource.get("recurrence"):
        return {"eventId": resource.get("id"), "series": True}
    if resource.get("recurringEventId"):
        return {"eventId": resource.get("id"), "series": False,
                "recurringEventId": resource["recurringEventId"]}
    return {"eventId": resource.get("id")}


SERIES_FIELDS = ("summary", "description", "location", "attendees", "colorId",
                 "transparency", "visibility", "reminders", "extendedProperties")


def series_edit_for(exception: dict[str, Any], before: dict[str, Any],
                    after: dict[str, Any]) -> dict[str, Any] | None:
    """The exception after an edit of its series: each series field the edit changed
    reaches it where it still held the series' old value (a field it overrode stays).
    None when nothing reaches it."""
    changed = {k for k in SERIES_FIELDS if before.get(k) != after.get(k)}
    updates = {k: after.get(k) for k in changed if exception.get(k) == before.get(k)}
    if not updates:
        return None
    out = {**exception, **updates}
    return {k: v for k, v in out.items() if v is not None}
