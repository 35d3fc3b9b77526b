"""The model <-> EWS's Recurrence (dict form), and so EWS <-> RRULE and Graph.

Pure calendar arithmetic (every rule gets an explicit start), so the dates are fixed, far
from today (each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given, settings

from addin.sync.recurrence import (
    Recurrence,
    UnsupportedRecurrence,
    ews_to_rrule,
    from_ews,
    rrule_to_ews,
    to_ews,
)
from tests.sync.recurrence.strategies import models


@settings(max_examples=200, deadline=None)
@given(models())
def test_model_to_ews_and_back_is_the_same_model(case: tuple[Recurrence, time]) -> None:
    recurrence, _ = case
    if recurrence.pattern.kind.endswith("Yearly") and recurrence.pattern.interval > 1:
        return  # EWS: monthly every 12 x N months (test_graph checks the occurrences)
    assert from_ews(to_ews(recurrence), recurrence.range.time_zone) == recurrence


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
