"""The model <-> Microsoft Graph's ``patternedRecurrence`` JSON (``{"pattern": ...,
"range": ...}``), and so Graph <-> RRULE. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from addin.sync.recurrence.exchange import from_rrule, to_rrule
from addin.sync.recurrence.model import (
    DAYS,
    GROUPS,
    INDEXES,
    LONGEST_MONTH,
    NO_DATE,
    PATTERNS,
    RANGES,
    Pattern,
    Range,
    Recurrence,
    UnsupportedRecurrence,
)


# -- model -> Graph ------------------------------------------------------------------------
def to_graph(recurrence: Recurrence) -> dict[str, Any]:
    """The model as Graph's patternedRecurrence (every field, unused ones zero)."""
    pattern, span = recurrence.pattern, recurrence.range
    return {"pattern": {"type": pattern.kind, "interval": pattern.interval,
                        "month": pattern.month, "dayOfMonth": pattern.day_of_month,
                        "daysOfWeek": list(pattern.days), "firstDayOfWeek": pattern.first_day,
                        "index": pattern.index},
            "range": {"type": span.kind, "startDate": span.start.isoformat(),
                      "endDate": span.end.isoformat() if span.end else NO_DATE,
                      "recurrenceTimeZone": span.time_zone,
                      "numberOfOccurrences": span.count}}


def rrule_to_graph(rule: str, start: datetime | date, time_zone: str = "UTC", *,
                   all_day: bool = False) -> dict[str, Any]:
    """An RRULE as Graph's patternedRecurrence for a series whose first candidate is
    ``start`` (aware, or a wall time in ``time_zone``; a date means that day's midnight,
    the right reading for all-day series); ``time_zone`` becomes ``recurrenceTimeZone``."""
    return to_graph(from_rrule(rule, start, time_zone, all_day=all_day))


# -- Graph -> model ------------------------------------------------------------------------
def from_graph(recurrence: Any) -> Recurrence:
    """Graph's ``{"pattern": ..., "range": ...}`` as the model, validated: a field that
    is missing or wrong raises UnsupportedRecurrence naming it (``pattern.dayOfMonth``)."""
    pattern, span = _sections(recurrence)
    return Recurrence(pattern_from_graph(pattern), range_from_graph(span))


def graph_to_rrule(recurrence: Mapping[str, Any], *, all_day: bool = False) -> str:
    """Graph's ``{"pattern": ..., "range": ...}`` as an RRULE (no prefix)."""
    return to_rrule(from_graph(recurrence), all_day=all_day)


def _sections(recurrence: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    if not isinstance(recurrence, Mapping):
        raise UnsupportedRecurrence("recurrence", "must be an object")
    pattern, span = recurrence.get("pattern"), recurrence.get("range")
    if not isinstance(pattern, Mapping):
        raise UnsupportedRecurrence("pattern", "is required")
    if not isinstance(span, Mapping):
        raise UnsupportedRecurrence("range", "is required")
    return pattern, span


def pattern_from_graph(pattern: Mapping[str, Any]) -> Pattern:
    kind = pattern.get("type")
    if kind not in PATTERNS:
        raise UnsupportedRecurrence("pattern.type", f"unknown pattern type {kind!r}")
    interval = _positive(pattern.get("interval", 1), "pattern.interval")
    return Pattern(str(kind), interval, **READERS[str(kind)](pattern))


def _positive(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UnsupportedRecurrence(field, "must be a positive integer")
    return value


def _weekly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    days = _days(pattern)
    first = str(pattern.get("firstDayOfWeek") or "sunday").lower()
    if first not in DAYS:
        raise UnsupportedRecurrence("pattern.firstDayOfWeek", f"unknown day {first!r}")
    return {"days": days, "first_day": first}


def _day_of_month(pattern: Mapping[str, Any]) -> int:
    day = pattern.get("dayOfMonth")
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
        raise UnsupportedRecurrence("pattern.dayOfMonth", "must be 1 to 31")
    return day


def _absolute_monthly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    return {"day_of_month": _day_of_month(pattern)}


def _absolute_yearly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    day = _day_of_month(pattern)
    month = _month(pattern)
    if day > LONGEST_MONTH.get(month, 31):
        raise UnsupportedRecurrence("pattern.dayOfMonth", f"month {month} has no day {day}")
    return {"day_of_month": day, "month": month}


def _relative_monthly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    days = _days(pattern)
    index = str(pattern.get("index") or "first").lower()
    if index not in INDEXES:
        raise UnsupportedRecurrence("pattern.index", f"unknown index {index!r}")
    if len(days) > 1 and frozenset(days) not in GROUPS:
        raise UnsupportedRecurrence("pattern.daysOfWeek", "a relative pattern takes one "
                                    "day, the weekdays, the weekend days or all days")
    return {"days": days, "index": index}


def _relative_yearly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    month = _month(pattern)
    return {**_relative_monthly(pattern), "month": month}


READERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "daily": lambda pattern: {}, "weekly": _weekly, "absoluteMonthly": _absolute_monthly,
    "absoluteYearly": _absolute_yearly, "relativeMonthly": _relative_monthly,
    "relativeYearly": _relative_yearly}


def _days(pattern: Mapping[str, Any]) -> tuple[str, ...]:
    days = pattern.get("daysOfWeek")
    if not isinstance(days, list) or not days:
        raise UnsupportedRecurrence("pattern.daysOfWeek", "at least one day is required")
    names = [str(d).lower() for d in days]
    if any(d not in DAYS for d in names):
        raise UnsupportedRecurrence("pattern.daysOfWeek", f"unknown day in {days}")
    return tuple(d for d in DAYS if d in names)


def _month(pattern: Mapping[str, Any]) -> int:
    month = pattern.get("month")
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise UnsupportedRecurrence("pattern.month", "must be 1 to 12")
    return month


def range_from_graph(span: Mapping[str, Any]) -> Range:
    kind = span.get("type")
    if kind not in RANGES:
        raise UnsupportedRecurrence("range.type", f"unknown range type {kind!r}")
    start = _date(span.get("startDate"), "range.startDate")
    zone = str(span.get("recurrenceTimeZone") or "UTC")
    if kind == "numbered":
        count = _positive(span.get("numberOfOccurrences"), "range.numberOfOccurrences")
        return Range("numbered", start, count=count, time_zone=zone)
    if kind == "noEnd":
        return Range("noEnd", start, time_zone=zone)
    last = _date(span.get("endDate"), "range.endDate")
    if last < start:
        raise UnsupportedRecurrence("range.endDate", "is before range.startDate")
    return Range("endDate", start, end=last, time_zone=zone)


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UnsupportedRecurrence(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
