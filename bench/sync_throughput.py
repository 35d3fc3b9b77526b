"""Sync throughput: one user's sync pass over many mirrored events, against the sandbox
over real HTTP.

For each provider it creates --events mirrored events, then measures three passes:
- idle: nothing changed anywhere (the cost of polling: upstream requests, seconds);
- Salesforce: an invitee added through the Salesforce UI to --changed events;
- calendar: an attendee added in Outlook / Google Calendar to --changed other events.
It prints upstream requests per pass and per changed event, the pass time, and events
reconciled per second.

    .venv/bin/python bench/sync_throughput.py [--events 200] [--changed 50] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import harness
import requests

from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import CLOCK_SKEW, PassReport, sync_user

GUEST = "o'brien@acme.example"


def timed_pass(services: Any, sandbox: SandboxRuntime, user_id: int
               ) -> tuple[PassReport, float, dict[str, int]]:
    sandbox.state.stats.reset()
    started = time.perf_counter()
    report = sync_user(services, user_id, "bench")
    elapsed = time.perf_counter() - started
    calls = {s: d["requests"] for s, d in sandbox.state.stats.snapshot().items()}
    assert not report.failed, report.failed
    return report, elapsed, calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    bench = harness.start(args.latency_ms)
    sandbox, services, client = bench.sandbox, bench.services, bench.client
    http = requests.Session()
    http.verify, http.trust_env = sandbox.ca_path, False
    print(f"{args.events} mirrored events per user, {args.changed} changed per pass, "
          f"emulated upstream latency {args.latency_ms} ms")
    print(f"{'pass':<28} {'reconciled':>10} {'Salesforce':>10} {'calendar':>9} "
          f"{'seconds':>8} {'events/s':>9}")
    for provider, email in harness.USERS.items():
        user_id, headers = bench.organizer(email)
        mirrored: list[tuple[str, str]] = []
        for number in range(args.events):
            view = client.post("/api/v1/events", headers=headers, json={
                "subject": f"Throughput {number}", "start": "2026-12-14T10:00:00Z",
                "end": "2026-12-14T10:30:00Z"}).get_json()
            mirrored.append((view["event"]["id"], view["mirror"]["itemId"]))
        time.sleep(CLOCK_SKEW.total_seconds() + 1)
        sync_user(services, user_id, "warm-up")  # cursors exist from here on

        def in_salesforce(event_id: str, _item: str) -> None:
            http.post(f"{sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/invitees",
                      json={"add": [GUEST]}).raise_for_status()

        def in_calendar(_event: str, item_id: str, provider: str = provider,
                        email: str = email) -> None:
            url, body = harness.calendar_edit(sandbox.origins, provider, email, item_id, GUEST)
            http.post(url, json=body).raise_for_status()

        passes: list[tuple[str, Callable[[str, str], None] | None, list[tuple[str, str]]]] = [
            ("idle", None, []),
            ("Salesforce changes", in_salesforce, mirrored[: args.changed]),
            ("calendar changes", in_calendar, mirrored[args.changed: 2 * args.changed]),
        ]
        for name, change, targets in passes:
            # past the pass's clock-skew overlap, so only this pass's changes (and the echo
            # of the product's own writes to Salesforce in the previous pass) are seen
            time.sleep(CLOCK_SKEW.total_seconds() + 1)
            for event_id, item_id in targets:
                assert change is not None
                change(event_id, item_id)
            report, elapsed, calls = timed_pass(services, sandbox, user_id)
            assert len(report.reconciled) >= len(targets)
            rate = len(report.reconciled) / elapsed if report.reconciled else 0.0
            print(f"{name + f' ({provider})':<28} {len(report.reconciled):>10} "
                  f"{calls.get('salesforce', 0):>10} {calls.get(provider, 0):>9} "
                  f"{elapsed:>8.2f} {rate:>9.1f}")
    sandbox.stop()


if __name__ == "__main__":
    main()
