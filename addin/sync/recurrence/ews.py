"""The model <-> EWS's ``Recurrence`` in dict form, element names as in the XML:
``{"pattern": {"type": "WeeklyRecurrence", "Interval": 1, "DaysOfWeek": ["Monday"],
"FirstDayOfWeek": "Sunday"}, "range": {"type": "NumberedRecurrence", "StartDate":
"2026-12-01", "NumberOfOccurrences": 10}}``; and so EWS <-> Graph and EWS <-> RRULE. Pure.

A relative pattern's ``DaysOfWeek`` is one value (a day, ``Weekday``, ``WeekendDay`` or
``Day``); a yearly pattern with an interval becomes AbsoluteMonthly / RelativeMonthly every
12 x N months whose StartDate is its first occurrence (EWS's yearly patterns have no
Interval). EWS keeps the series' time zone on the item, not in the recurrence."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from addin.sync.recurrence.exchange import from_rrule, to_rrule, to_rule
from addin.sync.recurrence.graph import from_graph, to_graph
from addin.sync.recurrence.model import (
    DAYS,
    NO_DATE,
    WEEKDAYS,
    WEEKEND,
    Pattern,
    Recurrence,
    UnsupportedRecurrence,
)

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
MAX_MONTHS = 99  # EWS repeats at most every 99 months


# -- model -> EWS --------------------------------------------------------------------------
def to_ews(recurrence: Recurrence) -> dict[str, Any]:
    """The model as EWS's Recurrence (see the module's docstring)."""
    to_rrule(recurrence)  # validates (the end date's zone too)
    pattern, span = recurrence.pattern, recurrence.range
    first = span.start
    if pattern.kind.endswith("Yearly") and pattern.interval > 1:
        pattern, first = _as_monthly(recurrence)
    out: dict[str, Any] = {"type": EWS_PATTERNS[pattern.kind]}
    if not pattern.kind.endswith("Yearly"):
        out["Interval"] = pattern.interval
    for writer in WRITERS[pattern.kind]:
        out.update(writer(pattern))
    result: dict[str, Any] = {"type": EWS_RANGES[span.kind], "StartDate": first.isoformat()}
    if span.kind == "endDate" and span.end is not None:
        result["EndDate"] = span.end.isoformat()
    if span.kind == "numbered":
        result["NumberOfOccurrences"] = span.count
    return {"pattern": out, "range": result}


def _as_monthly(recurrence: Recurrence) -> tuple[Pattern, date]:
    """A yearly pattern every N years as a monthly one every 12 x N months, counted from
    its first occurrence."""
    pattern = recurrence.pattern
    if pattern.interval * 12 > MAX_MONTHS:
        raise UnsupportedRecurrence("pattern.interval", "EWS repeats at most every 99 "
                                    "months")
    rule = to_rule(recurrence)
    first = next(iter(rule.to_dateutil(datetime.combine(recurrence.range.start, time(0),
                                                        tzinfo=UTC), UTC)), None)
    if first is None:
        raise UnsupportedRecurrence("range", "the series has no occurrence")
    monthly = replace(pattern, kind=pattern.kind.replace("Yearly", "Monthly"),
                      interval=pattern.interval * 12)
    return monthly, first.date()


def _weekly_days(pattern: Pattern) -> dict[str, Any]:
    return {"DaysOfWeek": [d.capitalize() for d in pattern.days],
            "FirstDayOfWeek": pattern.first_day.capitalize()}


def _day_of_month(pattern: Pattern) -> dict[str, Any]:
    return {"DayOfMonth": pattern.day_of_month}


def _relative_days(pattern: Pattern) -> dict[str, Any]:
    days = pattern.days
    return {"DaysOfWeek": days[0].capitalize() if len(days) == 1 else
            EWS_GROUPS[frozenset(days)], "DayOfWeekIndex": EWS_INDEXES[pattern.index]}


def _month(pattern: Pattern) -> dict[str, Any]:
    return {"Month": MONTHS[pattern.month - 1]}


WRITERS: dict[str, tuple[Callable[[Pattern], dict[str, Any]], ...]] = {
    "daily": (), "weekly": (_weekly_days,), "absoluteMonthly": (_day_of_month,),
    "relativeMonthly": (_relative_days,), "absoluteYearly": (_day_of_month, _month),
    "relativeYearly": (_relative_days, _month)}


def graph_to_ews(recurrence: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's patternedRecurrence as EWS's Recurrence."""
    return to_ews(from_graph(recurrence))


