"""The model <-> Graph's patternedRecurrence, and so Graph <-> RFC 5545 RRULE, checked
against dateutil's expansion and against the Graph emulator's own expansion.

Pure calendar arithmetic: nothing mapped or expanded here reads the clock (every rule gets an
explicit start, and a window where it is bounded), so the dates are fixed, far from today
(each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings

from addin.sandbox.graph import recurrence as emulator
from addin.sync.recurrence import (
    Recurrence,
    UnsupportedRecurrence,
    ews_to_graph,
    from_graph,
    graph_to_ews,
    graph_to_rrule,
    rrule_to_graph,
    to_dateutil,
    to_graph,
)
from tests.sync.recurrence.strategies import essence, models, series, weekly


@settings(max_examples=200, deadline=None)
@given(models())
def test_model_to_graph_and_back_is_the_same_model(case: tuple[Recurrence, time]) -> None:
    recurrence, _ = case
    assert from_graph(to_graph(recurrence)) == recurrence


@settings(max_examples=300, deadline=None)
@given(series())
def test_graph_to_rrule_and_back_is_the_same_series(case: tuple[dict[str, Any], datetime]
                                                    ) -> None:
    recurrence, start = case
    rule = graph_to_rrule(recurrence)
    back = rrule_to_graph(rule, start, recurrence["range"]["recurrenceTimeZone"])
    assert essence(back) == essence(recurrence)
    assert graph_to_rrule(back) == rule
    zone_name = recurrence["range"]["recurrenceTimeZone"]
    local = start.replace(tzinfo=emulator.zone(zone_name))
    if next(iter(to_dateutil(rule, local, zone_name)), None) is None:
        return  # no occurrence at all (an end date before the first match): nothing to map
    via_ews = ews_to_graph(graph_to_ews(recurrence), zone_name)
    if recurrence["pattern"]["type"].endswith("Yearly") and \
            recurrence["pattern"]["interval"] > 1:  # EWS: monthly every 12 x N months
        moved = datetime.combine(date.fromisoformat(via_ews["range"]["startDate"]),
                                 start.time(), tzinfo=local.tzinfo)  # its first occurrence
        assert list(islice(to_dateutil(graph_to_rrule(via_ews), moved, zone_name), 12)) == \
            list(islice(to_dateutil(rule, local, zone_name), 12))
    else:
        assert essence(via_ews) == essence(recurrence)


@pytest.mark.xfail(strict=True, reason="the Graph emulator keeps only the UTC instant of a "
                   "series' start, so a start typed in a skipped hour repeats an hour later "
                   "(found by the property below; left for the emulator's own recurrence work)")
def test_a_series_started_in_a_skipped_hour_keeps_its_wall_time_in_the_emulator() -> None:
    """Daily from 02:30 on a spring-forward day in Pacific time: RFC 5545 (and the product's
    expansion) read the first start with the offset before the gap and keep 02:30 after it."""
    recurrence = {"pattern": {"type": "daily", "interval": 1},
                  "range": {"type": "numbered", "numberOfOccurrences": 3,
                            "startDate": "2037-03-08",  # fixed date: rule math (DST day)
                            "recurrenceTimeZone": "Pacific Standard Time"}}
    local = datetime(2037, 3, 8, 2, 30,  # fixed date: rule math (in the skipped hour)
                     tzinfo=emulator.zone("Pacific Standard Time"))
    ours = [m.astimezone(UTC) for m in to_dateutil(graph_to_rrule(recurrence), local,
                                                   "Pacific Standard Time")]
    theirs = [m.astimezone(UTC) for m in emulator.rule(recurrence, local.astimezone(UTC),
                                                       "Pacific Standard Time")]
    assert [m.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%H:%M")
            for m in ours[1:]] == ["02:30", "02:30"]
    assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(series())
def test_rrule_expansion_equals_the_graph_emulators(case: tuple[dict[str, Any], datetime]
                                                    ) -> None:
    """dateutil's expansion of the mapped RRULE gives the instants the Graph emulator
    gives for the pattern (first 25 occurrences), in any IANA (or Windows) zone, and keeps
    the start's wall-clock time across DST changes."""
    recurrence, start = case
    zone_name = recurrence["range"]["recurrenceTimeZone"]
    local = start.replace(tzinfo=emulator.zone(zone_name))
    # a start typed in a skipped hour: the emulator's known gap, pinned by the next test
    assume(local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == start)
    ours = [m.astimezone(UTC) for m in islice(
        to_dateutil(graph_to_rrule(recurrence), local, zone_name), 25)]
    theirs = [m.astimezone(UTC) for m in islice(
        emulator.rule(recurrence, local.astimezone(UTC), zone_name), 25)]
    assert ours == theirs
    zone = local.tzinfo
    for moment in ours:  # the start's wall time, wherever that wall time exists that day
        wall = datetime.combine(moment.astimezone(zone).date(), start.time(), tzinfo=zone)
        if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == \
                wall.replace(tzinfo=None):
            assert moment.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None)


