"""The suite's one clock: every date a test books, reads or expects is written relative to it.

``NOW`` is the machine's clock when the test process started (in a run with the clock moved,
``ADDIN_TEST_CLOCK_SHIFT=+1y bash .ci/test``, the whole run sees the moved clock through
libfaketime: this process, the sandbox, ``addin serve`` subprocesses and Chromium alike).
Tests say "Wednesday of the test week at 10:00 in Berlin", never a calendar date, so the
suite means the same thing on any day it runs:

    start = at(day(2), "10:00", "Europe/Berlin")   # Wednesday of the test week
    body = {"start": iso(start), "end": iso(start + timedelta(minutes=30))}
    assert event["start"] == z(start)

The test week (``WEEK``, its Monday) starts 8 to 14 days ahead, so everything booked in it is
in the future, inside every provider's sync window (30 days back, 365 ahead) and far from
the edges. Facts that belong to the calendar (a DST change) are found from the time zone
database after ``NOW`` (``dst_change``), never typed in.

Fixed literal dates are allowed only where the date cannot matter: pure calendar arithmetic
that never asks for the time (mark the line ``# fixed date: <why>``), checked by
``tests/test_clock.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

NOW = datetime.now(UTC)
TODAY = NOW.date()


def monday(weeks_ahead: int = 2) -> date:
    """The Monday ``weeks_ahead`` weeks after the Monday of this week (UTC)."""
    return TODAY - timedelta(days=TODAY.weekday()) + timedelta(weeks=weeks_ahead)


WEEK = monday(2)
"""The test week's Monday: 8 to 14 days after today."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day(offset: int = 0, week: date | None = None) -> date:
    """The day ``offset`` days after the test week's Monday (0 Monday, 2 Wednesday, 8 the
    next Tuesday, -7 the Monday before)."""
    return (week or WEEK) + timedelta(days=offset)


def weekday_name(when: date | datetime) -> str:
    return WEEKDAYS[when.weekday()]


def zone(name: str | tzinfo) -> tzinfo:
    return ZoneInfo(name) if isinstance(name, str) else name


def at(when: date, hhmm: str = "10:00", tz: str | tzinfo = "UTC", *, fold: int = 0) -> datetime:
    """The aware datetime at wall time ``hhmm`` (or ``hh:mm:ss``) on ``when`` in ``tz``."""
    parts = [int(p) for p in hhmm.split(":")]
    return datetime.combine(when, time(*parts), tzinfo=zone(tz)).replace(fold=fold)


def utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


def z(when: datetime, *, millis: bool = False) -> str:
    """The instant in UTC with a Z: ``2030-01-09T09:00:00Z`` (``millis``: ``...00.000Z``)."""
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.000Z" if millis else f"{text}Z"


def iso(when: datetime | date) -> str:
    """ISO 8601 as the value itself says it: a date, or a datetime with its UTC offset
    (``2030-01-09T10:00:00+01:00``)."""
    if isinstance(when, datetime):
        return when.isoformat(timespec="seconds")
    return when.isoformat()


def wall(when: datetime, tz: str | tzinfo | None = None, *, minutes: bool = False) -> str:
    """The wall time without an offset (``2030-01-09T10:00:00``), in ``tz`` if given, else in
    the datetime's own zone (as Graph's dateTimeTimeZone and EWS's local times carry it)."""
    local = when.astimezone(zone(tz)) if tz is not None else when
    return local.strftime("%Y-%m-%dT%H:%M" if minutes else "%Y-%m-%dT%H:%M:%S")


def ymd(when: date | datetime) -> str:
    return when.strftime("%Y-%m-%d")


def compact(when: date | datetime) -> str:
    """iCalendar's forms: ``20300109`` for a date, ``20300109T090000Z`` for an instant."""
    if isinstance(when, datetime):
        return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return when.strftime("%Y%m%d")


def salesforce(when: datetime) -> str:
    """Salesforce's REST datetime form: ``2030-01-09T09:00:00.000+0000``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def dst_change(tz: str, *, forward: bool, after: datetime | None = None) -> date:
    """The local date of the first DST change in ``tz`` after ``after`` (default: the test
    week's Monday): ``forward=True`` for spring forward (the skipped hour), False for fall back
    (the repeated hour). Found from the zone database, so it is a real change on any date."""
    zone_info = ZoneInfo(tz)
    moment = after or datetime.combine(WEEK, time(), tzinfo=UTC)
    step = timedelta(hours=1)
    offset = moment.astimezone(zone_info).utcoffset()
    for _ in range(24 * 800):
        moment += step
        new_offset = moment.astimezone(zone_info).utcoffset()
        if new_offset != offset:
            assert new_offset is not None and offset is not None
            if (new_offset > offset) == forward:
                return moment.astimezone(zone_info).date()
            offset = new_offset
    raise AssertionError(f"{tz} has no DST change in two years")
