"""Graph's ``patternedRecurrence`` as Exchange expands it (with python-dateutil's rrule):
patterns daily / weekly / absoluteMonthly / relativeMonthly / absoluteYearly /
relativeYearly, ranges endDate / noEnd / numbered, in ``recurrenceTimeZone`` (by default the
event's start zone) so occurrences keep their wall-clock time across DST changes.

Exchange's rules kept here: a ``dayOfMonth`` past a month's end falls on its last day; a
relative pattern's ``daysOfWeek`` is one day, the weekdays, the weekend days or all days
(the first / second / ... / last of them in the month); the first occurrence is the first
date on or after ``range.startDate`` that fits the pattern; ``range.endDate`` is the last
date (in the recurrence zone) an occurrence may fall on. A bad pattern is 400
ErrorPropertyValidationFailure naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday

from addin.sandbox.graph.resources import GraphError, zone

Frequency = Literal[0, 1, 2, 3, 4, 5, 6]
FREQUENCIES: dict[str, Frequency] = {
    "daily": DAILY, "weekly": WEEKLY, "absoluteMonthly": MONTHLY, "relativeMonthly": MONTHLY,
    "absoluteYearly": YEARLY, "relativeYearly": YEARLY}
DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
        "saturday": 5, "sunday": 6}
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
GROUPS = ({"monday", "tuesday", "wednesday", "thursday", "friday"}, {"saturday", "sunday"},
          set(DAYS))
RANGES = ("endDate", "noEnd", "numbered")
MAX_INTERVAL = 999
MAX_OCCURRENCES = 999  # Exchange's cap on a numbered range
MAX_EXPANDED = 1000  # the most occurrences one read expands


def _invalid(message: str) -> GraphError:
    return GraphError(400, "ErrorPropertyValidationFailure", message)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _invalid(f"recurrence.{field} must be a number from {low} to {high}.")
    return value


def check(recurrence: Any, start_utc: datetime, start_zone: str) -> None:
    if recurrence is not None:
        rule(recurrence, start_utc, start_zone)


def zone_name(recurrence: dict[str, Any], start_zone: str) -> str:
    return str((recurrence.get("range") or {}).get("recurrenceTimeZone") or start_zone)


def rule(recurrence: Any, start_utc: datetime, start_zone: str) -> rrule:
    """The series' dateutil rule: candidates at the start's wall-clock time in the
    recurrence zone, from ``range.startDate``."""
    if not isinstance(recurrence, dict) or not isinstance(recurrence.get("pattern"), dict) \
            or not isinstance(recurrence.get("range"), dict):
        raise _invalid("recurrence needs a pattern and a range.")
    pattern, span = recurrence["pattern"], recurrence["range"]
    kind = str(pattern.get("type"))
    frequency = FREQUENCIES.get(kind)
    if frequency is None:
        raise _invalid(f"Unsupported recurrence pattern type: {pattern.get('type')}")
    local_zone = zone(zone_name(recurrence, start_zone))
    try:
        first = date.fromisoformat(str(span.get("startDate")))
    except ValueError:
        raise _invalid("recurrence.range.startDate is not a date.") from None
    wall = start_utc.astimezone(local_zone)
    options: dict[str, Any] = {
        "dtstart": datetime.combine(first, wall.time().replace(tzinfo=None),
                                    tzinfo=local_zone),
        "interval": _int(pattern.get("interval", 1), "pattern.interval", 1, MAX_INTERVAL)}
    if kind == "weekly":
        options["byweekday"] = [weekday(DAYS[d]) for d in _days(pattern)]
        options["wkst"] = DAYS.get(str(pattern.get("firstDayOfWeek") or "sunday").lower())
        if options["wkst"] is None:
            raise _invalid("recurrence.pattern.firstDayOfWeek is not a day of the week.")
    if kind.endswith("Yearly"):
        options["bymonth"] = _int(pattern.get("month"), "pattern.month", 1, 12)
    if kind.startswith("absolute") and kind != "daily":
        day = _int(pattern.get("dayOfMonth"), "pattern.dayOfMonth", 1, 31)
        # past the month's end: its last day (one of 28..day, the latest that exists)
        options["bymonthday"] = list(range(min(day, 28), day + 1))
        options["bysetpos"] = -1
    if kind.startswith("relative"):
        days = _days(pattern)
        index = INDEX.get(str(pattern.get("index") or "first").lower())
        if index is None:
            raise _invalid("recurrence.pattern.index must be first, second, third, fourth "
                           "or last.")
        if len(days) > 1 and set(days) not in GROUPS:
            raise _invalid("recurrence.pattern.daysOfWeek of a relative pattern must be one "
                           "day, the weekdays, the weekend days or every day.")
        options["byweekday"] = [weekday(DAYS[d]) for d in days]
        options["bysetpos"] = index
    options.update(_range(span, options["dtstart"], local_zone))
    return rrule(frequency, **options)


def _days(pattern: dict[str, Any]) -> list[str]:
    days = pattern.get("daysOfWeek") or []
    if not isinstance(days, list) or not days or \
            any(str(d).lower() not in DAYS for d in days):
        raise _invalid("recurrence.pattern.daysOfWeek must name days of the week.")
    return [str(d).lower() for d in days]


def _range(span: dict[str, Any], dtstart: datetime, local_zone: Any) -> dict[str, Any]:
    kind = span.get("type")
    if kind not in RANGES:
        raise _invalid(f"Unsupported recurrence range type: {kind}")
    if kind == "numbered":
        return {"count": _int(span.get("numberOfOccurrences"),
                              "range.numberOfOccurrences", 1, MAX_OCCURRENCES)}
    if kind == "noEnd":
        return {}
    try:
        last = date.fromisoformat(str(span.get("endDate")))
    except ValueError:
        raise _invalid("recurrence.range.endDate is not a date.") from None
    if last < dtstart.date():
        raise _invalid("recurrence.range.endDate is before range.startDate.")
    return {"until": datetime.combine(last, time(23, 59, 59), tzinfo=local_zone)}


def key(original_start: datetime) -> str:
    """An occurrence's key: its original start in UTC, as in its id."""
    return original_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def starts(resource: dict[str, Any], until: datetime | None = None,
           limit: int = MAX_EXPANDED) -> list[datetime]:
    """Original starts (UTC) of the series, before ``until`` when given."""
    found: list[datetime] = []
    for moment in rule(resource["recurrence"], datetime.fromisoformat(resource["start_utc"]),
                       resource["start_zone"]):
        instant = moment.astimezone(UTC)
        if (until is not None and instant >= until) or len(found) >= limit:
            break
        found.append(instant)
    return found


def length(resource: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(resource["end_utc"]) - \
        datetime.fromisoformat(resource["start_utc"])