def test_weekly_with_count_and_until_as_graph() -> None:
    start = datetime(2037, 12, 3, 10, tzinfo=UTC)  # fixed date: rule math
    counted = rrule_to_graph("RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=3", start)
    assert counted["pattern"]["daysOfWeek"] == ["thursday"]
    assert counted["range"] == {"type": "numbered",
                                "startDate": "2037-12-03",  # fixed date: rule math
                                "endDate": "0001-01-01", "numberOfOccurrences": 3,
                                "recurrenceTimeZone": "UTC"}
    until = rrule_to_graph("FREQ=WEEKLY;UNTIL=20371217T100000Z", start)  # fixed date: rule math
    assert until["range"]["type"] == "endDate"
    assert until["range"]["endDate"] == "2037-12-17"  # fixed date: rule math
    earlier = "FREQ=WEEKLY;UNTIL=20371217T095959Z"  # fixed date: rule math
    before_the_hour = rrule_to_graph(earlier, start)
    assert before_the_hour["range"]["endDate"] == "2037-12-16"  # fixed date: rule math
    daily = rrule_to_graph("FREQ=DAILY;UNTIL=20371217", start)  # fixed date: rule math
    assert daily["range"]["endDate"] == "2037-12-17"  # fixed date: rule math


def test_end_date_is_the_end_of_that_day_in_the_recurrence_zone() -> None:
    last = "2037-12-31"  # fixed date: rule math
    rule = graph_to_rrule(weekly(["monday"], type="endDate", endDate=last,
                                 recurrenceTimeZone="Pacific Standard Time"))
    assert rule.endswith("UNTIL=20380101T075959Z")  # fixed date: rule math
    assert graph_to_rrule(weekly(["monday"], type="endDate", endDate=last),
                          all_day=True).endswith("UNTIL=20371231")  # fixed date: rule math


def test_relative_patterns() -> None:
    start = datetime(2037, 12, 1, 9, tzinfo=UTC)  # fixed date: rule math
    last_friday = rrule_to_graph("FREQ=MONTHLY;BYDAY=-1FR", start)["pattern"]
    assert (last_friday["type"], last_friday["daysOfWeek"], last_friday["index"]) == (
        "relativeMonthly", ["friday"], "last")
    weekday = rrule_to_graph("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=2", start)
    assert (weekday["pattern"]["index"], len(weekday["pattern"]["daysOfWeek"])) == ("second", 5)
    assert graph_to_ews(weekday)["pattern"] == {
        "type": "RelativeMonthlyRecurrence", "Interval": 1, "DaysOfWeek": "Weekday",
        "DayOfWeekIndex": "Second"}
    yearly = rrule_to_graph("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", start)
    assert (yearly["pattern"]["type"], yearly["pattern"]["month"]) == ("relativeYearly", 11)


@pytest.mark.parametrize(("recurrence", "field"), [
    ({"pattern": {"type": "hourly"},
      "range": {"type": "noEnd", "startDate": "2037-12-01"}},  # fixed date: rule math
     "pattern.type"),
    (weekly([]), "pattern.daysOfWeek"),
    (weekly(["funday"]), "pattern.daysOfWeek"),
    (weekly(["monday"], type="numbered", numberOfOccurrences=0),
     "range.numberOfOccurrences"),
    (weekly(["monday"], type="endDate",
            endDate="2037-11-01"), "range.endDate"),  # fixed date: rule math
    (weekly(["monday"], type="endDate", endDate="someday"), "range.endDate"),
    ({"pattern": {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday", "friday"],
                  "index": "first"},
      "range": {"type": "noEnd", "startDate": "2037-12-01"}},  # fixed date: rule math
     "pattern.daysOfWeek"),
    ({"pattern": {"type": "absoluteYearly", "interval": 1, "dayOfMonth": 30, "month": 2},
      "range": {"type": "noEnd", "startDate": "2037-12-01"}},  # fixed date: rule math
     "pattern.dayOfMonth"),
    ({"pattern": {"type": "daily", "interval": 0},
      "range": {"type": "noEnd", "startDate": "2037-12-01"}},  # fixed date: rule math
     "pattern.interval"),
    ({"pattern": {"type": "daily"}}, "range"),
])
def test_bad_graph_patterns_are_refused_by_field(recurrence: dict[str, Any], field: str
                                                 ) -> None:
    with pytest.raises(UnsupportedRecurrence) as refused:
        graph_to_rrule(recurrence)
    assert refused.value.part == field


def test_a_date_start_is_that_days_midnight() -> None:
    rule = "FREQ=WEEKLY;BYDAY=TH;UNTIL=20371217"  # fixed date: rule math
    first = date(2037, 12, 3)  # fixed date: rule math
    assert rrule_to_graph(rule, first, "Europe/Berlin", all_day=True)["range"] == {
        "type": "endDate",
        "startDate": "2037-12-03", "endDate": "2037-12-17",  # fixed date: rule math
        "recurrenceTimeZone": "Europe/Berlin", "numberOfOccurrences": 0}
