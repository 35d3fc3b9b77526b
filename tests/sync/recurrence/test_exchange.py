"""The model <-> RFC 5545 RRULE: what Exchange can hold of a rule, and how.

Pure calendar arithmetic (every rule gets an explicit start), so the dates are fixed, far
from today (each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings

from addin.sync.recurrence import (
    Recurrence,
    UnsupportedRecurrence,
    expand,
    from_rrule,
    graph_to_rrule,
    rrule_to_graph,
    to_rrule,
)
from tests.sync.recurrence.strategies import models


@settings(max_examples=300, deadline=None)
@given(models())
def test_model_to_rrule_and_back_is_the_same_model(case: tuple[Recurrence, time]) -> None:
    recurrence, wall = case
    start = datetime.combine(recurrence.range.start, wall)
    zone = recurrence.range.time_zone
    assert from_rrule(to_rrule(recurrence), start, zone) == recurrence
    all_day = from_rrule(to_rrule(recurrence, all_day=True), recurrence.range.start, zone,
                         all_day=True)
    assert all_day == recurrence


def test_an_until_before_the_start_is_refused() -> None:
    with pytest.raises(UnsupportedRecurrence) as refused:
        from_rrule("FREQ=DAILY;UNTIL=20370101", date(2037, 2, 1))  # fixed date: rule math
    assert refused.value.part == "UNTIL"


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
