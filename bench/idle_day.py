"""Salesforce API requests an idle user costs per day: every seeded organizer with N
mirrored events and nothing changing, polled every --interval seconds for --hours, once
with Salesforce change events flowing (a scheduled poll reads Salesforce at most hourly,
the others only the calendar) and once without them (every poll reads both sides).

Real passes against the in-process sandbox; the clock is moved with time-machine from one
poll to the next. The change-event streams' keep-alives (one every 270 s at most, which
store the stream's position) are played by writing that position's time at each step,
rather than by a listener running under a moved clock. Only REST API requests count
(OAuth token refreshes are not API calls).

    .venv/bin/python bench/idle_day.py [--events 50] [--hours 24] [--interval 60]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import harness
import time_machine
from sqlalchemy import select, update

from addin.services.change_events import TOPICS, poll_reason, store_replay
from addin.services.sync_pass import sync_user
from addin.store.models import ChangeEventCursor, User


def api_requests(snapshot: dict[str, dict[str, object]], service: str) -> int:
    ops = snapshot.get(service, {}).get("byOperation", {})
    assert isinstance(ops, dict)
    return sum(int(n) for op, n in ops.items() if "token" not in str(op).lower())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--interval", type=int, default=60)
    args = parser.parse_args()
    bench = harness.start()
    users: dict[str, tuple[int, int]] = {}
    for provider, email in harness.USERS.items():
        user_id, headers = bench.organizer(email)
        for n in range(args.events):
            answer = bench.client.post("/api/v1/events", headers=headers, json={
                "subject": f"Idle {n}", "start": f"2026-12-{1 + n % 28:02d}T10:00:00Z",
                "end": f"2026-12-{1 + n % 28:02d}T10:30:00Z"})
            assert answer.status_code == 201, answer.json
        with bench.services.db.session() as session:
            organization_id = int(session.scalar(select(User.organization_id).where(
                User.id == user_id)))
        users[provider] = (user_id, organization_id)
        sync_user(bench.services, user_id, "poll")  # the first pass after the creates
    steps = int(args.hours * 3600 / args.interval)
    print(f"{len(users)} users x {args.events} mirrored events, idle; a poll every "
          f"{args.interval} s for {args.hours:g} h ({steps} polls per user)")
    for label, streamed in (("with change events", True), ("poll only", False)):
        bench.services.settings = replace(
            bench.services.settings, salesforce_change_events=streamed)
        start = datetime.now(UTC) + timedelta(minutes=1)
        for _user_id, organization_id in users.values():
            for topic in TOPICS:
                store_replay(bench.services, organization_id, topic, b"\0" * 8)
        bench.sandbox.state.stats.reset()
        reasons: dict[str, int] = {}
        for step in range(steps):
            moment = start + timedelta(seconds=step * args.interval)
            with time_machine.travel(moment, tick=False):
                with bench.services.db.session() as session:  # the keep-alives
                    session.execute(update(ChangeEventCursor).values(updated_at=moment))
                for user_id, organization_id in users.values():
                    reason = poll_reason(bench.services, user_id, organization_id, moment)
                    reasons[reason] = reasons.get(reason, 0) + 1
                    report = sync_user(bench.services, user_id, reason)
                    assert not report.failed, report.failed
        snapshot = bench.sandbox.state.stats.snapshot()
        per_day = 24 / args.hours / len(users)
        salesforce = api_requests(snapshot, "salesforce") * per_day
        calendar = sum(api_requests(snapshot, s) for s in ("graph", "google", "ews")) * per_day
        print(f"{label:<18} Salesforce {salesforce:7.0f} / user / day, calendar "
              f"{calendar:7.0f} / user / day; passes {reasons}")
        start += timedelta(hours=args.hours + 1)
    bench.sandbox.stop()


if __name__ == "__main__":
    main()
