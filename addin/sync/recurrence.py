"""Recurrence rules between the product (RFC 5545 RRULE) and the calendars: Microsoft
Graph's ``patternedRecurrence`` JSON and EWS's ``Recurrence`` element (the same model under
other names). Pure functions, no I/O; python-dateutil parses, validates and expands.

Exchange's semantics that a literal RRULE translation would miss, and how they map:

- ``dayOfMonth`` beyond a month's last day means the month's last day (Exchange's
  documented rule), so ``absoluteMonthly`` on the 31st is ``BYMONTHDAY=-1`` and on the
  29th / 30th is ``BYMONTHDAY=28,29,30;BYSETPOS=-1``; ``absoluteYearly`` on 29 February
  is ``BYMONTH=2;BYMONTHDAY=-1``. An RRULE that skips short months (``BYMONTHDAY=31``, or a
  monthly rule starting on the 29th-31st) has no Exchange equivalent and is refused.
- Relative patterns (``index`` first..fourth / last) take one weekday, or the weekday,
  weekend-day or any-day groups (``BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1``).
- ``range.endDate`` is a date in ``recurrenceTimeZone``: it becomes ``UNTIL`` at the end of
  that day in that zone, in UTC (a DATE for all-day series), and back.
- The first occurrence is the first date on or after the start matching the pattern
  (Graph and dateutil agree; RFC 5545's "DTSTART is always an instance" is not followed).

A rule a provider cannot represent raises :class:`UnsupportedRecurrence` (a ValueError)
naming the part at fault.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from tzlocal.windows_tz import win_tz

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
WEEKDAYS = frozenset(DAYS[:5])
WEEKEND = frozenset(DAYS[5:])
GROUPS = (WEEKDAYS, WEEKEND, frozenset(DAYS))  # what a relative pattern may name at once
PATTERNS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly",
            "relativeYearly")
RANGES = ("endDate", "noEnd", "numbered")
SUPPORTED_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH",
                   "BYSETPOS", "WKST"}
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
LONGEST_MONTH = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}  # others: 31


class UnsupportedRecurrence(ValueError):
    """A rule that is malformed or that the provider cannot represent; ``part`` names the
    RRULE part or the JSON field at fault (``BYSETPOS``, ``pattern.dayOfMonth``, ...)."""

    def __init__(self, part: str, message: str):
        super().__init__(f"{part}: {message}")
        self.part = part


# -- RRULE text -------------------------------------------------------------------------
def normalize_rrule(text: str) -> str:
    """The rule without its ``RRULE:`` prefix, parts upper-cased, in a stable order.
    Raises UnsupportedRecurrence for a malformed rule or one dateutil refuses."""
    parts = parse_rrule(text)
    return _join(parts)


def parse_rrule(text: str) -> dict[str, str]:
    """RRULE parts by name (``{"FREQ": "WEEKLY", "BYDAY": "MO,WE"}``), validated by
    dateutil. Accepts the rule with or without the ``RRULE:`` prefix."""
    if not isinstance(text, str) or not text.strip():
        raise UnsupportedRecurrence("RRULE", "the rule is empty")
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):]
    if "\n" in body or ":" in body:
        raise UnsupportedRecurrence("RRULE", "only one RRULE is accepted (no DTSTART, "
                                    "EXDATE or RDATE lines)")
    parts: dict[str, str] = {}
    for chunk in body.strip(";").split(";"):
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not name or not value.strip():
            raise UnsupportedRecurrence("RRULE", f"'{chunk}' is not NAME=VALUE")
        if name in parts:
            raise UnsupportedRecurrence(name, "given twice")
        parts[name] = value.strip().upper()
    if "FREQ" not in parts:
        raise UnsupportedRecurrence("FREQ", "the rule has no FREQ")
    if "COUNT" in parts and "UNTIL" in parts:
        raise UnsupportedRecurrence("UNTIL", "COUNT and UNTIL cannot both be given")
    for name in ("INTERVAL", "COUNT"):
        if name in parts and (not parts[name].isdigit() or int(parts[name]) < 1):
            raise UnsupportedRecurrence(name, "must be a positive integer")
    try:
        rrulestr("RRULE:" + _join({k: v for k, v in parts.items() if k != "UNTIL"}),
                 dtstart=datetime(2000, 1, 1))
        if "UNTIL" in parts:
            _parse_until(parts["UNTIL"])
    except (ValueError, TypeError) as exc:
        raise UnsupportedRecurrence("RRULE", f"not a valid RFC 5545 rule ({exc})") from None
    return parts


def _join(parts: Mapping[str, str]) -> str:
    order = ["FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST",
             "COUNT", "UNTIL"]
    known = [k for k in order if k in parts] + sorted(k for k in parts if k not in order)
    return ";".join(f"{k}={parts[k]}" for k in known)


def _parse_until(value: str) -> datetime | date:
    text = value.strip().upper()
    try:
        if len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date()
        if text.endswith("Z"):
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError:
        raise UnsupportedRecurrence("UNTIL", f"'{value}' is not a DATE or DATE-TIME") from None


def zone_of(name: str) -> tzinfo:
    """An IANA or Windows time zone name as a tzinfo."""
    iana = "UTC" if name in ("UTC", "tzone://Microsoft/Utc") else win_tz.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnsupportedRecurrence("recurrenceTimeZone",
                                    f"unknown time zone '{name}'") from None


def to_dateutil(rule: str, start: datetime, time_zone: str = "UTC") -> rrule:
    """The dateutil rule of ``rule`` whose first candidate is ``start`` (aware, or a wall
    time in ``time_zone``); occurrences keep their wall-clock time across DST changes."""
    parts = parse_rrule(rule)
    zone = zone_of(time_zone)
    local = start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)
    until = parts.pop("UNTIL", None)
    base = rrulestr("RRULE:" + _join(parts), dtstart=local)
    assert isinstance(base, rrule)
    if until is None:
        return base
    return base.replace(until=_until_instant(_parse_until(until), zone))


def _until_instant(until: datetime | date, zone: tzinfo) -> datetime:
    if isinstance(until, datetime):
        return until if until.tzinfo else until.replace(tzinfo=zone)
    return datetime.combine(until, time(23, 59, 59), tzinfo=zone)


def expand(rule: str, start: datetime, time_zone: str = "UTC", *,
           window: tuple[datetime, datetime] | None = None, limit: int = 1000
           ) -> list[datetime]:
    """Occurrence starts of ``rule`` (at most ``limit``), those starting within
    ``window`` [start, end) when one is given: the sync window bounds an endless series."""
    found: list[datetime] = []
    for moment in to_dateutil(rule, start, time_zone):
        if window is not None and moment >= window[1]:
            break
        if window is None or moment >= window[0]:
            found.append(moment)
        if len(found) >= limit:
            break
    return found


# -- Graph patternedRecurrence -> RRULE -----------------------------------------------------
def graph_to_rrule(recurrence: Mapping[str, Any], *, all_day: bool = False) -> str:
    """Graph's ``{"pattern": ..., "range": ...}`` as an RRULE (no prefix)."""
    pattern, span = _sections(recurrence)
    kind = pattern.get("type")
    if kind not in PATTERNS:
        raise UnsupportedRecurrence("pattern.type", f"unknown pattern type {kind!r}")
    parts: dict[str, str] = {"FREQ": {"daily": "DAILY", "weekly": "WEEKLY"}.get(
        str(kind), "MONTHLY" if "Monthly" in str(kind) else "YEARLY")}
    interval = pattern.get("interval", 1)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise UnsupportedRecurrence("pattern.interval", "must be a positive integer")
    if interval > 1:
        parts["INTERVAL"] = str(interval)
    if kind == "weekly":
        days = _days(pattern, "pattern.daysOfWeek")
        parts["BYDAY"] = ",".join(CODES[DAYS.index(d)] for d in DAYS if d in days)
        first = str(pattern.get("firstDayOfWeek") or "sunday").lower()
        if first not in DAYS:
            raise UnsupportedRecurrence("pattern.firstDayOfWeek", f"unknown day {first!r}")
        parts["WKST"] = CODES[DAYS.index(first)]
    elif kind in ("absoluteMonthly", "absoluteYearly"):
        day = pattern.get("dayOfMonth")
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
            raise UnsupportedRecurrence("pattern.dayOfMonth", "must be 1 to 31")
        if kind == "absoluteYearly":
            month = _month(pattern)
            parts["BYMONTH"] = str(month)
            if day > LONGEST_MONTH.get(month, 31):
                raise UnsupportedRecurrence("pattern.dayOfMonth",
                                            f"month {month} has no day {day}")
            parts["BYMONTHDAY"] = "-1" if (month, day) == (2, 29) else str(day)
        elif day == 31:
            parts["BYMONTHDAY"] = "-1"
        elif day > 28:
            parts["BYMONTHDAY"] = ",".join(str(d) for d in range(28, day + 1))
            parts["BYSETPOS"] = "-1"
        else:
            parts["BYMONTHDAY"] = str(day)
    elif kind in ("relativeMonthly", "relativeYearly"):
        if kind == "relativeYearly":
            parts["BYMONTH"] = str(_month(pattern))
        days = _days(pattern, "pattern.daysOfWeek")
        index = str(pattern.get("index") or "first").lower()
        if index not in INDEXES:
            raise UnsupportedRecurrence("pattern.index", f"unknown index {index!r}")
        if len(days) == 1:
            parts["BYDAY"] = f"{INDEXES[index]}{CODES[DAYS.index(days[0])]}"
        elif frozenset(days) in GROUPS:
            parts["BYDAY"] = ",".join(CODES[DAYS.index(d)] for d in DAYS if d in days)
            parts["BYSETPOS"] = str(INDEXES[index])
        else:
            raise UnsupportedRecurrence("pattern.daysOfWeek", "a relative pattern takes one "
                                        "day, the weekdays, the weekend days or all days")
    parts.update(_range_to_rrule(span, all_day))
    return _join(parts)


