"""Hypothesis strategies and helpers shared by the recurrence tests: Graph patterns and
series, the model, and what of a Graph recurrence means something."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import available_timezones

from hypothesis import strategies as st

from addin.sync.recurrence import DAYS, Pattern, Range, Recurrence

WINDOWS_ZONES = ["Pacific Standard Time", "W. Europe Standard Time", "AUS Eastern Standard "
                 "Time", "Pacific SA Standard Time", "Iran Standard Time"]
ZONES = st.one_of(st.sampled_from(sorted(available_timezones())),
                  st.sampled_from(WINDOWS_ZONES))
GROUPS = [list(DAYS[:5]), list(DAYS[5:]), list(DAYS)]
LONGEST = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


def weekly(days: list[str], **range_: Any) -> dict[str, Any]:
    return {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": days,
                        "firstDayOfWeek": "sunday"},
            "range": {"type": "numbered", "startDate": "2037-12-03",  # fixed date: rule math
                      "numberOfOccurrences": 10, **range_}}


@st.composite
def patterns(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["daily", "weekly", "absoluteMonthly", "relativeMonthly",
                                 "absoluteYearly", "relativeYearly"]))
    pattern: dict[str, Any] = {"type": kind, "interval": draw(st.integers(1, 4))}
    if kind == "weekly":
        pattern["daysOfWeek"] = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7,
                                              unique=True))
        pattern["firstDayOfWeek"] = draw(st.sampled_from(DAYS))
    if kind.endswith("Yearly"):
        pattern["month"] = draw(st.integers(1, 12))
    if kind.startswith("absolute"):
        pattern["dayOfMonth"] = draw(st.integers(1, LONGEST.get(pattern.get("month", 1), 31)))
    if kind.startswith("relative"):
        pattern["daysOfWeek"] = draw(st.one_of(st.sampled_from(DAYS).map(lambda d: [d]),
                                               st.sampled_from(GROUPS)))
        pattern["index"] = draw(st.sampled_from(["first", "second", "third", "fourth",
                                                 "last"]))
    return pattern


@st.composite
def series(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    """A patternedRecurrence and the series' start (a wall time in its zone)."""
    pattern = draw(patterns())
    zone = draw(ZONES)
    first = draw(st.dates(date(2025, 1, 1), date(2030, 12, 31)))  # fixed date: rule math
    wall = draw(st.sampled_from([time(0, 0), time(2, 30), time(9, 0), time(23, 30)]))
    kind = draw(st.sampled_from(["endDate", "noEnd", "numbered"]))
    span: dict[str, Any] = {"type": kind, "startDate": first.isoformat(),
                            "recurrenceTimeZone": zone}
    if kind == "endDate":
        span["endDate"] = (first + timedelta(days=draw(st.integers(0, 900)))).isoformat()
    if kind == "numbered":
        span["numberOfOccurrences"] = draw(st.integers(1, 40))
    return {"pattern": pattern, "range": span}, datetime.combine(first, wall)


def essence(recurrence: dict[str, Any]) -> dict[str, Any]:
    """The fields that mean something for the pattern and range types given."""
    pattern, span = recurrence["pattern"], recurrence["range"]
    kind = pattern["type"]
    wanted = ["type", "interval", *{
        "weekly": ["daysOfWeek", "firstDayOfWeek"], "absoluteMonthly": ["dayOfMonth"],
        "relativeMonthly": ["daysOfWeek", "index"],
        "absoluteYearly": ["dayOfMonth", "month"],
        "relativeYearly": ["daysOfWeek", "index", "month"]}.get(kind, [])]
    out = {k: pattern[k] for k in wanted}
    if "daysOfWeek" in out:
        out["daysOfWeek"] = [d for d in DAYS if d in out["daysOfWeek"]]
    range_keys = ["type", "startDate", "recurrenceTimeZone", *{
        "endDate": ["endDate"], "numbered": ["numberOfOccurrences"]}.get(span["type"], [])]
    return {"pattern": out, "range": {k: span[k] for k in range_keys}}


@st.composite
def models(draw: st.DrawFn) -> tuple[Recurrence, time]:
    """A recurrence of the model (only the fields its types use) and its start's wall
    time."""
    kind = draw(st.sampled_from(["daily", "weekly", "absoluteMonthly", "relativeMonthly",
                                 "absoluteYearly", "relativeYearly"]))
    pattern = Pattern(kind, interval=draw(st.integers(1, 4)))
    if kind == "weekly":
        chosen = draw(st.sets(st.sampled_from(DAYS), min_size=1))
        pattern = Pattern(kind, pattern.interval, days=tuple(d for d in DAYS if d in chosen),
                          first_day=draw(st.sampled_from(DAYS)))
    if kind.endswith("Yearly"):
        pattern = Pattern(kind, pattern.interval, month=draw(st.integers(1, 12)))
    if kind.startswith("absolute"):
        pattern = Pattern(kind, pattern.interval, month=pattern.month, day_of_month=draw(
            st.integers(1, LONGEST.get(pattern.month or 1, 31))))
    if kind.startswith("relative"):
        days = draw(st.one_of(st.sampled_from(DAYS).map(lambda d: [d]),
                              st.sampled_from(GROUPS)))
        pattern = Pattern(kind, pattern.interval, month=pattern.month,
                          days=tuple(d for d in DAYS if d in days),
                          index=draw(st.sampled_from(["first", "second", "third", "fourth",
                                                      "last"])))
    first = draw(st.dates(date(2025, 1, 1), date(2030, 12, 31)))  # fixed date: rule math
    zone = draw(ZONES)
    span = draw(st.sampled_from([
        Range("noEnd", first, time_zone=zone),
        Range("numbered", first, count=draw(st.integers(1, 40)), time_zone=zone),
        Range("endDate", first, end=first + timedelta(days=draw(st.integers(0, 900))),
              time_zone=zone)]))
    wall = draw(st.sampled_from([time(0, 0), time(2, 30), time(9, 0), time(23, 30)]))
    return Recurrence(pattern, span), wall
