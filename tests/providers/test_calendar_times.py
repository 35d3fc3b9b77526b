"""Daylight-saving transitions, against every calendar provider and both readings of a
wall time the Graph emulator can be set to: an item keeps its true instants.

A wall time without an offset (Graph's dateTimeTimeZone) on the night clocks go back names
two instants; the Graph provider used to send the wall time, and Outlook read the second
02:30 as the first: a meeting ending at 02:30+01:00 that night became zero-length.

The nights are the next real DST changes in Paris after the test week (tests/clock.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from addin.providers.calendar.graph import GraphCalendar
from addin.sandbox import SandboxRuntime
from tests.clock import WEEK, at, dst_change, utc, wall, z
from tests.providers.conftest import CalendarUnderTest, calendar_under_test
from tests.providers.test_calendar_contract import draft

PARIS = "Europe/Paris"
FALL_BACK = dst_change(PARIS, forward=False)  # repeats 02:00-03:00
SPRING_FORWARD = dst_change(PARIS, forward=True)  # skips 02:00-03:00


def _offset(day: date, hhmm: str) -> timedelta:
    offset = at(day, hhmm, PARIS).utcoffset()
    assert offset is not None
    return offset


SUMMER = _offset(FALL_BACK, "00:00")  # Paris' offsets, from the zone database
WINTER = _offset(FALL_BACK, "12:00")
assert SUMMER > WINTER and _offset(SPRING_FORWARD, "12:00") == SUMMER


def paris(day: date, hhmm: str, offset: timedelta) -> str:
    """Wall time ``hhmm`` on ``day`` with an explicit offset: one instant, even in the
    repeated or skipped hour."""
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=timezone(offset)).isoformat()


def _summer_day() -> date:
    """The first day from the test week on that Paris spends wholly on summer time."""
    day = WEEK
    while _offset(day, "00:00") != SUMMER or _offset(day, "23:59") != SUMMER:
        day += timedelta(days=1)
    return day


SUMMER_DAY = _summer_day()
# (start, end): fall back in Paris repeats 02:00-03:00 on FALL_BACK; spring forward skips
# 02:00-03:00 on SPRING_FORWARD (given with offsets, so each names one instant)
CASES = {
    "across the repeated hour": (paris(FALL_BACK, "02:30", SUMMER),
                                 paris(FALL_BACK, "02:30", WINTER)),
    "ending in the repeated hour": (paris(FALL_BACK, "01:30", SUMMER),
                                    paris(FALL_BACK, "02:30", WINTER)),
    "starting in the repeated hour": (paris(FALL_BACK, "02:15", SUMMER),
                                      paris(FALL_BACK, "04:00", WINTER)),
    "across the skipped hour": (paris(SPRING_FORWARD, "01:30", WINTER),
                                paris(SPRING_FORWARD, "03:30", SUMMER)),
    "given in the skipped hour": (paris(SPRING_FORWARD, "02:30", WINTER),
                                  paris(SPRING_FORWARD, "04:00", SUMMER)),
}
READINGS = [{"graph.ambiguousLocalTime": "standard"},
            {"graph.ambiguousLocalTime": "daylight"},
            {"graph.nonexistentLocalTime": "reject"}]


@pytest.mark.parametrize("reading", READINGS, ids=lambda r: "=".join(*r.items()))
@pytest.mark.parametrize("case", list(CASES))
def test_an_item_keeps_its_true_instants(calendar: CalendarUnderTest, case: str,
                                         reading: dict[str, str]) -> None:
    calendar.sandbox.state.update_settings(reading)
    start, end = (datetime.fromisoformat(text) for text in CASES[case])
    wanted = draft(start=start, end=end, time_zone=PARIS)
    item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
    fetched = calendar.provider.get_item(item.item_id)
    for got in (item, fetched):
        assert got.start == start and got.end == end, (got.start, got.end)
        assert got.end - got.start == end - start
    moved = calendar.provider.update_fields(item.item_id, draft(
        start=start, end=end.replace(minute=45), time_zone=PARIS))
    assert moved.start == start and moved.end == end.replace(minute=45)


def test_unambiguous_times_keep_the_users_zone(clean_sandbox: SandboxRuntime) -> None:
    calendar = calendar_under_test(clean_sandbox, "graph")
    summer = draft(start=at(SUMMER_DAY, "08:00", UTC),
                   end=at(SUMMER_DAY, "09:00", UTC), time_zone=PARIS)
    item = calendar.provider.create_item(summer, idempotency_key=str(uuid.uuid4()))
    assert item.raw["originalStartTimeZone"] == PARIS
    assert item.raw["originalEndTimeZone"] == PARIS
    repeated = draft(start=datetime.fromisoformat(CASES["across the repeated hour"][0]),
                     end=datetime.fromisoformat(CASES["across the repeated hour"][1]),
                     time_zone=PARIS)
    item = calendar.provider.create_item(repeated, idempotency_key=str(uuid.uuid4()))
    assert item.raw["originalStartTimeZone"] == "UTC"  # a wall time would be ambiguous


# the repeated 02:30 read as standard (winter) time, or as daylight (summer) time; the
# skipped 02:30 with the offset before the change; a plain summer time
REPEATED = at(FALL_BACK, "02:30", PARIS)
SKIPPED = at(SPRING_FORWARD, "02:30", PARIS)
READ_AS_SET = [
    (wall(REPEATED), {"graph.ambiguousLocalTime": "standard"},
     z(datetime.fromisoformat(paris(FALL_BACK, "02:30", WINTER)))),
    (wall(REPEATED), {"graph.ambiguousLocalTime": "daylight"},
     z(datetime.fromisoformat(paris(FALL_BACK, "02:30", SUMMER)))),
    (wall(SKIPPED), {}, z(datetime.fromisoformat(paris(SPRING_FORWARD, "02:30", WINTER)))),
    (wall(at(SUMMER_DAY, "10:00", PARIS)), {}, z(at(SUMMER_DAY, "10:00", PARIS))),
]
LATER = wall(at(max(FALL_BACK, SPRING_FORWARD, SUMMER_DAY) + timedelta(days=31), "10:00",
                PARIS))  # an end after every start above


@pytest.mark.parametrize(("wall_time", "setting", "instant"), READ_AS_SET)
def test_the_emulator_reads_wall_times_as_set(clean_sandbox: SandboxRuntime, wall_time: str,
                                              setting: dict[str, str], instant: str) -> None:
    """What a client that sends wall times gets: the emulator's documented readings."""
    clean_sandbox.state.update_settings(setting)
    graph = calendar_under_test(clean_sandbox, "graph")
    assert isinstance(graph.provider, GraphCalendar)
    answer = _post(graph, wall_time, LATER)
    assert answer.status_code == 201, answer.text
    assert answer.json()["start"]["dateTime"].startswith(instant.rstrip("Z"))


