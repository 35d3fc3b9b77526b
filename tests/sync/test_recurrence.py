"""The recurrence mapping: Graph patternedRecurrence / EWS Recurrence <-> RFC 5545 RRULE,
checked against dateutil's expansion and against the Graph emulator's own expansion.

Pure calendar arithmetic: nothing mapped or expanded here reads the clock (every rule gets an
explicit start, and a window where it is bounded), so the dates are fixed, far from today
(each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from addin.sandbox.graph import recurrence as emulator
from addin.sync.recurrence import (
    DAYS,
    UnsupportedRecurrence,
    ews_to_graph,
    ews_to_rrule,
    expand,
    graph_to_ews,
    graph_to_rrule,
    normalize_rrule,
    rrule_to_ews,
    rrule_to_graph,
    to_dateutil,
)

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


def test_wall_clock_time_is_kept_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    first = datetime(2038, 3, 4, 9)  # fixed date: rule math
    starts = expand("RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4", first, "America/New_York")
    assert [s.astimezone(new_york).hour for s in starts] == [9, 9, 9, 9]
    assert [s.astimezone(UTC).hour for s in starts] == [14, 14, 13, 13]  # DST from 14 March


def test_prefix_is_optional_and_the_rule_is_normalized() -> None:
    assert normalize_rrule("RRULE:freq=weekly;byday=MO,WE;count=3") == \
        normalize_rrule("FREQ=WEEKLY;COUNT=3;BYDAY=MO,WE") == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"


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


def test_exchange_month_end_rules() -> None:
    start = datetime(2037, 1, 31, 9, tzinfo=UTC)  # fixed date: rule math
    monthly = {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31}
    rule = graph_to_rrule({"pattern": monthly, "range": {
        "type": "noEnd", "startDate": "2037-01-31"}})  # fixed date: rule math
    assert rule == "FREQ=MONTHLY;BYMONTHDAY=-1"
    assert [d.day for d in expand(rule, start, limit=3)] == [31, 28, 31]
    thirtieth = graph_to_rrule({"pattern": {**monthly, "dayOfMonth": 30}, "range": {
        "type": "noEnd", "startDate": "2037-01-30"}})  # fixed date: rule math
    assert thirtieth == "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1"
    assert rrule_to_graph(thirtieth, start)["pattern"]["dayOfMonth"] == 30
    leap = rrule_to_graph("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", start)
    assert (leap["pattern"]["month"], leap["pattern"]["dayOfMonth"]) == (2, 29)


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


@pytest.mark.parametrize(("rule", "part"), [
    ("FREQ=HOURLY", "FREQ"),
    ("FREQ=MINUTELY;COUNT=2", "FREQ"),
    ("FREQ=MONTHLY;BYDAY=MO,WE;BYSETPOS=2", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=1,-1", "BYSETPOS"),
    ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=5", "BYSETPOS"),
    ("FREQ=MONTHLY;BYDAY=TU", "BYDAY"),
    ("FREQ=MONTHLY;BYDAY=2TU,4TU", "BYDAY"),
    ("FREQ=MONTHLY;BYMONTHDAY=31", "BYMONTHDAY"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", "BYMONTHDAY"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "BYMONTHDAY"),
    ("FREQ=YEARLY;BYMONTH=1,7", "BYMONTH"),
    ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR"),
    ("FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO"),
    ("FREQ=DAILY;INTERVAL=2;BYDAY=MO", "BYDAY"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20380101T000000Z", "UNTIL"),  # fixed date: rule math
    ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
    ("FREQ=WEEKLY;COUNT=-1", "COUNT"),
    ("FREQ=WEEKLY;UNTIL=tomorrow", "RRULE"),
    ("FREQ=SOMETIMES", "RRULE"),
    ("BYDAY=MO", "FREQ"),
    ("FREQ=WEEKLY;FREQ=DAILY", "FREQ"),
    ("", "RRULE"),
])
def test_rules_exchange_cannot_hold_are_refused_by_name(rule: str, part: str) -> None:
    with pytest.raises(UnsupportedRecurrence) as refused:
        rrule_to_graph(rule, datetime(2037, 12, 1, 9, tzinfo=UTC))  # fixed date: rule math
    assert refused.value.part == part
    assert isinstance(refused.value, ValueError)


def test_a_monthly_rule_starting_on_the_31st_is_refused() -> None:
    with pytest.raises(UnsupportedRecurrence, match="shorter months"):
        rrule_to_graph("FREQ=MONTHLY",
                       datetime(2037, 1, 31, 9, tzinfo=UTC))  # fixed date: rule math


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


def test_ews_recurrence_round_trips_through_rrule() -> None:
    start = datetime(2037, 12, 3, 10, tzinfo=UTC)  # fixed date: rule math
    ews = rrule_to_ews("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU;COUNT=6", start)
    assert ews == {"pattern": {"type": "WeeklyRecurrence", "Interval": 2,
                               "DaysOfWeek": ["Tuesday", "Thursday"], "FirstDayOfWeek": "Sunday"},
                   "range": {"type": "NumberedRecurrence",
                             "StartDate": "2037-12-03",  # fixed date: rule math
                             "NumberOfOccurrences": 6}}
    assert ews_to_rrule(ews) == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU;COUNT=6"
    assert ews_to_rrule({**ews, "pattern": {**ews["pattern"], "DaysOfWeek": "Monday Friday"}}
                        ).startswith("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR")
    yearly = rrule_to_ews("FREQ=YEARLY;INTERVAL=2;BYMONTH=12;BYMONTHDAY=3", start)
    assert yearly["pattern"] == {"type": "AbsoluteMonthlyRecurrence", "Interval": 24,
                                 "DayOfMonth": 3}
    assert rrule_to_ews("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3", start)["pattern"] == {
        "type": "AbsoluteYearlyRecurrence", "DayOfMonth": 3, "Month": "December"}
    with pytest.raises(UnsupportedRecurrence):
        rrule_to_ews("FREQ=YEARLY;INTERVAL=9", start)
    with pytest.raises(UnsupportedRecurrence):
        ews_to_rrule({"pattern": {"type": "HourlyRecurrence"}, "range": {}})


def test_expand_is_bounded_by_the_window() -> None:
    start = datetime(2037, 1, 1, 9, tzinfo=UTC)  # fixed date: rule math
    window = (datetime(2037, 3, 1, tzinfo=UTC),  # fixed date: rule math
              datetime(2037, 4, 1, tzinfo=UTC))  # fixed date: rule math
    found = expand("FREQ=DAILY", start, window=window)
    assert len(found) == 31
    assert found[0] == datetime(2037, 3, 1, 9, tzinfo=UTC)  # fixed date: rule math
    assert len(expand("FREQ=DAILY", start, limit=52)) == 52


def test_a_date_start_is_that_days_midnight() -> None:
    rule = "FREQ=WEEKLY;BYDAY=TH;UNTIL=20371217"  # fixed date: rule math
    first = date(2037, 12, 3)  # fixed date: rule math
    assert rrule_to_graph(rule, first, "Europe/Berlin", all_day=True)["range"] == {
        "type": "endDate",
        "startDate": "2037-12-03", "endDate": "2037-12-17",  # fixed date: rule math
        "recurrenceTimeZone": "Europe/Berlin", "numberOfOccurrences": 0}
