"""A series' rule between the product's RRULE and exchangelib's Recurrence objects (the
EWS ``Recurrence`` element), through the pure mapping in addin/sync/recurrence.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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

from addin.sync.recurrence import ews_to_rrule, rrule_to_ews


def to_exchange(rule: str, start: datetime, time_zone: str, all_day: bool) -> Recurrence:
    """exchangelib's Recurrence for the canonical RRULE of a series starting at ``start``."""
    wire = rrule_to_ews(rule, start, time_zone, all_day=all_day)
    pattern, span = wire["pattern"], wire["range"]
    kind = pattern["type"]
    made: Any
    if kind == "DailyRecurrence":
        made = DailyPattern(interval=pattern["Interval"])
    elif kind == "WeeklyRecurrence":
        made = WeeklyPattern(interval=pattern["Interval"], weekdays=pattern["DaysOfWeek"],
                             first_day_of_week=pattern.get("FirstDayOfWeek", "Sunday"))
    elif kind == "AbsoluteMonthlyRecurrence":
        made = AbsoluteMonthlyPattern(interval=pattern["Interval"],
                                      day_of_month=pattern["DayOfMonth"])
    elif kind == "RelativeMonthlyRecurrence":
        made = RelativeMonthlyPattern(interval=pattern["Interval"],
                                      weekday=pattern["DaysOfWeek"],
                                      week_number=pattern["DayOfWeekIndex"])
    elif kind == "AbsoluteYearlyRecurrence":
        made = AbsoluteYearlyPattern(day_of_month=pattern["DayOfMonth"],
                                     month=pattern["Month"])
    else:
        made = RelativeYearlyPattern(weekday=pattern["DaysOfWeek"],
                                     week_number=pattern["DayOfWeekIndex"],
                                     month=pattern["Month"])
    first = date.fromisoformat(span["StartDate"])
    boundary: Any
    if span["type"] == "NumberedRecurrence":
        boundary = NumberedPattern(start=first, number=span["NumberOfOccurrences"])
    elif span["type"] == "EndDateRecurrence":
        boundary = EndDatePattern(start=first, end=date.fromisoformat(span["EndDate"]))
    else:
        boundary = NoEndPattern(start=first)
    return Recurrence(pattern=made, boundary=boundary)


def from_exchange(recurrence: Any, time_zone: str, all_day: bool) -> str | None:
    """The RRULE (without "RRULE:") of exchangelib's Recurrence; None for a single item."""
    if recurrence is None or recurrence.pattern is None:
        return None
    pattern, boundary = recurrence.pattern, recurrence.boundary
    names = {DailyPattern: "DailyRecurrence", WeeklyPattern: "WeeklyRecurrence",
             AbsoluteMonthlyPattern: "AbsoluteMonthlyRecurrence",
             RelativeMonthlyPattern: "RelativeMonthlyRecurrence",
             AbsoluteYearlyPattern: "AbsoluteYearlyRecurrence",
             RelativeYearlyPattern: "RelativeYearlyRecurrence"}
    wire: dict[str, Any] = {"type": names[type(pattern)]}
    for attribute, element in (("interval", "Interval"), ("weekdays", "DaysOfWeek"),
                               ("first_day_of_week", "FirstDayOfWeek"),
                               ("day_of_month", "DayOfMonth"), ("weekday", "DaysOfWeek"),
                               ("week_number", "DayOfWeekIndex"), ("month", "Month")):
        value = getattr(pattern, attribute, None)
        if value is not None:
            wire[element] = list(value) if attribute == "weekdays" else value
    span: dict[str, Any] = {"StartDate": _day(boundary.start).isoformat()}
    if isinstance(boundary, NumberedPattern):
        span.update(type="NumberedRecurrence", NumberOfOccurrences=boundary.number)
    elif isinstance(boundary, EndDatePattern):
        span.update(type="EndDateRecurrence", EndDate=_day(boundary.end).isoformat())
    else:
        span["type"] = "NoEndRecurrence"
    return ews_to_rrule({"pattern": wire, "range": span}, time_zone, all_day=all_day)


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value