def rrule_to_ews(rule: str, start: datetime, time_zone: str = "UTC", *,
                 all_day: bool = False) -> dict[str, Any]:
    return to_ews(from_rrule(rule, start, time_zone, all_day=all_day))


# -- EWS -> model --------------------------------------------------------------------------
def from_ews(recurrence: Any, time_zone: str = "UTC") -> Recurrence:
    """EWS's Recurrence (as :func:`to_ews` writes it) as the model (``time_zone``: the
    series' zone, EWS keeps it on the item); validated as Graph's fields are."""
    if not isinstance(recurrence, Mapping) or not isinstance(recurrence.get("pattern"),
                                                             Mapping) \
            or not isinstance(recurrence.get("range"), Mapping):
        raise UnsupportedRecurrence("Recurrence", "needs a pattern and a range")
    pattern, span = recurrence["pattern"], recurrence["range"]
    kind = {v: k for k, v in EWS_PATTERNS.items()}.get(str(pattern.get("type")))
    if kind is None:
        raise UnsupportedRecurrence("Recurrence", f"unknown pattern {pattern.get('type')!r}")
    fields: dict[str, Any] = {"type": kind, "interval": int(pattern.get("Interval", 1)),
                              "firstDayOfWeek": str(pattern.get("FirstDayOfWeek") or
                                                    "Sunday").lower()}
    for reader in EWS_READERS[kind]:
        fields.update(reader(pattern))
    ranges = {v: k for k, v in EWS_RANGES.items()}
    graph_range: dict[str, Any] = {
        "type": ranges.get(str(span.get("type")), ""), "startDate": span.get("StartDate"),
        "endDate": span.get("EndDate", NO_DATE), "recurrenceTimeZone": time_zone,
        "numberOfOccurrences": int(span.get("NumberOfOccurrences", 0))}
    return from_graph({"pattern": fields, "range": graph_range})


def _read_weekly(pattern: Mapping[str, Any]) -> dict[str, Any]:
    days = pattern.get("DaysOfWeek")
    listed = days.split() if isinstance(days, str) else days or []
    return {"daysOfWeek": [str(d).lower() for d in listed]}


def _read_relative(pattern: Mapping[str, Any]) -> dict[str, Any]:
    days = str(pattern.get("DaysOfWeek"))
    group = {v: k for k, v in EWS_GROUPS.items()}.get(days)
    indexes = {v: k for k, v in EWS_INDEXES.items()}
    return {"daysOfWeek": [d for d in DAYS if d in group] if group else [days.lower()],
            "index": indexes.get(str(pattern.get("DayOfWeekIndex")), "")}


def _read_day_of_month(pattern: Mapping[str, Any]) -> dict[str, Any]:
    return {"dayOfMonth": int(pattern.get("DayOfMonth", 0))}


def _read_month(pattern: Mapping[str, Any]) -> dict[str, Any]:
    month = str(pattern.get("Month"))
    return {"month": MONTHS.index(month) + 1 if month in MONTHS else 0}


EWS_READERS: dict[str, tuple[Callable[[Mapping[str, Any]], dict[str, Any]], ...]] = {
    "daily": (), "weekly": (_read_weekly,), "absoluteMonthly": (_read_day_of_month,),
    "relativeMonthly": (_read_relative,), "absoluteYearly": (_read_day_of_month, _read_month),
    "relativeYearly": (_read_relative, _read_month)}


def ews_to_graph(recurrence: Mapping[str, Any], time_zone: str = "UTC") -> dict[str, Any]:
    """EWS's Recurrence as Graph's patternedRecurrence."""
    return to_graph(from_ews(recurrence, time_zone))


def ews_to_rrule(recurrence: Mapping[str, Any], time_zone: str = "UTC", *,
                 all_day: bool = False) -> str:
    return to_rrule(from_ews(recurrence, time_zone), all_day=all_day)