def _sections(recurrence: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    if not isinstance(recurrence, Mapping):
        raise UnsupportedRecurrence("recurrence", "must be an object")
    pattern, span = recurrence.get("pattern"), recurrence.get("range")
    if not isinstance(pattern, Mapping):
        raise UnsupportedRecurrence("pattern", "is required")
    if not isinstance(span, Mapping):
        raise UnsupportedRecurrence("range", "is required")
    return pattern, span


def _days(pattern: Mapping[str, Any], field: str) -> list[str]:
    days = pattern.get("daysOfWeek")
    if not isinstance(days, list) or not days:
        raise UnsupportedRecurrence(field, "at least one day is required")
    names = [str(d).lower() for d in days]
    if any(d not in DAYS for d in names):
        raise UnsupportedRecurrence(field, f"unknown day in {days}")
    return [d for d in DAYS if d in names]


def _month(pattern: Mapping[str, Any]) -> int:
    month = pattern.get("month")
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise UnsupportedRecurrence("pattern.month", "must be 1 to 12")
    return month


def _range_to_rrule(span: Mapping[str, Any], all_day: bool) -> dict[str, str]:
    kind = span.get("type")
    if kind not in RANGES:
        raise UnsupportedRecurrence("range.type", f"unknown range type {kind!r}")
    start = _date(span.get("startDate"), "range.startDate")
    if kind == "numbered":
        count = span.get("numberOfOccurrences")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise UnsupportedRecurrence("range.numberOfOccurrences",
                                        "must be a positive integer")
        return {"COUNT": str(count)}
    if kind == "noEnd":
        return {}
    last = _date(span.get("endDate"), "range.endDate")
    if last < start:
        raise UnsupportedRecurrence("range.endDate", "is before range.startDate")
    if all_day:
        return {"UNTIL": last.strftime("%Y%m%d")}
    zone = zone_of(str(span.get("recurrenceTimeZone") or "UTC"))
    end_of_day = datetime.combine(last, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    return {"UNTIL": end_of_day.strftime("%Y%m%dT%H%M%SZ")}


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UnsupportedRecurrence(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


# -- RRULE -> Graph patternedRecurrence -----------------------------------------------------
def rrule_to_graph(rule: str, start: datetime | date, time_zone: str = "UTC", *,
                   all_day: bool = False) -> dict[str, Any]:
    """An RRULE as Graph's patternedRecurrence for a series whose first candidate is
    ``start`` (aware, or a wall time in ``time_zone``; a date means that day's midnight,
    the right reading for all-day series); ``time_zone`` becomes ``recurrenceTimeZone``."""
    parts = parse_rrule(rule)
    zone = zone_of(time_zone)
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0))
    local = start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)
    pattern = _pattern(parts, local)
    span: dict[str, Any] = {"type": "noEnd", "startDate": local.date().isoformat(),
                            "endDate": "0001-01-01", "recurrenceTimeZone": time_zone,
                            "numberOfOccurrences": 0}
    if "COUNT" in parts:
        span.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        last = _last_date(_parse_until(parts["UNTIL"]), local, zone, all_day)
        if last < local.date():
            raise UnsupportedRecurrence("UNTIL", "is before the series starts")
        span.update(type="endDate", endDate=last.isoformat())
    return {"pattern": pattern, "range": span}


