"""Daylight-saving transitions, against every calendar provider and both readings of a
wall time the Graph emulator can be set to: an item keeps its true instants.

A wall time without an offset (Graph's dateTimeTimeZone) on the night clocks go back names
two instants; the Graph provider used to send the wall time, and Outlook read the second
02:30 as the first: a meeting ending at 2027-10-31T02:30:00+01:00 became zero-length."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from addin.providers.graph import GraphCalendar
from addin.sandbox import SandboxRuntime
from tests.providers.conftest import CalendarUnderTest, calendar_under_test
from tests.providers.test_calendar_contract import draft

PARIS = "Europe/Paris"
# (start, end): fall back in Paris repeats 02:00-03:00 on 2027-10-31; spring forward skips
# 02:00-03:00 on 2027-03-28 (given with offsets, so each names one instant)
CASES = {
    "across the repeated hour": ("2027-10-31T02:30:00+02:00", "2027-10-31T02:30:00+01:00"),
    "ending in the repeated hour": ("2027-10-31T01:30:00+02:00", "2027-10-31T02:30:00+01:00"),
    "starting in the repeated hour": ("2027-10-31T02:15:00+02:00", "2027-10-31T04:00:00+01:00"),
    "across the skipped hour": ("2027-03-28T01:30:00+01:00", "2027-03-28T03:30:00+02:00"),
    "given in the skipped hour": ("2027-03-28T02:30:00+01:00", "2027-03-28T04:00:00+02:00"),
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
    summer = draft(start=datetime(2027, 7, 1, 8, 0, tzinfo=UTC),
                   end=datetime(2027, 7, 1, 9, 0, tzinfo=UTC), time_zone=PARIS)
    item = calendar.provider.create_item(summer, idempotency_key=str(uuid.uuid4()))
    assert item.raw["originalStartTimeZone"] == PARIS
    assert item.raw["originalEndTimeZone"] == PARIS
    repeated = draft(start=datetime.fromisoformat(CASES["across the repeated hour"][0]),
                     end=datetime.fromisoformat(CASES["across the repeated hour"][1]),
                     time_zone=PARIS)
    item = calendar.provider.create_item(repeated, idempotency_key=str(uuid.uuid4()))
    assert item.raw["originalStartTimeZone"] == "UTC"  # a wall time would be ambiguous


@pytest.mark.parametrize(("wall", "setting", "instant"), [
    ("2027-10-31T02:30:00", {"graph.ambiguousLocalTime": "standard"}, "2027-10-31T01:30:00Z"),
    ("2027-10-31T02:30:00", {"graph.ambiguousLocalTime": "daylight"}, "2027-10-31T00:30:00Z"),
    ("2027-03-28T02:30:00", {}, "2027-03-28T01:30:00Z"),
    ("2027-07-01T10:00:00", {}, "2027-07-01T08:00:00Z"),
])
def test_the_emulator_reads_wall_times_as_set(clean_sandbox: SandboxRuntime, wall: str,
                                              setting: dict[str, str], instant: str) -> None:
    """What a client that sends wall times gets: the emulator's documented readings."""
    clean_sandbox.state.update_settings(setting)
    graph = calendar_under_test(clean_sandbox, "graph")
    assert isinstance(graph.provider, GraphCalendar)
    answer = _post(graph, wall, "2027-12-01T10:00:00")
    assert answer.status_code == 201, answer.text
    assert answer.json()["start"]["dateTime"].startswith(instant.rstrip("Z"))


def test_the_emulator_can_refuse_a_skipped_wall_time(clean_sandbox: SandboxRuntime) -> None:
    clean_sandbox.state.update_settings({"graph.nonexistentLocalTime": "reject"})
    graph = calendar_under_test(clean_sandbox, "graph")
    answer = _post(graph, "2027-03-28T02:30:00", "2027-03-28T04:00:00")
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


@pytest.mark.parametrize(("zone_name", "day"), [("America/Santiago", "2026-09-06"),
                                                ("Asia/Beirut", "2026-03-29"),
                                                ("Europe/Paris", "2027-10-31")])
def test_an_all_day_item_on_a_day_without_midnight(calendar: CalendarUnderTest,
                                                   zone_name: str, day: str) -> None:
    """Where clocks go forward at midnight the day starts at 01:00: an all-day item on that
    day is still a day (the Graph emulator refused it as not starting at midnight)."""
    from datetime import date, timedelta

    first = date.fromisoformat(day)
    wanted = draft(start=first, end=first + timedelta(days=1), is_all_day=True,
                   time_zone=zone_name)
    item = calendar.provider.create_item(wanted, idempotency_key=str(uuid.uuid4()))
    assert item.is_all_day and (item.start, item.end) == (first, first + timedelta(days=1))
    fetched = calendar.provider.get_item(item.item_id)
    assert (fetched.start, fetched.end) == (first, first + timedelta(days=1))
