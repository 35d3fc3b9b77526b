"""The RRULE parser and dateutil's expansion of a rule.

Pure calendar arithmetic (every rule gets an explicit start), so the dates are fixed, far
from today (each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.sync.recurrence import (
    RecurrenceError,
    Rule,
    UnsupportedRecurrence,
    expand,
    normalize_rrule,
    parse_rrule,
)
from addin.sync.recurrence.model import CODES

MOMENTS = st.datetimes(datetime(2030, 1, 1), datetime(2040, 1, 1))  # fixed date: rule math
NONZERO = st.integers(-31, 31).filter(bool)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    """Any rule the parser accepts, as parsed."""
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=7))
    ordinals = st.none() | st.integers(-53, 53).filter(bool)
    end = draw(st.sampled_from(["none", "count", "date", "utc", "floating"]))
    moment = draw(MOMENTS).replace(microsecond=0)
    until = {"date": moment.date(), "utc": moment.replace(tzinfo=UTC),
             "floating": moment}.get(end)
    return Rule(draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])),
                interval=draw(st.integers(1, 99)),
                by_month=tuple(draw(st.lists(st.integers(1, 12), max_size=3))),
                by_month_day=tuple(draw(st.lists(NONZERO, max_size=3))),
                by_day=tuple((draw(ordinals), code) for code in codes),
                by_set_pos=tuple(draw(st.lists(st.integers(-366, 366).filter(bool),
                                               max_size=2))),
                wkst=draw(st.none() | st.sampled_from(CODES)),
                count=draw(st.integers(1, 999)) if end == "count" else None, until=until)


@settings(max_examples=300, deadline=None)
@given(rules())
def test_a_rule_written_and_parsed_again_is_the_same_rule(rule: Rule) -> None:
    assert parse_rrule(rule.text()) == rule
    assert parse_rrule("RRULE:" + rule.text().lower()) == rule


def test_the_parser_reads_every_part() -> None:
    assert parse_rrule("rrule:freq=monthly;interval=2;byday=-1fr;count=4") == Rule(
        "MONTHLY", interval=2, by_day=((-1, "FR"),), count=4)
    assert parse_rrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1;WKST=SU;"
                       "UNTIL=20380101T000000Z") == Rule(  # fixed date: rule math
        "YEARLY", by_month=(2,), by_month_day=(28, 29), by_set_pos=(-1,), wkst="SU",
        until=datetime(2038, 1, 1, tzinfo=UTC))  # fixed date: rule math
    day = date(2038, 1, 1)  # fixed date: rule math
    assert parse_rrule("FREQ=DAILY;UNTIL=20380101").until == day  # fixed date: rule math
    floating = datetime(2038, 1, 1, 9)  # fixed date: rule math (a floating time)
    rule = "FREQ=DAILY;UNTIL=20380101T090000"  # fixed date: rule math
    assert parse_rrule(rule).until == floating


@pytest.mark.parametrize(("rule", "part", "reason"), [
    ("FREQ=WEEKLY;BYDAY=XX", "BYDAY", "not a weekday"),
    ("FREQ=WEEKLY;BYDAY=MO,MO", "BYDAY", "names a weekday twice"),
    ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY", "not 0"),
    ("FREQ=YEARLY;BYMONTH=13", "BYMONTH", "from 1 to 12"),
    ("FREQ=WEEKLY;WKST=XX", "WKST", "must be a weekday"),
    ("FREQ=WEEKLY;INTERVAL=x", "INTERVAL", "whole number"),
])
def test_the_parser_names_the_part_at_fault(rule: str, part: str, reason: str) -> None:
    with pytest.raises(UnsupportedRecurrence, match=reason) as refused:
        parse_rrule(rule)
    assert refused.value.part == part
    assert isinstance(refused.value, RecurrenceError)
    assert str(refused.value).endswith(".")  # a sentence for a person


def test_wall_clock_time_is_kept_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    first = datetime(2038, 3, 4, 9)  # fixed date: rule math
    starts = expand("RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4", first, "America/New_York")
    assert [s.astimezone(new_york).hour for s in starts] == [9, 9, 9, 9]
    assert [s.astimezone(UTC).hour for s in starts] == [14, 14, 13, 13]  # DST from 14 March


def test_prefix_is_optional_and_the_rule_is_normalized() -> None:
    assert normalize_rrule("RRULE:freq=weekly;byday=MO,WE;count=3") == \
        normalize_rrule("FREQ=WEEKLY;COUNT=3;BYDAY=MO,WE") == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"


def test_expand_is_bounded_by_the_window() -> None:
    start = datetime(2037, 1, 1, 9, tzinfo=UTC)  # fixed date: rule math
    window = (datetime(2037, 3, 1, tzinfo=UTC),  # fixed date: rule math
              datetime(2037, 4, 1, tzinfo=UTC))  # fixed date: rule math
    found = expand("FREQ=DAILY", start, window=window)
    assert len(found) == 31
    assert found[0] == datetime(2037, 3, 1, 9, tzinfo=UTC)  # fixed date: rule math
    assert len(expand("FREQ=DAILY", start, limit=52)) == 52