def _last_date(until: datetime | date, local: datetime, zone: tzinfo, all_day: bool) -> date:
    if not isinstance(until, datetime):
        return until
    moment = until.astimezone(zone) if until.tzinfo else until.replace(tzinfo=zone)
    if all_day or moment.time().replace(tzinfo=None) >= local.time().replace(tzinfo=None):
        return moment.date()
    return moment.date() - timedelta(days=1)


def _pattern(parts: Mapping[str, str], local: datetime) -> dict[str, Any]:
    unsupported = sorted(set(parts) - SUPPORTED_PARTS)
    if unsupported:
        raise UnsupportedRecurrence(unsupported[0], "Exchange has no equivalent")
    freq = parts["FREQ"]
    if freq not in FREQUENCIES:
        raise UnsupportedRecurrence("FREQ", f"{freq} has no Exchange equivalent (daily, "
                                    "weekly, monthly or yearly only)")
    interval = int(parts.get("INTERVAL", "1"))
    pattern: dict[str, Any] = {"type": "", "interval": interval, "month": 0,
                               "dayOfMonth": 0, "daysOfWeek": [],
                               "firstDayOfWeek": _first_day(parts), "index": "first"}
    by_day = _by_day(parts.get("BYDAY"))
    month_days = [int(d) for d in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in \
        parts else []
    months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    positions = [int(p) for p in parts["BYSETPOS"].split(",")] if "BYSETPOS" in parts else []
    if freq in ("DAILY", "WEEKLY"):
        for name, given in (("BYMONTHDAY", month_days), ("BYMONTH", months),
                            ("BYSETPOS", positions)):
            if given:
                raise UnsupportedRecurrence(name, f"a {freq.lower()} rule cannot have it")
        if any(n is not None for n, _ in by_day):
            raise UnsupportedRecurrence("BYDAY", "ordinal days need FREQ=MONTHLY or YEARLY")
        if freq == "DAILY" and not by_day:
            pattern["type"] = "daily"
            return pattern
        if freq == "DAILY" and interval > 1:
            raise UnsupportedRecurrence("BYDAY", "FREQ=DAILY with INTERVAL and BYDAY has no "
                                        "Exchange equivalent")
        days = [d for _, d in by_day] or [DAYS[local.weekday()]]
        pattern.update(type="weekly", daysOfWeek=[d for d in DAYS if d in days])
        return pattern
    if len(months) > 1:
        raise UnsupportedRecurrence("BYMONTH", "Exchange repeats in one month a year")
    if freq == "MONTHLY" and months:
        raise UnsupportedRecurrence("BYMONTH", "a monthly rule cannot have it")
    month = months[0] if months else local.month
    yearly = freq == "YEARLY"
    if by_day and month_days:
        raise UnsupportedRecurrence("BYDAY", "BYDAY with BYMONTHDAY has no Exchange "
                                    "equivalent")
    if by_day:
        pattern.update(_relative(by_day, positions))
        pattern["type"] = "relativeYearly" if yearly else "relativeMonthly"
        if yearly:
            pattern["month"] = month
        return pattern
    day = _absolute_day(month_days or [local.day], positions, month if yearly else None)
    pattern.update(type="absoluteYearly" if yearly else "absoluteMonthly", dayOfMonth=day)
    if yearly:
        pattern["month"] = month
    return pattern


def _first_day(parts: Mapping[str, str]) -> str:
    code = parts.get("WKST", "MO")
    if code not in CODES:
        raise UnsupportedRecurrence("WKST", f"unknown day {code}")
    return DAYS[CODES.index(code)]


def _by_day(value: str | None) -> list[tuple[int | None, str]]:
    if not value:
        return []
    found: list[tuple[int | None, str]] = []
    for token in value.split(","):
        code, ordinal = token[-2:], token[:-2]
        if code not in CODES:
            raise UnsupportedRecurrence("BYDAY", f"unknown day {token}")
        found.append((int(ordinal) if ordinal else None, DAYS[CODES.index(code)]))
    return found


def _relative(by_day: list[tuple[int | None, str]], positions: list[int]) -> dict[str, Any]:
    index_of = {v: k for k, v in INDEXES.items()}
    days = [d for d in DAYS if d in {day for _, day in by_day}]
    ordinals = {n for n, _ in by_day}
    if len(by_day) == 1 and by_day[0][0] is not None and not positions:
        ordinal = by_day[0][0]
        if ordinal not in index_of:
            raise UnsupportedRecurrence("BYDAY", "Exchange counts first to fourth, or last")
        return {"daysOfWeek": days, "index": index_of[ordinal]}
    if ordinals != {None}:
        raise UnsupportedRecurrence("BYDAY", "several ordinal days have no Exchange "
                                    "equivalent")
    if len(positions) != 1:
        raise UnsupportedRecurrence("BYSETPOS" if positions else "BYDAY",
                                    "every such weekday of the month has no Exchange "
                                    "equivalent: name one position")
    if positions[0] not in index_of:
        raise UnsupportedRecurrence("BYSETPOS", "Exchange counts first to fourth, or last")
    if len(days) > 1 and frozenset(days) not in GROUPS:
        raise UnsupportedRecurrence("BYDAY", "with BYSETPOS Exchange takes one day, the "
                                    "weekdays, the weekend days or all days")
    return {"daysOfWeek": days, "index": index_of[positions[0]]}


def _absolute_day(days: list[int], positions: list[int], month: int | None) -> int:
    longest = LONGEST_MONTH.get(month, 31) if month else 31
    if positions:
        expected = list(range(28, max(days) + 1))
        if positions == [-1] and sorted(days) == expected and len(expected) > 1 and \
                max(days) <= longest:
            return max(days)  # Exchange's "or the month's last day"
        raise UnsupportedRecurrence("BYSETPOS", "BYMONTHDAY with BYSETPOS has no Exchange "
                                    "equivalent (only 28..N with BYSETPOS=-1)")
    if len(days) != 1:
        raise UnsupportedRecurrence("BYMONTHDAY", "Exchange repeats on one day of the month")
    day = days[0]
    if day == -1:
        return longest
    if day < 1:
        raise UnsupportedRecurrence("BYMONTHDAY", "Exchange counts from the end only with "
                                    "-1 (the last day)")
    shortest = 28 if month in (None, 2) else (30 if longest == 30 else 31)
    if day > longest:
        raise UnsupportedRecurrence("BYMONTHDAY", f"month {month} has no day {day}")
    if day > shortest:
        raise UnsupportedRecurrence("BYMONTHDAY", f"day {day} is skipped in shorter months, "
                                    "Exchange would use their last day: use BYMONTHDAY=-1 "
                                    "or BYMONTHDAY=28,...,N;BYSETPOS=-1")
    return day


# -- EWS Recurrence ------------------------------------------------------------------------
EWS_PATTERNS = {"daily": "DailyRecurrence", "weekly": "WeeklyRecurrence",
                "absoluteMonthly": "AbsoluteMonthlyRecurrence",
                "relativeMonthly": "RelativeMonthlyRecurrence",
                "absoluteYearly": "AbsoluteYearlyRecurrence",
                "relativeYearly": "RelativeYearlyRecurrence"}
EWS_RANGES = {"noEnd": "NoEndRecurrence", "endDate": "EndDateRecurrence",
              "numbered": "NumberedRecurrence"}
EWS_INDEXES = {"first": "First", "second": "Second", "third": "Third", "fourth": "Fourth",
               "last": "Last"}
EWS_GROUPS = {WEEKDAYS: "Weekday", WEEKEND: "WeekendDay", frozenset(DAYS): "Day"}
MONTHS = tuple(calendar.month_name)[1:]  # January .. December (EWS's names)


def graph_to_ews(recurrence: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's patternedRecurrence as EWS's Recurrence (element names as in the XML):
    ``{"pattern": {"type": "WeeklyRecurrence", "Interval": 1, "DaysOfWeek": ["Monday"],
    "FirstDayOfWeek": "Sunday"}, "range": {"type": "NumberedRecurrence", "StartDate":
    "2026-12-01", "NumberOfOccurrences": 10}}``. A relative pattern's ``DaysOfWeek`` is one
    value (a day, ``Weekday``, ``WeekendDay`` or ``Day``); a yearly pattern with an
    interval becomes AbsoluteMonthly / RelativeMonthly every 12 x N months whose
    StartDate is its first occurrence (EWS's yearly patterns have no Interval)."""
    graph_to_rrule(recurrence)  # validates
    pattern, span = _sections(recurrence)
    kind = str(pattern["type"])
    interval = int(pattern.get("interval", 1))
    first_date = str(span["startDate"])
    if kind.endswith("Yearly") and interval > 1:
        if interval * 12 > 99:
            raise UnsupportedRecurrence("pattern.interval", "EWS repeats at most every 99 "
                                        "months")
        # months are counted from the range's start: start it on the first occurrence
        first = next(iter(to_dateutil(graph_to_rrule(recurrence), datetime.combine(
            _date(first_date, "range.startDate"), time(0)))), None)
        if first is None:
            raise UnsupportedRecurrence("range", "the series has no occurrence")
        first_date = first.date().isoformat()
        kind = kind.replace("Yearly", "Monthly")
        interval *= 12
    out: dict[str, Any] = {"type": EWS_PATTERNS[kind]}
    if kind in ("daily", "weekly") or kind.endswith("Monthly"):
        out["Interval"] = interval
    if kind == "weekly":
        out["DaysOfWeek"] = [d.capitalize() for d in _days(pattern, "pattern.daysOfWeek")]
        out["FirstDayOfWeek"] = str(pattern.get("firstDayOfWeek") or "sunday").capitalize()
    if kind.startswith("absolute"):
        out["DayOfMonth"] = pattern["dayOfMonth"]
    if kind.startswith("relative"):
        days = _days(pattern, "pattern.daysOfWeek")
        out["DaysOfWeek"] = days[0].capitalize() if len(days) == 1 else \
            EWS_GROUPS[frozenset(days)]
        out["DayOfWeekIndex"] = EWS_INDEXES[str(pattern.get("index") or "first").lower()]
    if kind.endswith("Yearly"):
        out["Month"] = MONTHS[int(pattern["month"]) - 1]
    result: dict[str, Any] = {"type": EWS_RANGES[str(span["type"])],
                              "StartDate": first_date}
    if span["type"] == "endDate":
        result["EndDate"] = str(span["endDate"])
    if span["type"] == "numbered":
        result["NumberOfOccurrences"] = int(span["numberOfOccurrences"])
    return {"pattern": out, "range": result}


def ews_to_graph(recurrence: Mapping[str, Any], time_zone: str = "UTC") -> dict[str, Any]:
    """EWS's Recurrence (as :func:`graph_to_ews` writes it) as Graph's patternedRecurrence
    (``time_zone``: the series' zone, EWS keeps it on the item)."""
    if not isinstance(recurrence, Mapping) or not isinstance(recurrence.get("pattern"),
                                                             Mapping) \
            or not isinstance(recurrence.get("range"), Mapping):
        raise UnsupportedRecurrence("Recurrence", "needs a pattern and a range")
    pattern, span = recurrence["pattern"], recurrence["range"]
    kinds = {v: k for k, v in EWS_PATTERNS.items()}
    kind = kinds.get(str(pattern.get("type")))
    if kind is None:
        raise UnsupportedRecurrence("Recurrence", f"unknown pattern {pattern.get('type')!r}")
    out: dict[str, Any] = {"type": kind, "interval": int(pattern.get("Interval", 1)),
                           "month": 0, "dayOfMonth": 0, "daysOfWeek": [],
                           "firstDayOfWeek": str(pattern.get("FirstDayOfWeek") or
                                                 "Sunday").lower(), "index": "first"}
    days = pattern.get("DaysOfWeek")
    if kind == "weekly":
        out["daysOfWeek"] = [str(d).lower() for d in (days.split() if isinstance(days, str)
                                                      else days or [])]
    if kind.startswith("relative"):
        groups = {v: k for k, v in EWS_GROUPS.items()}
        chosen = groups.get(str(days))
        out["daysOfWeek"] = [d for d in DAYS if d in chosen] if chosen else [str(days).lower()]
        indexes = {v: k for k, v in EWS_INDEXES.items()}
        out["index"] = indexes.get(str(pattern.get("DayOfWeekIndex")), "")
    if kind.startswith("absolute"):
        out["dayOfMonth"] = int(pattern.get("DayOfMonth", 0))
    if kind.endswith("Yearly"):
        month = str(pattern.get("Month"))
        out["month"] = MONTHS.index(month) + 1 if month in MONTHS else 0
    ranges = {v: k for k, v in EWS_RANGES.items()}
    graph_range: dict[str, Any] = {
        "type": ranges.get(str(span.get("type")), ""), "startDate": span.get("StartDate"),
        "endDate": span.get("EndDate", "0001-01-01"), "recurrenceTimeZone": time_zone,
        "numberOfOccurrences": int(span.get("NumberOfOccurrences", 0))}
    result = {"pattern": out, "range": graph_range}
    graph_to_rrule(result)  # validates
    return result


def ews_to_rrule(recurrence: Mapping[str, Any], time_zone: str = "UTC", *,
                 all_day: bool = False) -> str:
    return graph_to_rrule(ews_to_graph(recurrence, time_zone), all_day=all_day)


def rrule_to_ews(rule: str, start: datetime, time_zone: str = "UTC", *,
                 all_day: bool = False) -> dict[str, Any]:
    return graph_to_ews(rrule_to_graph(rule, start, time_zone, all_day=all_day))
