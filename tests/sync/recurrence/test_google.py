"""The model <-> Google Calendar's recurrence lines.

Pure calendar arithmetic (every rule gets an explicit start), so the dates are fixed, far
from today (each such line says ``# fixed date``)."""

from __future__ import annotations

from datetime import date, datetime

from addin.sync.recurrence import (
    Pattern,
    Range,
    Recurrence,
    from_google,
    rule_of_lines,
    to_google,
    with_prefix,
)

FIRST = date(2037, 12, 3)  # fixed date: rule math; a Thursday
THURSDAYS = Recurrence(Pattern("weekly", days=("thursday",), first_day="sunday"),
                       Range("numbered", FIRST, count=6, time_zone="Europe/Berlin"))


def test_prefix() -> None:
    assert with_prefix("FREQ=DAILY") == "RRULE:FREQ=DAILY"


def test_the_rule_of_a_series_lines_leaves_its_exdates() -> None:
    lines = ["EXDATE;TZID=Europe/Berlin:20371210T090000",  # fixed date: rule math
             "RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=6"]
    assert rule_of_lines(lines) == "FREQ=WEEKLY;BYDAY=TH;COUNT=6"
    assert rule_of_lines(["EXDATE:20371210"]) is None  # fixed date: rule math
    assert rule_of_lines(None) is None


def test_model_to_google_lines_and_back() -> None:
    lines = to_google(THURSDAYS)
    assert lines == ["RRULE:FREQ=WEEKLY;BYDAY=TH;WKST=SU;COUNT=6"]
    start = datetime(2037, 12, 3, 9)  # fixed date: rule math (a wall time in Berlin)
    assert from_google(lines, start, "Europe/Berlin") == THURSDAYS
    assert from_google([], start, "Europe/Berlin") is None
