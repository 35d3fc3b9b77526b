"""Upstream API calls per user action and server-side time per request.

Runs the product against an in-process sandbox (real HTTP to the emulators) and prints,
for each sidebar action, how many requests each upstream service received and the
server-side time (median and 95th percentile) of the product's request.

    .venv/bin/python bench/api_actions.py [--runs 30] [--latency-ms 0]

--latency-ms adds that much latency to every emulated upstream request, to see how the
product behaves when the upstream is as slow as the real services (50-150 ms is typical).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import harness

from addin.sandbox import SandboxRuntime

BODY = {"subject": "Bench", "start": "2026-12-02T15:00:00+01:00",
        "end": "2026-12-02T15:45:00+01:00", "whoId": "003000000000001AAA",
        "whatId": "001000000000001AAA", "timeZone": "Europe/Paris"}


def measure(client: Any, sandbox: SandboxRuntime, action: Callable[[], Any], runs: int
            ) -> tuple[dict[str, float], list[float]]:
    sandbox.state.stats.reset()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = action()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.get_json()
    calls = {service: data["requests"] / runs
             for service, data in sandbox.state.stats.snapshot().items()}
    return calls, timings


def _each(event_ids: list[str], action: Callable[[str], Any]) -> Callable[[], Any]:
    """An action that works on the next event of ``event_ids`` at each call."""
    position = itertools.count()
    return lambda: action(event_ids[next(position)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    bench = harness.start(args.latency_ms)
    sandbox, client = bench.sandbox, bench.client
    print(f"runs per action: {args.runs}; emulated upstream latency: {args.latency_ms} ms")
    print(f"{'action':<34} {'Salesforce':>10} {'calendar':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for provider, email in harness.USERS.items():
        _, headers = bench.organizer(email)
        created: list[str] = []

        def create(headers: dict[str, str] = headers, created: list[str] = created) -> Any:
            response = client.post("/api/v1/events", json=BODY, headers={
                **headers, "Idempotency-Key": str(uuid.uuid4())})
            created.append(response.get_json()["event"]["id"])
            return response

        actions: list[tuple[str, Callable[[], Any]]] = [
            (f"create event ({provider})", create),
            (f"read event ({provider})", lambda h=headers, c=created: client.get(
                f"/api/v1/events/{c[0]}", headers=h)),
            (f"lookup records ({provider})", lambda h=headers: client.get(
                "/api/v1/records?q=Acme&types=Account,Opportunity", headers=h)),
            (f"context of 3 emails ({provider})", lambda h=headers: client.get(
                "/api/v1/context?emails=o'brien@acme.example,noah.smith@acme.example,"
                "liam.jones@globex.example", headers=h)),
            # each run edits another of the events created above
            (f"add 1 attendee ({provider})", _each(created, lambda event_id, h=headers:
                client.put(f"/api/v1/events/{event_id}/attendees", headers=h,
                           json={"attendees": [{"email": "o'brien@acme.example"}]}))),
            (f"add a 2nd, unlinked ({provider})", _each(created, lambda event_id, h=headers:
                client.put(f"/api/v1/events/{event_id}/attendees", headers=h,
                           json={"attendees": [{"email": "o'brien@acme.example"},
                                               {"email": "walk.in@unlinked.example"}]}))),
            (f"remove 1 attendee ({provider})", _each(created, lambda event_id, h=headers:
                client.put(f"/api/v1/events/{event_id}/attendees", headers=h,
                           json={"attendees": [{"email": "walk.in@unlinked.example"}]}))),
            (f"cancel event ({provider})", _each(created, lambda event_id, h=headers:
                client.delete(f"/api/v1/events/{event_id}", headers=h))),
        ]
        for name, action in actions:
            calls, timings = measure(client, sandbox, action, args.runs)
            ordered = sorted(timings)
            p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
            print(f"{name:<34} {calls.get('salesforce', 0):>10.1f} "
                  f"{calls.get(provider, 0):>9.1f} {statistics.median(timings):>8.1f} "
                  f"{p95:>8.1f}")
    sandbox.stop()


if __name__ == "__main__":
    main()
