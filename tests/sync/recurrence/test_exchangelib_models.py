"""RRULE <-> exchangelib's recurrence models (through the EWS dict form).

Pure calendar arithmetic (no clock is read), so the dates are fixed, far from today."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from exchangelib import EWSDate
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from addin.sync.recurrence import UnsupportedRecurrence
from addin.sync.recurrence.exchangelib_models import (
    exchangelib_to_rrule,
    from_exchangelib,
    rrule_to_exchangelib,
)

START = datetime(2037, 12, 3, 10, tzinfo=UTC)  # fixed date: rule math; a Thursday


@pytest.mark.parametrize("rule", [
    "FREQ=DAILY;INTERVAL=2;COUNT=5",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU;UNTIL=20380131T235959Z",  # fixed date: rule math
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;WKST=MO",
    "FREQ=MONTHLY;BYMONTHDAY=3;COUNT=12",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH",
    "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3",
    "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3",
])
def test_rrule_through_exchangelib_and_back(rule: str) -> None:
    model = rrule_to_exchangelib(rule, START)
    assert isinstance(model, Recurrence)
    assert exchangelib_to_rrule(model) == rule


def test_the_models_are_exchangelibs_own() -> None:
    weekly = rrule_to_exchangelib("FREQ=WEEKLY;BYDAY=TH;COUNT=4", START)
    assert isinstance(weekly.pattern, WeeklyPattern) and weekly.pattern.weekdays == [4]
    assert isinstance(weekly.boundary, NumberedPattern) and weekly.boundary.number == 4
    assert weekly.boundary.start == EWSDate(2037, 12, 3)  # fixed date: rule math
    last_weekday = rrule_to_exchangelib("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                                        START)
    assert isinstance(last_weekday.pattern, RelativeMonthlyPattern)
    assert (last_weekday.pattern.weekday, last_weekday.pattern.week_number) == (9, 5)
    assert isinstance(last_weekday.boundary, NoEndPattern)
    thanksgiving = rrule_to_exchangelib("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", START)
    assert isinstance(thanksgiving.pattern, RelativeYearlyPattern)
    assert thanksgiving.pattern.month == 11


def test_exchangelib_models_read_back() -> None:
    model = Recurrence(pattern=AbsoluteMonthlyPattern(interval=1, day_of_month=31),
                       boundary=EndDatePattern(start=EWSDate(2038, 1, 31),  # fixed date: rule math
                                               end=EWSDate(2038, 6, 30)))  # fixed date: rule math
    assert from_exchangelib(model) == {
        "pattern": {"type": "AbsoluteMonthlyRecurrence", "Interval": 1, "DayOfMonth": 31},
        "range": {"type": "EndDateRecurrence", "StartDate": "2038-01-31",  # fixed date: rule math
                  "EndDate": "2038-06-30"}}  # fixed date: rule math
    assert exchangelib_to_rrule(model, "Europe/Berlin") == \
        "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20380630T215959Z"  # fixed date: rule math
    daily = Recurrence(pattern=DailyPattern(interval=1), boundary=NoEndPattern(
        start=EWSDate(2038, 1, 1)))  # fixed date: rule math
    assert exchangelib_to_rrule(daily) == "FREQ=DAILY"


def test_rules_ews_cannot_hold_are_refused() -> None:
    with pytest.raises(UnsupportedRecurrence):
        rrule_to_exchangelib("FREQ=YEARLY;INTERVAL=10;BYMONTH=12;BYMONTHDAY=3", START)
    with pytest.raises(UnsupportedRecurrence):
        rrule_to_exchangelib("FREQ=HOURLY", START)
