"""EWS recurrences between the dict form of :mod:`addin.sync.recurrence.ews` (EWS element
names) and exchangelib's models (``Recurrence(pattern=WeeklyPattern(...),
boundary=NumberedPattern(...))``), and so between exchangelib and RFC 5545 RRULEs.
Pure: exchangelib's models are plain values here, nothing is sent.

exchangelib numbers its enumerations from 1: weekdays Monday=1 .. Sunday=7 and the groups
Day=8, Weekday=9, WeekendDay=10; week numbers First=1 .. Last=5; months January=1."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from exchangelib import EWSDate
from exchangelib.fields import MONTHS, WEEK_NUMBERS, WEEKDAYS
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from addin.sync.recurrence.ews import ews_to_rrule, rrule_to_ews
from addin.sync.recurrence.model import UnsupportedRecurrence

PATTERN_CLASSES: dict[str, Any] = {
    "DailyRecurrence": DailyPattern, "WeeklyRecurrence": WeeklyPattern,
    "AbsoluteMonthlyRecurrence": AbsoluteMonthlyPattern,
    "RelativeMonthlyRecurrence": RelativeMonthlyPattern,
    "AbsoluteYearlyRecurrence": AbsoluteYearlyPattern,
    "RelativeYearlyRecurrence": RelativeYearlyPattern}
NAMES = {cls: name for name, cls in PATTERN_CLASSES.items()}


def _ews_date(text: str) -> EWSDate:
    return EWSDate.from_date(date.fromisoformat(text))


def to_exchangelib(ews: Mapping[str, Any]) -> Recurrence:
    """The dict :func:`addin.sync.recurrence.graph_to_ews` writes, as exchangelib's model."""
    pattern, span = ews["pattern"], ews["range"]
    kind = pattern["type"]
    options: dict[str, Any] = {}
    if "Interval" in pattern:
        options["interval"] = int(pattern["Interval"])
    if kind == "WeeklyRecurrence":
        options["weekdays"] = [WEEKDAYS.index(d) + 1 for d in pattern["DaysOfWeek"]]
        options["first_day_of_week"] = WEEKDAYS.index(pattern["FirstDayOfWeek"]) + 1
    if "DayOfMonth" in pattern:
        options["day_of_month"] = int(pattern["DayOfMonth"])
    if kind.startswith("Relative"):
        options["weekday"] = WEEKDAYS.index(pattern["DaysOfWeek"]) + 1
        options["week_number"] = WEEK_NUMBERS.index(pattern["DayOfWeekIndex"]) + 1
    if "Month" in pattern:
        options["month"] = MONTHS.index(pattern["Month"]) + 1
    start = _ews_date(span["StartDate"])
    boundary: Any
    if span["type"] == "NumberedRecurrence":
        boundary = NumberedPattern(start=start, number=int(span["NumberOfOccurrences"]))
    elif span["type"] == "EndDateRecurrence":
        boundary = EndDatePattern(start=start, end=_ews_date(span["EndDate"]))
    else:
        boundary = NoEndPattern(start=start)
    return Recurrence(pattern=PATTERN_CLASSES[kind](**options), boundary=boundary)


def from_exchangelib(recurrence: Recurrence) -> dict[str, Any]:
    """exchangelib's model as the dict form (EWS element names)."""
    pattern, boundary = recurrence.pattern, recurrence.boundary
    kind = NAMES.get(type(pattern))
    if kind is None:
        raise UnsupportedRecurrence("Recurrence", f"{type(pattern).__name__} is not a "
                                    "calendar recurrence pattern")
    out: dict[str, Any] = {"type": kind}
    if getattr(pattern, "interval", None) is not None:
        out["Interval"] = pattern.interval
    if isinstance(pattern, WeeklyPattern):
        out["DaysOfWeek"] = [WEEKDAYS[d - 1] for d in pattern.weekdays]
        out["FirstDayOfWeek"] = WEEKDAYS[(pattern.first_day_of_week or 7) - 1]
    if getattr(pattern, "day_of_month", None) is not None:
        out["DayOfMonth"] = pattern.day_of_month
    if isinstance(pattern, RelativeMonthlyPattern | RelativeYearlyPattern):
        out["DaysOfWeek"] = WEEKDAYS[pattern.weekday - 1]
        out["DayOfWeekIndex"] = WEEK_NUMBERS[pattern.week_number - 1]
    if getattr(pattern, "month", None) is not None:
        out["Month"] = MONTHS[pattern.month - 1]
    span: dict[str, Any] = {"StartDate": _iso(boundary.start)}
    if isinstance(boundary, NumberedPattern):
        span.update(type="NumberedRecurrence", NumberOfOccurrences=boundary.number)
    elif isinstance(boundary, EndDatePattern):
        span.update(type="EndDateRecurrence", EndDate=_iso(boundary.end))
    else:
        span["type"] = "NoEndRecurrence"
    return {"pattern": out, "range": span}


def _iso(value: Any) -> str:
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def rrule_to_exchangelib(rule: str, start: datetime, time_zone: str = "UTC", *,
                         all_day: bool = False) -> Recurrence:
    return to_exchangelib(rrule_to_ews(rule, start, time_zone, all_day=all_day))


def exchangelib_to_rrule(recurrence: Recurrence, time_zone: str = "UTC", *,
                         all_day: bool = False) -> str:
    return ews_to_rrule(from_exchangelib(recurrence), time_zone, all_day=all_day)
