"""The repeat rules the product accepts: canonical, explicit, bounded.

Pure calendar arithmetic: normalizing and expanding a rule never reads the clock (each gets an
explicit start, and a window where it is expanded), so the dates are fixed, far from today
(each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.sync.recurrence import UnsupportedRecurrence, normalize, occurrences

# a Tuesday (the second of its month), 14:00 in London
TUESDAY = datetime(2037, 12, 8, 14, 0, tzinfo=UTC)  # fixed date: rule math


@pytest.mark.parametrize(("given_rule", "canonical"), [
    ("RRULE:FREQ=WEEKLY;COUNT=10", "FREQ=WEEKLY;BYDAY=TU;COUNT=10"),
    ("freq=weekly;byday=th,tu;count=4", "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4"),
    ("FREQ=DAILY;INTERVAL=1;COUNT=5", "FREQ=DAILY;COUNT=5"),
    ("FREQ=WEEKLY;WKST=SU;COUNT=5", "FREQ=WEEKLY;BYDAY=TU;COUNT=5"),  # no effect: dropped
    ("FREQ=WEEKLY;INTERVAL=2;WKST=SU;COUNT=5", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU;COUNT=5"),
    ("FREQ=DAILY;INTERVAL=3;COUNT=5", "FREQ=DAILY;INTERVAL=3;COUNT=5"),
    # longer than Salesforce keeps (or endless): what Salesforce keeps, on both sides
    ("FREQ=DAILY", "FREQ=DAILY;COUNT=100"),
    ("FREQ=WEEKLY;UNTIL=20411231", "FREQ=WEEKLY;BYDAY=TU;COUNT=53"),  # fixed date: rule math
    ("FREQ=WEEKLY;COUNT=400", "FREQ=WEEKLY;BYDAY=TU;COUNT=53"),
    ("FREQ=MONTHLY;COUNT=3", "FREQ=MONTHLY;BYMONTHDAY=8;COUNT=3"),
    ("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"),
    ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2;COUNT=3", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"),
    ("FREQ=YEARLY;COUNT=3", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=8;COUNT=3"),
    # a date UNTIL: the end of that day in the series' zone, as a UTC instant
    ("FREQ=WEEKLY;UNTIL=20380105",  # fixed date: rule math
     "FREQ=WEEKLY;BYDAY=TU;UNTIL=20380105T235959Z"),  # fixed date: rule math
])
def test_rules_are_made_canonical(given_rule: str, canonical: str) -> None:
    assert normalize(given_rule, TUESDAY, "Europe/London") == canonical


def test_a_date_until_ends_the_day_in_the_series_zone() -> None:
    start = datetime(2037, 12, 8, 9, 0,  # fixed date: rule math
                     tzinfo=ZoneInfo("America/New_York"))
    rule = "FREQ=WEEKLY;UNTIL=20380105"  # fixed date: rule math
    assert normalize(rule, start, "America/New_York") == \
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20380106T045959Z"  # fixed date: rule math


def test_an_all_day_series_keeps_date_until() -> None:
    first = date(2037, 12, 8)  # fixed date: rule math
    rule = normalize("FREQ=WEEKLY;UNTIL=20380105T120000Z", first, "UTC")  # fixed date: rule math
    assert rule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20380105"  # fixed date: rule math
    window = (datetime(2037, 1, 1, tzinfo=UTC),  # fixed date: rule math
              datetime(2041, 1, 1, tzinfo=UTC))  # fixed date: rule math
    assert occurrences(rule, first, "UTC", *window) == [
        date(2037, 12, 8), date(2037, 12, 15),  # fixed date: rule math
        date(2037, 12, 22), date(2037, 12, 29),  # fixed date: rule math
        date(2038, 1, 5)]  # fixed date: rule math


@pytest.mark.parametrize(("bad", "reason"), [
    ("FREQ=HOURLY", "at most daily"),
    ("FREQ=DAILY;BYHOUR=9", "BYHOUR is not supported"),
    ("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", "one of the repeats"),
    ("FREQ=WEEKLY;BYDAY=MO", "start must be one of the repeats"),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20380101", "COUNT or UNTIL"),  # fixed date: rule math
    ("FREQ=WEEKLY;UNTIL=20310101", "ends before its start"),  # fixed date: rule math
    ("FREQ=MONTHLY;BYMONTHDAY=1,15", "ONE day"),
    ("FREQ=MONTHLY;BYDAY=TU,WE", "ONE weekday"),
    ("FREQ=MONTHLY;BYDAY=3TU", "start must be one of the repeats"),
    ("FREQ=MONTHLY;BYDAY=5TU", "1st to 4th or the last"),
    ("FREQ=WEEKLY;BYDAY=2TU", "plain weekdays"),
    ("FREQ=DAILY;BYDAY=TU", "daily rule takes no BYDAY"),
    ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be from 1"),
    ("FREQ=WEEKLY;COUNT=many", "whole number"),
    ("FREQ=WEEKLY;FREQ=DAILY", "given twice"),
    ("FREQ=WEEKLY;UNTIL=soon", "UNTIL must be a date"),
    ("RRULE:FREQ=WEEKLY\nEXDATE:20371215T140000Z", "one RRULE"),  # fixed date: rule math
    ("", "one RRULE"),
    ("nonsense", "NAME=VALUE"),
])
def test_unrepresentable_rules_are_refused_with_the_reason(bad: str, reason: str) -> None:
    with pytest.raises(UnsupportedRecurrence, match=reason):
        normalize(bad, TUESDAY, "Europe/London")


def test_a_month_end_that_skips_short_months_is_refused() -> None:
    with pytest.raises(UnsupportedRecurrence, match="Outlook cannot repeat this way"):
        normalize("FREQ=MONTHLY;COUNT=3",
                  datetime(2038, 1, 31, 9, 0, tzinfo=UTC), "UTC")  # fixed date: rule math


def test_an_endless_series_is_expanded_only_inside_the_window() -> None:
    rule = "FREQ=DAILY"  # as a calendar may hold it (started there)
    window = (datetime(2038, 3, 1, tzinfo=UTC),  # fixed date: rule math
              datetime(2038, 3, 8, tzinfo=UTC))  # fixed date: rule math
    found = occurrences(rule, TUESDAY, "UTC", *window)
    assert len(found) == 7
    assert found[0] == datetime(2038, 3, 1, 14, 0, tzinfo=UTC)  # fixed date: rule math
    assert all(window[0] <= moment < window[1] for moment in found)  # type: ignore[operator]


ZONES = sorted(z for z in available_timezones()
               if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


@settings(max_examples=60, deadline=None)
@given(zone_name=st.sampled_from(ZONES), day=st.integers(0, 364), hour=st.integers(0, 23),
       minute=st.sampled_from([0, 15, 30, 45]), weeks=st.integers(2, 53))
def test_weekly_occurrences_keep_their_wall_clock_time_across_dst(
        zone_name: str, day: int, hour: int, minute: int, weeks: int) -> None:
    """Every calendar repeats a meeting at the same local time whatever the offset does."""
    zone = ZoneInfo(zone_name)
    local = datetime(2031, 1, 1, hour, minute,  # fixed date: rule math
                     tzinfo=zone) + timedelta(days=day)
    local = datetime.fromtimestamp(local.timestamp(), zone)  # a time that exists there
    rule = normalize(f"FREQ=WEEKLY;COUNT={weeks}", local, zone_name)
    found = occurrences(rule, local, zone_name, local - timedelta(days=1),
                        local + timedelta(days=7 * weeks + 7))
    assert len(found) == weeks
    for n, moment in enumerate(found):
        assert isinstance(moment, datetime)
        assert moment.date() == local.date() + timedelta(weeks=n)
        assert (moment.hour, moment.minute) == (local.hour, local.minute)
