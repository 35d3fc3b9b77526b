"""The model <-> RRULE: what Exchange (Graph, EWS) means by a pattern, as an RFC 5545 rule,
and which rules it can hold. Pure; python-dateutil expands.

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from addin.sync.recurrence.model import (
    CODES,
    DAYS,
    GROUPS,
    INDEX_OF,
    INDEXES,
    LONGEST_MONTH,
    Pattern,
    Range,
    Recurrence,
    UnsupportedRecurrence,
    zone_of,
)
from addin.sync.recurrence.rrule import Rule, parse_rrule

# -- model -> RRULE ------------------------------------------------------------------------


def to_rule(recurrence: Recurrence, *, all_day: bool = False) -> Rule:
    pattern = recurrence.pattern
    rule = Rule(pattern.frequency, interval=pattern.interval)
    return replace(rule, **TO_RULE[pattern.kind](pattern),
                   **_range_to_rule(recurrence.range, all_day))


def to_rrule(recurrence: Recurrence, *, all_day: bool = False) -> str:
    """The model as an RRULE (no prefix)."""
    return to_rule(recurrence, all_day=all_day).text()


def _codes(days: tuple[str, ...]) -> tuple[tuple[int | None, str], ...]:
    return tuple((None, CODES[DAYS.index(d)]) for d in DAYS if d in days)


def _weekly_rule(pattern: Pattern) -> dict[str, Any]:
    return {"by_day": _codes(pattern.days), "wkst": CODES[DAYS.index(pattern.first_day)]}


def _absolute_monthly_rule(pattern: Pattern) -> dict[str, Any]:
    day = pattern.day_of_month
    if day == 31:
        return {"by_month_day": (-1,)}
    if day > 28:
        return {"by_month_day": tuple(range(28, day + 1)), "by_set_pos": (-1,)}
    return {"by_month_day": (day,)}


def _absolute_yearly_rule(pattern: Pattern) -> dict[str, Any]:
    leap_day = (pattern.month, pattern.day_of_month) == (2, 29)
    return {"by_month": (pattern.month,),
            "by_month_day": (-1 if leap_day else pattern.day_of_month,)}


def _relative_rule(pattern: Pattern) -> dict[str, Any]:
    months = {"by_month": (pattern.month,)} if pattern.kind == "relativeYearly" else {}
    position = INDEXES[pattern.index]
    if len(pattern.days) == 1:
        return {**months, "by_day": ((position, CODES[DAYS.index(pattern.days[0])]),)}
    return {**months, "by_day": _codes(pattern.days), "by_set_pos": (position,)}


TO_RULE: dict[str, Callable[[Pattern], dict[str, Any]]] = {
    "daily": lambda pattern: {}, "weekly": _weekly_rule,
    "absoluteMonthly": _absolute_monthly_rule, "absoluteYearly": _absolute_yearly_rule,
    "relativeMonthly": _relative_rule, "relativeYearly": _relative_rule}


def _range_to_rule(span: Range, all_day: bool) -> dict[str, Any]:
    if span.kind == "numbered":
        return {"count": span.count}
    if span.kind == "noEnd" or span.end is None:
        return {}
    if all_day:
        return {"until": span.end}
    zone = zone_of(span.time_zone)
    return {"until": datetime.combine(span.end, time(23, 59, 59),
                                      tzinfo=zone).astimezone(UTC)}


# -- RRULE -> model ------------------------------------------------------------------------
def from_rrule(rule: str, start: datetime | date, time_zone: str = "UTC", *,
               all_day: bool = False) -> Recurrence:
    """An RRULE as the model, for a series whose first candidate is ``start`` (aware, or
    a wall time in ``time_zone``; a date means that day's midnight, the right reading for
    all-day series). Raises UnsupportedRecurrence for what Exchange cannot hold."""
    parsed = parse_rrule(rule)
    zone = zone_of(time_zone)
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0))
    local = start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)
    pattern = pattern_of(parsed, local)
    return Recurrence(pattern, _range_of(parsed, local, zone, time_zone, all_day))


def _range_of(rule: Rule, local: datetime, zone: tzinfo, time_zone: str,
              all_day: bool) -> Range:
    first = local.date()
    if rule.count is not None:
        return Range("numbered", first, count=rule.count, time_zone=time_zone)
    if rule.until is None:
        return Range("noEnd", first, time_zone=time_zone)
    last = _last_date(rule.until, local, zone, all_day)
    if last < first:
        raise UnsupportedRecurrence("UNTIL", "is before the series starts")
    return Range("endDate", first, end=last, time_zone=time_zone)


def _last_date(until: datetime | date, local: datetime, zone: tzinfo, all_day: bool) -> date:
    if not isinstance(until, datetime):
        return until
    moment = until.astimezone(zone) if until.tzinfo else until.replace(tzinfo=zone)
    if all_day or moment.time().replace(tzinfo=None) >= local.time().replace(tzinfo=None):
        return moment.date()
    return moment.date() - timedelta(days=1)


def pattern_of(rule: Rule, local: datetime) -> Pattern:
    """The Exchange pattern of a parsed rule starting at ``local`` (which fills in the
    day, weekday or month a rule leaves out)."""
    return FROM_RULE[rule.freq](rule, local, Pattern("", interval=rule.interval))


def _daily_or_weekly(rule: Rule, local: datetime, base: Pattern) -> Pattern:
    for name, given in (("BYMONTHDAY", rule.by_month_day), ("BYMONTH", rule.by_month),
                        ("BYSETPOS", rule.by_set_pos)):
        if given:
            raise UnsupportedRecurrence(name, f"a {rule.freq.lower()} rule cannot have it")
    if any(n is not None for n, _ in rule.by_day):
        raise UnsupportedRecurrence("BYDAY", "ordinal days need FREQ=MONTHLY or YEARLY")
    if rule.freq == "DAILY" and not rule.by_day:
        return replace(base, kind="daily")
    if rule.freq == "DAILY" and rule.interval > 1:
        raise UnsupportedRecurrence("BYDAY", "FREQ=DAILY with INTERVAL and BYDAY has no "
                                    "Exchange equivalent")
    days = [DAYS[CODES.index(d)] for _, d in rule.by_day] or [DAYS[local.weekday()]]
    return replace(base, kind="weekly", days=tuple(d for d in DAYS if d in days),
                   first_day=DAYS[CODES.index(rule.wkst or "MO")])


def _monthly_or_yearly(rule: Rule, local: datetime, base: Pattern) -> Pattern:
    yearly = rule.freq == "YEARLY"
    if len(rule.by_month) > 1:
        raise UnsupportedRecurrence("BYMONTH", "Exchange repeats in one month a year")
    if not yearly and rule.by_month:
        raise UnsupportedRecurrence("BYMONTH", "a monthly rule cannot have it")
    month = rule.by_month[0] if rule.by_month else local.month
    if rule.by_day and rule.by_month_day:
        raise UnsupportedRecurrence("BYDAY", "BYDAY with BYMONTHDAY has no Exchange "
                                    "equivalent")
    if rule.by_day:
        days, index = _relative(rule.by_day, rule.by_set_pos)
        return replace(base, kind="relativeYearly" if yearly else "relativeMonthly",
                       days=days, index=index, month=month if yearly else 0)
    day = _absolute_day(rule.by_month_day or (local.day,), rule.by_set_pos,
                        month if yearly else None)
    return replace(base, kind="absoluteYearly" if yearly else "absoluteMonthly",
                   day_of_month=day, month=month if yearly else 0)


FROM_RULE: dict[str, Callable[[Rule, datetime, Pattern], Pattern]] = {
    "DAILY": _daily_or_weekly, "WEEKLY": _daily_or_weekly,
    "MONTHLY": _monthly_or_yearly, "YEARLY": _monthly_or_yearly}


def _relative(by_day: tuple[tuple[int | None, str], ...], positions: tuple[int, ...]
              ) -> tuple[tuple[str, ...], str]:
    days = tuple(d for d in DAYS if d in {DAYS[CODES.index(code)] for _, code in by_day})
    ordinal = by_day[0][0]
    if len(by_day) == 1 and ordinal is not None and not positions:
        if ordinal not in INDEX_OF:
            raise UnsupportedRecurrence("BYDAY", "Exchange counts first to fourth, or last")
        return days, INDEX_OF[ordinal]
    if {n for n, _ in by_day} != {None}:
        raise UnsupportedRecurrence("BYDAY", "several ordinal days have no Exchange "
                                    "equivalent")
    if len(positions) != 1:
        raise UnsupportedRecurrence("BYSETPOS" if positions else "BYDAY",
                                    "every such weekday of the month has no Exchange "
                                    "equivalent: name one position")
    if positions[0] not in INDEX_OF:
        raise UnsupportedRecurrence("BYSETPOS", "Exchange counts first to fourth, or last")
    if len(days) > 1 and frozenset(days) not in GROUPS:
        raise UnsupportedRecurrence("BYDAY", "with BYSETPOS Exchange takes one day, the "
                                    "weekdays, the weekend days or all days")
    return days, INDEX_OF[positions[0]]


def _absolute_day(days: tuple[int, ...], positions: tuple[int, ...], month: int | None
                  ) -> int:
    longest = LONGEST_MONTH.get(month, 31) if month else 31
    if positions:
        return _month_end(days, positions, longest)
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


def _month_end(days: tuple[int, ...], positions: tuple[int, ...], longest: int) -> int:
    """``BYMONTHDAY=28,...,N;BYSETPOS=-1``: Exchange's "day N, or the month's last day"."""
    expected = list(range(28, max(days) + 1))
    if list(positions) == [-1] and sorted(days) == expected and len(expected) > 1 and \
            max(days) <= longest:
        return max(days)
    raise UnsupportedRecurrence("BYSETPOS", "BYMONTHDAY with BYSETPOS has no Exchange "
                                "equivalent (only 28..N with BYSETPOS=-1)")
