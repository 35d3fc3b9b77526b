"""What Google Calendar's events.list and events.instances do beyond a plain listing:
recurrence rules (validated with python-dateutil, expanded into instances for
``singleEvents=true`` and ``events.instances``), ``orderBy`` (``startTime`` only with
``singleEvents``), free-text ``q``, ``updatedMin`` and ``timeZone`` (times answered as
RFC 3339 with that zone's offset)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from addin.sandbox.google.resources import invalid, parse_rfc3339, when

HORIZON = timedelta(days=730)  # how far ahead an open-ended series is expanded
MAX_INSTANCES = 2500
RULE_PREFIXES = ("RRULE:", "EXRULE:", "RDATE", "EXDATE")


def _start(event: dict[str, Any]) -> tuple[str, datetime]:
    """The series' first start; a timed one in the event's own zone (a fixed offset would
    drift by an hour across a daylight-saving change)."""
    kind, value = when(event["start"], "start")
    if kind == "date":
        return kind, datetime.combine(value, datetime.min.time())
    zone = event["start"].get("timeZone")
    if zone:
        try:
            return kind, value.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("Invalid time zone definition for start.") from None
    return kind, value


def check_recurrence(event: dict[str, Any]) -> None:
    """A recurrence Google would refuse is a 400 (invalid), never stored."""
    lines = event.get("recurrence")
    if lines is None:
        return
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise invalid("Invalid value for: recurrence")
    if not lines:
        return
    if not any(line.upper().startswith("RRULE:") for line in lines) or any(
            not line.upper().startswith(RULE_PREFIXES) for line in lines):
        raise invalid("Invalid recurrence rule.")
    try:
        _rules(event)
    except (ValueError, TypeError):
        raise invalid("Invalid recurrence rule.") from None


def _rules(event: dict[str, Any]) -> Any:
    kind, start = _start(event)
    lines = [_until(line, kind, start) if line.upper().startswith("RRULE:") else line
             for line in event["recurrence"]]
    return rrulestr("\n".join(lines), dtstart=start, forceset=True, unfold=True)


def _until(rule: str, kind: str, start: datetime) -> str:
    """UNTIL in the form python-dateutil pairs with the start: for a timed event a date
    means the end of that day in the event's zone (as UTC); for an all-day event a UTC
    date-time is read as that date."""
    def fix(match: re.Match[str]) -> str:
        value = match.group(2)
        if kind == "dateTime" and len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d")
            end = datetime.combine(day.date(), time(23, 59, 59), tzinfo=start.tzinfo)
            return match.group(1) + end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if kind == "date" and value.endswith("Z"):
            return match.group(1) + value[:8]
        return match.group(0)
    return re.sub(r"(UNTIL=)(\d{8}(?:T\d{6}Z?)?)", fix, rule, flags=re.IGNORECASE)


def instances(event: dict[str, Any], time_min: datetime | None, time_max: datetime | None
              ) -> list[dict[str, Any]]:
    """The occurrences of a recurring event inside [time_min, time_max) (open-ended series
    up to two years ahead), as Google shapes them: id ``{id}_{start}``,
    ``recurringEventId``, ``originalStartTime``, no ``recurrence``."""
    if not event.get("recurrence"):
        return [event]
    kind, first = _start(event)
    _kind, end = when(event["end"], "end")
    length = (datetime.combine(end, datetime.min.time()) if kind == "date" else end) - first
    last = time_max or datetime.now(UTC) + HORIZON
    rules = _rules(event)
    found: list[dict[str, Any]] = []
    for moment in rules:
        instant = moment.replace(tzinfo=UTC) if kind == "date" else moment
        if instant >= last or len(found) >= MAX_INSTANCES:
            break
        if time_min is not None and instant + length <= time_min:
            continue
        found.append(_occurrence(event, kind, moment, length))
    return found


def _occurrence(event: dict[str, Any], kind: str, moment: datetime, length: timedelta
                ) -> dict[str, Any]:
    out = {k: v for k, v in event.items() if k != "recurrence"}
    zone = event["start"].get("timeZone")
    if kind == "date":
        day = moment.date()
        stamp = day.strftime("%Y%m%d")
        out["start"] = {"date": day.isoformat()}
        out["end"] = {"date": (day + length).isoformat()}
    else:
        stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        def text(instant: datetime) -> str:
            if zone:
                return instant.isoformat()
            return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out["start"] = {"dateTime": text(moment), **({"timeZone": zone} if zone else {})}
        out["end"] = {"dateTime": text(moment + length),
                      **({"timeZone": zone} if zone else {})}
    out["id"] = f"{event['id']}_{stamp}"
    out["recurringEventId"] = event["id"]
    out["originalStartTime"] = dict(out["start"])
    return out


def matches_text(event: dict[str, Any], q: str) -> bool:
    """``q``: every word appears in the summary, description, location or a guest."""
    texts = [str(event.get(k) or "") for k in ("summary", "description", "location")]
    texts += [f"{a.get('email', '')} {a.get('displayName', '')}"
              for a in event.get("attendees") or []]
    haystack = " ".join(texts).lower()
    return all(word in haystack for word in q.lower().split())


def order_key(order_by: str | None, single_events: bool) -> Any:
    """The sort key for ``orderBy``; None keeps the store's order."""
    if order_by is None:
        return None
    if order_by == "startTime":
        if not single_events:
            raise invalid("The requested ordering is not available for the particular "
                          "query.")
        return lambda e: _sortable(e)
    if order_by == "updated":
        return lambda e: str(e.get("updated") or "")
    raise invalid(f"Invalid value for: orderBy ({order_by})")


def _sortable(event: dict[str, Any]) -> datetime:
    if event.get("status") == "cancelled" or "start" not in event:
        return datetime.max.replace(tzinfo=UTC)
    kind, value = when(event["start"], "start")
    if kind == "date":
        return datetime.combine(value, datetime.min.time(), tzinfo=UTC)
    return value


def updated_since(event: dict[str, Any], updated_min: datetime | None) -> bool:
    if updated_min is None:
        return True
    stamp = event.get("updated")
    return stamp is None or parse_rfc3339(stamp, "updated") >= updated_min


def in_zone(event: dict[str, Any], zone_name: str | None) -> dict[str, Any]:
    """Timed start/end as RFC 3339 with an offset: in ``zone_name`` (the request's
    ``timeZone``) if given, else in the event's own time zone, else UTC (``Z``)."""
    if event.get("status") == "cancelled" or "start" not in event:
        return event
    out = dict(event)
    for key in ("start", "end", "originalStartTime"):
        value = event.get(key)
        if not isinstance(value, dict) or not value.get("dateTime"):
            continue
        _kind, moment = when(value, key)
        name = zone_name or value.get("timeZone")
        try:
            zone = ZoneInfo(name) if name else UTC
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(f"Invalid value for: timeZone ({name})") from None
        local = moment.astimezone(zone)
        text = local.isoformat(timespec="seconds")
        out[key] = {**value, "dateTime": text[:-6] + "Z" if zone is UTC else text}
    return out
