"""Recurring Graph events: a ``patternedRecurrence`` (pattern daily / weekly /
absoluteMonthly / absoluteYearly with an interval, range endDate / noEnd / numbered) makes
the event a ``seriesMaster``; ``/events/{id}/instances`` lists its occurrences within the
window asked, each ``type: occurrence`` with ``seriesMasterId`` (expanded with
python-dateutil's rrule). A bad pattern is 400 ErrorPropertyValidationFailure."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday

from addin.sandbox.graph.resources import GraphError

Frequency = Literal[0, 1, 2, 3, 4, 5, 6]
FREQUENCIES: dict[str, Frequency] = {"daily": DAILY, "weekly": WEEKLY, "absoluteMonthly": MONTHLY,
               "absoluteYearly": YEARLY}
DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
        "saturday": 5, "sunday": 6}
MAX_OCCURRENCES = 1000


def _invalid(message: str) -> GraphError:
    return GraphError(400, "ErrorPropertyValidationFailure", message)


def check(recurrence: Any, start: datetime) -> None:
    if recurrence is None:
        return
    rule(recurrence, start)


def rule(recurrence: Any, start: datetime) -> rrule:
    """The dateutil rule of a patternedRecurrence starting at ``start`` (UTC)."""
    if not isinstance(recurrence, dict) or not isinstance(recurrence.get("pattern"), dict) \
            or not isinstance(recurrence.get("range"), dict):
        raise _invalid("recurrence needs a pattern and a range.")
    pattern, span = recurrence["pattern"], recurrence["range"]
    frequency = FREQUENCIES.get(str(pattern.get("type")))
    if frequency is None:
        raise _invalid(f"Unsupported recurrence pattern type: {pattern.get('type')}")
    interval = pattern.get("interval", 1)
    if not isinstance(interval, int) or interval < 1:
        raise _invalid("recurrence.pattern.interval must be a positive number.")
    options: dict[str, Any] = {"dtstart": start, "interval": interval}
    if frequency == WEEKLY:
        days = pattern.get("daysOfWeek") or []
        if not days or any(d not in DAYS for d in days):
            raise _invalid("A weekly pattern needs daysOfWeek.")
        options["byweekday"] = [weekday(DAYS[d]) for d in days]
    kind = span.get("type")
    if kind == "numbered":
        count = span.get("numberOfOccurrences")
        if not isinstance(count, int) or count < 1:
            raise _invalid("range.numberOfOccurrences must be a positive number.")
        options["count"] = count
    elif kind == "endDate":
        try:
            last = date.fromisoformat(str(span.get("endDate")))
        except ValueError:
            raise _invalid("range.endDate is not a date.") from None
        options["until"] = datetime.combine(last + timedelta(days=1), datetime.min.time(),
                                            tzinfo=start.tzinfo) - timedelta(seconds=1)
        if last < start.date():
            raise _invalid("range.endDate is before the start.")
    elif kind != "noEnd":
        raise _invalid(f"Unsupported recurrence range type: {kind}")
    return rrule(frequency, **options)


def occurrences(resource: dict[str, Any], window: tuple[datetime, datetime]
                ) -> list[tuple[str, datetime, datetime]]:
    """(occurrence id suffix, start, end) of a series within the window."""
    start = datetime.fromisoformat(resource["start_utc"])
    length = datetime.fromisoformat(resource["end_utc"]) - start
    found: list[tuple[str, datetime, datetime]] = []
    for moment in rule(resource["recurrence"], start):
        if moment >= window[1] or len(found) >= MAX_OCCURRENCES:
            break
        if moment + length > window[0]:
            found.append((moment.strftime("%Y%m%dT%H%M%SZ"), moment, moment + length))
    return found