def test_the_emulator_can_refuse_a_skipped_wall_time(clean_sandbox: SandboxRuntime) -> None:
    clean_sandbox.state.update_settings({"graph.nonexistentLocalTime": "reject"})
    graph = calendar_under_test(clean_sandbox, "graph")
    answer = _post(graph, wall(SKIPPED), wall(at(SPRING_FORWARD, "04:00", PARIS)))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "ErrorInvalidRequest"


def _post(graph: CalendarUnderTest, start: str, end: str) -> Any:
    provider = graph.provider
    assert isinstance(provider, GraphCalendar)
    token = provider.tokens.access_token()
    return graph.http.post(f"{provider.base}/events", headers={
        "Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'}, json={
        "subject": "wall time", "start": {"dateTime": start, "timeZone": PARIS},
        "end": {"dateTime": end, "timeZone": PARIS}})


@pytest.mark.parametrize(("zone_name", "forward"), [("America/Santiago", True),
                                                    ("Asia/Beirut", True),
                                                    ("Europe/Paris", False)])
def test_an_all_day_item_on_a_day_without_midnight(calendar: CalendarUnderTest,
                                                   zone_name: str, forward: bool) -> None:
    """Where clocks go forward at midnight the day starts at 01:00: an all-day item on that
    day is still a day (the Graph emulator refused it as not starting at midnight). (Paris:
    the night clocks go back, at 03:00.)"""
    first = dst_change(zone_name, forward=forward)
    if forward:  # the day found has no 00:30 there: its clocks go forward at midnight
        local = at(first, "00:30", zone_name)
        assert utc(local).astimezone(local.tzinfo).time() != local.time()
    wanted = draft(start=first, end=first + timedelta(days=1), is_all_day=True,
                   time_zone=zone_name)
    item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
    assert item.is_all_day and (item.start, item.end) == (first, first + timedelta(days=1))
    fetched = calendar.provider.get_item(item.item_id)
    assert (fetched.start, fetched.end) == (first, first + timedelta(days=1))
