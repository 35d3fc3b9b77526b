"""Salesforce change events -> sync requests, through the sandbox's Pub/Sub API over real
gRPC: changes made in Salesforce wake the owner's sync at once, the product's own writes
cost nothing, a restart resumes from the stored replay id, an expired one syncs everyone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import delete, select

from addin.providers.salesforce.client import CALL_OPTIONS_CLIENT
from addin.providers.salesforce.pubsub import ChangeEvent
from addin.sandbox import SandboxRuntime
from addin.services.change_events import (
    GAP_REASON,
    REASON,
    TOPICS,
    ChangeListener,
    stored_replay,
    users_to_sync,
)
from addin.store.models import SyncRequest, User
from tests.services.scenario import GUEST, Scenario


@pytest.fixture
def quick_keep_alive(clean_sandbox: SandboxRuntime) -> SandboxRuntime:
    clean_sandbox.state.update_settings({"salesforce.pubsub.keepAliveSeconds": 1})
    return clean_sandbox


@pytest.fixture
def listen(services: Any, quick_keep_alive: SandboxRuntime
           ) -> Iterator[Callable[[], list[ChangeListener]]]:
    started: list[ChangeListener] = []

    def start() -> list[ChangeListener]:
        with services.db.session() as session:
            organization_id = session.scalar(select(User.organization_id).limit(1))
        listeners = [ChangeListener(services, organization_id, topic).start()
                     for topic in TOPICS]
        for listener in listeners:
            assert listener.connected.wait(10), "the stream did not start"
        started.extend(listeners)
        return listeners

    yield start
    for listener in started:
        listener.stop()


def _requests(services: Any) -> dict[int, str]:
    with services.db.session() as session:
        return {row.user_id: row.reason for row in session.scalars(select(SyncRequest))}


def _clear(services: Any) -> None:
    with services.db.session() as session:
        session.execute(delete(SyncRequest))


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _caught_up(services: Any, sandbox: SandboxRuntime, organization_id: int) -> bool:
    latest = sandbox.apps["salesforce"].extensions["salesforce_changes"].latest_replay()
    return all(int.from_bytes(stored_replay(services, organization_id, topic) or b"", "big")
               >= latest for topic in TOPICS)


def test_a_change_in_salesforce_wakes_the_owners_sync(
        scenario: Callable[[str, str], Scenario], services: Any,
        listen: Callable[[], list[ChangeListener]]) -> None:
    world = scenario("graph", "lightning")
    listen()
    _clear(services)
    world.change("salesforce", [], {"add": [GUEST]}, then_sync=False)
    assert _wait_for(lambda: _requests(services).get(world.user.id) == REASON)
    assert set(_requests(services)) == {world.user.id}  # nobody else


def test_the_products_own_writes_cost_nothing(
        scenario: Callable[[str, str], Scenario], services: Any,
        listen: Callable[[], list[ChangeListener]], quick_keep_alive: SandboxRuntime) -> None:
    world = scenario("google", "classic")
    listeners = listen()
    _clear(services)
    world.change("sidebar", [GUEST], {})
    assert _wait_for(lambda: _caught_up(services, quick_keep_alive,
                                        listeners[0].organization_id))
    assert _requests(services) == {}


def test_a_restart_resumes_after_the_stored_replay_id(
        scenario: Callable[[str, str], Scenario], services: Any,
        listen: Callable[[], list[ChangeListener]]) -> None:
    world = scenario("graph", "classic")
    for listener in listen():
        listener.stop()
    _clear(services)
    world.change("salesforce", [], {"add": [GUEST]}, then_sync=False)  # while down
    listen()
    assert _wait_for(lambda: _requests(services).get(world.user.id) == REASON)


def test_an_expired_replay_id_syncs_everyone(
        scenario: Callable[[str, str], Scenario], services: Any,
        listen: Callable[[], list[ChangeListener]], quick_keep_alive: SandboxRuntime) -> None:
    world = scenario("google", "lightning")
    for listener in listen():
        listener.stop()
    quick_keep_alive.state.update_settings({"salesforce.changeEvents.retention": 1})
    for _ in range(3):  # while down, more than the bus keeps
        world.change("salesforce", [], {"add": [GUEST]}, then_sync=False)
        world.change("salesforce", [], {"remove": [GUEST]}, then_sync=False)
    _clear(services)
    listen()
    assert _wait_for(lambda: _requests(services).get(world.user.id) == GAP_REASON)


def _event(entity: str, change: str, ids: list[str], origin: str = "",
           **fields: Any) -> ChangeEvent:
    return ChangeEvent(replay_id=b"\0" * 8, entity=entity, change_type=change,
                       record_ids=ids, change_origin=origin, commit_user="005",
                       fields=fields, changed_fields=list(fields))


def test_what_each_event_means(scenario: Callable[[str, str], Scenario],
                               services: Any) -> None:
    world = scenario("graph", "lightning")
    organization_id = world.user.organization_id
    ours = f"com/salesforce/api/rest/62.0;client={CALL_OPTIONS_CLIENT}"
    assert users_to_sync(services, organization_id,
                         [_event("Event", "UPDATE", [world.event_id], ours)]) == (set(), False)
    assert users_to_sync(services, organization_id,
                         [_event("Event", "UPDATE", [world.event_id])]) == ({world.user.id},
                                                                           False)
    relation = _event("EventRelation", "CREATE", ["0RE1"], EventId=world.event_id)
    assert users_to_sync(services, organization_id, [relation]) == ({world.user.id}, False)
    unplaced = _event("EventRelation", "DELETE", ["0RE1"])
    assert users_to_sync(services, organization_id, [unplaced]) == (set(), True)
    overflow = _event("Event", "GAP_OVERFLOW", [])
    assert users_to_sync(services, organization_id, [overflow])[1] is True
    unknown = _event("Event", "UPDATE", ["00U000000000000AAA"])
    assert users_to_sync(services, organization_id, [unknown]) == (set(), False)


def test_listeners_of_every_connected_organization(services: Any,
                                                   quick_keep_alive: SandboxRuntime) -> None:
    from addin.services.change_events import start_listeners

    listeners = start_listeners(services)
    try:
        with services.db.session() as session:
            organization_id = session.scalar(select(User.organization_id).limit(1))
        assert set(listeners.running) == {(organization_id, topic) for topic in TOPICS}
        assert _wait_for(lambda: listeners.healthy(organization_id))
        assert listeners.refresh() == 0  # nothing new to start
    finally:
        listeners.stop()
    assert not listeners.healthy(organization_id)


def test_polls_read_salesforce_hourly_while_change_events_flow(
        scenario: Callable[[str, str], Scenario], services: Any,
        listen: Callable[[], list[ChangeListener]], quick_keep_alive: SandboxRuntime) -> None:
    from addin.services.change_events import poll_reason
    from addin.services.sync_pass import CALENDAR_POLL, sync_user

    world = scenario("graph", "lightning")
    organization_id = world.user.organization_id
    sync_user(services, world.user.id, "poll")
    assert poll_reason(services, world.user.id, organization_id) == "poll"  # no streams
    listen()
    sync_user(services, world.user.id, "poll")  # reads Salesforce: its cursor is fresh
    assert poll_reason(services, world.user.id, organization_id) == CALENDAR_POLL
    quick_keep_alive.state.stats.reset()
    report = sync_user(services, world.user.id, CALENDAR_POLL)
    assert report.failed == {}
    stats = quick_keep_alive.state.stats.snapshot()
    assert stats.get("salesforce", {}).get("requests", 0) == 0
    assert stats["graph"]["requests"] == 1  # the calendar's delta: nothing changed
    services.settings = replace(services.settings, salesforce_poll_with_change_events_seconds=1)
    time.sleep(1.1)  # the Salesforce side was read more than that long ago
    assert poll_reason(services, world.user.id, organization_id) == "poll"
    services.settings = replace(services.settings, salesforce_change_events=False)
    services.settings = replace(services.settings, salesforce_poll_with_change_events_seconds=3600)
    assert poll_reason(services, world.user.id, organization_id) == "poll"
