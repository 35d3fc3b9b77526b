"""The worker pass: notified users first, polls by interval, failures isolated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from addin.jobs.worker import Worker
from addin.services.push import request_sync
from addin.store.models import Organization, User
from tests.clock import NOW


@pytest.fixture
def two_users(services: Any) -> list[int]:
    with services.db.session() as session:
        org = Organization(salesforce_org_id="00D0000000000ACEAA", name="o",
                           settings={"pollIntervalSeconds": 120})
        session.add(org)
        session.flush()
        users = [User(organization_id=org.id, email=f"w{i}@org.example",
                      salesforce_user_id=f"0050000000000W{i}AAA",
                      calendar_provider="graph") for i in range(2)]
        session.add_all(users)
        session.flush()
        return [u.id for u in users]


def test_pass_syncs_requests_and_polls_on_interval(services: Any, two_users: list[int]) -> None:
    calls: list[tuple[int, str]] = []
    first, second = two_users

    def sync(_services: Any, user_id: int, reason: str) -> None:
        if user_id in two_users:  # the sandbox's seeded users are in the database too
            calls.append((user_id, reason))

    worker = Worker(services, sync_user=sync)
    request_sync(services, first, "graph:updated")
    start = NOW  # the passes' own clock, from the suite's
    worker.run_pass(now=start)
    assert sorted(calls) == [(first, "graph:updated"), (second, "poll")]
    calls.clear()
    worker.run_pass(now=start + timedelta(seconds=60))  # within the org's 120 s interval
    assert calls == []
    request_sync(services, second, "google:exists")
    worker.run_pass(now=start + timedelta(seconds=61))
    assert calls == [(second, "google:exists")]
    calls.clear()
    worker.run_pass(now=start + timedelta(seconds=121))
    assert calls == [(first, "poll")]


def test_people_still_onboarding_are_not_polled(services: Any, two_users: list[int]
                                                 ) -> None:
    with services.db.session() as session:
        newcomer = User(organization_id=session.get(User, two_users[0]).organization_id,
                        email="new@org.example", calendar_provider="graph")
        session.add(newcomer)
        session.flush()
        newcomer_id = newcomer.id
    polled: list[int] = []
    worker = Worker(services, sync_user=lambda _s, user_id, _r: polled.append(user_id))
    worker.run_pass(now=NOW)
    assert set(two_users) <= set(polled) and newcomer_id not in polled


def test_one_failing_user_does_not_stop_the_others(services: Any, two_users: list[int]) -> None:
    first, second = two_users
    done: list[int] = []

    def sync(_services: Any, user_id: int, _reason: str) -> None:
        if user_id == first:
            raise RuntimeError("upstream down")
        if user_id == second:
            done.append(user_id)

    outbox_runs: list[int] = []
    worker = Worker(services, sync_user=sync,
                    pass_jobs=[lambda _s: outbox_runs.append(1) or 3])
    result = worker.run_pass()
    assert done == [second]
    assert result.failed == {first: "RuntimeError: upstream down"}
    assert result.pass_jobs_done == 3 and outbox_runs == [1]


def test_background_thread_wakes_on_demand(services: Any, two_users: list[int]) -> None:
    import threading

    seen = threading.Event()
    worker = Worker(services, sync_user=lambda *_: seen.set(), idle_seconds=30)
    worker.start()
    try:
        assert seen.wait(5)  # the first pass polls everyone
        seen.clear()
        request_sync(services, two_users[0], "graph:created")
        worker.wake()
        assert seen.wait(5)
    finally:
        worker.stop()


def test_a_lifecycle_request_renews_the_subscription_before_syncing(
        services: Any, two_users: list[int]) -> None:
    calls: list[tuple[str, int]] = []
    first, _second = two_users

    def sync(_services: Any, user_id: int, reason: str) -> None:
        if user_id == first:
            calls.append(("sync", user_id))

    def keep_subscribed(_services: Any, user_id: int, reason: str) -> None:
        if user_id == first:
            calls.append(("subscribe", user_id))

    worker = Worker(services, sync_user=sync, keep_subscribed=keep_subscribed)
    start = NOW  # the passes' own clock, from the suite's
    worker.run_pass(now=start)  # the first pass checks every subscription once
    calls.clear()
    request_sync(services, first, "resubscribe:removed")
    worker.run_pass(now=start + timedelta(seconds=1))
    assert calls == [("subscribe", first), ("sync", first)]
