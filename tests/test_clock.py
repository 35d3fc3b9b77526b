"""The test clock (tests/clock.py) and the guard that keeps the suite free of calendar dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import clock

TESTS = Path(__file__).parent

# A calendar date typed into a test: 2041-12-09, 2041-12-{d}, datetime(2041, 12, 9),
# date(2041, 12, 9), 20411209 or 20411209T090000Z (iCalendar).
LITERAL_DATE = re.compile(
    r"\b(19|20)\d\d-[01]\d-"
    r"|\b(?:date|datetime)\(\s*(19|20)\d\d\s*,"
    r"|(?<![\w-])(19|20)\d\d[01]\d[0-3]\d(T\d{6}Z?)?\b")
ALLOWED = "# fixed date:"


def literal_dates(text: str) -> list[tuple[int, str]]:
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if LITERAL_DATE.search(line) and ALLOWED not in line]


def test_no_test_types_a_calendar_date() -> None:
    """A date typed into a test goes stale the day it passes (main went red in December 2026 for
    series pinned to early December). Dates come from tests/clock.py; a line whose date
    cannot matter (pure calendar arithmetic that never asks for the time) says so with
    ``# fixed date: <why>``."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if "node_modules" in path.parts or path.name in {"clock.py", "test_clock.py"}:
            continue
        found += [f"{path.relative_to(TESTS)}:{number}: {line}"
                  for number, line in literal_dates(path.read_text())]
    assert not found, "calendar dates typed into tests:\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    'BODY = {"start": "2041-12-09T10:00:00Z"}',
    'f"2041-12-{d:02d}T10:00"',
    "datetime(2041, 3, 31, 1, 30, tzinfo=UTC)",
    "date(2041, 12, 3)",
    '"RRULE:FREQ=WEEKLY;UNTIL=20411217T100000Z"',
    '"DTSTART:20411203"',
])
def test_the_guard_sees_each_form_of_a_typed_date(line: str) -> None:
    assert literal_dates(line)
    assert not literal_dates(line + "  # fixed date: parsing only")


@pytest.mark.parametrize("line", [
    'GUEST_ID = "003000000000001AAA"', "timeout=20_000", 'phone = "+1 415 555 0100"',
    "start = at(day(2), '10:00')",
])
def test_the_guard_leaves_other_numbers_alone(line: str) -> None:
    assert not literal_dates(line)


def test_the_test_week_is_ahead_and_starts_on_a_monday() -> None:
    assert clock.WEEK.weekday() == 0
    assert timedelta(days=8) <= clock.WEEK - clock.TODAY <= timedelta(days=14)
    assert clock.day(2).weekday() == 2 and clock.weekday_name(clock.day(8)) == "tuesday"


def test_wall_times_keep_their_zone_and_instants_their_offset() -> None:
    start = clock.at(date(2031, 1, 8), "15:00", "Europe/Berlin")  # fixed date: formatting only
    assert clock.iso(start) == "2031-01-08T15:00:00+01:00"  # fixed date: formatting only
    assert clock.z(start) == "2031-01-08T14:00:00Z"  # fixed date: formatting only
    assert clock.wall(start, "UTC") == "2031-01-08T14:00:00"  # fixed date: formatting only
    assert clock.salesforce(start) == "2031-01-08T14:00:00.000+0000"  # fixed date: formatting
    assert clock.compact(start) == "20310108T140000Z"  # fixed date: formatting only


@pytest.mark.parametrize("tz", ["Europe/Paris", "Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("forward", [True, False])
def test_dst_changes_come_from_the_zone_database(tz: str, forward: bool) -> None:
    """The change found is real (the offset differs across that day) and ahead of the test
    week's Monday, on any date the suite runs."""
    changed = clock.dst_change(tz, forward=forward)
    assert changed >= clock.WEEK
    before = clock.at(changed, "00:00", tz).utcoffset()
    after = clock.at(changed, "12:00", tz).utcoffset()
    assert before is not None and after is not None
    assert (after > before) if forward else (after < before)


def test_dst_changes_follow_the_clock_not_a_year() -> None:
    """Asked from three years on, the change is three years on too."""
    later = datetime.combine(clock.WEEK, datetime.min.time(), tzinfo=UTC) + timedelta(days=1096)
    changed = clock.dst_change("Europe/Paris", forward=True, after=later)
    assert changed.year - clock.dst_change("Europe/Paris", forward=True).year in (3, 4)
    assert clock.at(changed, "12:00", ZoneInfo("Europe/Paris")).utcoffset() == timedelta(hours=2)
