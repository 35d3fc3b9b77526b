"""Pass cost against the number of mirrored events: does a pass depend on the events that
did not change? For each calendar service and each mirror count it:

- creates --changed events through the API (each a Salesforce Event and a calendar item);
- adds unchanged mirrors up to the count (rows of the product's store naming Events and
  items nobody touches: what a pass must not look at; the sandbox is not filled with them,
  so its own time to scan an org stays out of the figures);
- runs an idle pass, then changes the --changed events in Salesforce (an invitee added in
  the Salesforce UI) and runs the pass that reconciles them.

It prints upstream requests (the sandbox's stats: a batch or composite is one request, as
the vendors count it) and the pass time, per pass and per changed event.

    .venv/bin/python bench/pass_scaling.py [--mirrors 1000 10000] [--changed 50]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import harness
import requests

from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import CLOCK_SKEW, sync_user
from addin.store.models import MirroredEvent

GUEST = "o'brien@acme.example"


def unchanged_mirrors(services: Any, user_id: int, provider: str, start: int, count: int
                      ) -> None:
    rows = [MirroredEvent(
        user_id=user_id, salesforce_event_id=f"00U{provider[:2]}{number:013d}",
        provider=provider, calendar_item_id=f"unchanged-{provider}-{number}",
        calendar_etag=f'W/"etag{number}"', state="mirrored", base_attendees=[],
        base_fields={"subject": f"Unchanged {number}", "start": "2026-12-14T10:00:00+00:00",
                     "end": "2026-12-14T10:30:00+00:00", "isAllDay": False})
        for number in range(start, start + count)]
    with services.db.session() as session:
        session.add_all(rows)


def measured(services: Any, sandbox: SandboxRuntime, user_id: int, reason: str
             ) -> tuple[int, dict[str, int], float]:
    sandbox.state.stats.reset()
    started = time.perf_counter()
    report = sync_user(services, user_id, reason)
    elapsed = time.perf_counter() - started
    assert not report.failed, report.failed
    return (len(report.reconciled),
            {s: d["requests"] for s, d in sandbox.state.stats.snapshot().items()}, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--changed", type=int, default=50)
    args = parser.parse_args()
    print(f"{'pass':<34} {'mirrors':>7} {'reconciled':>10} {'Salesforce':>10} "
          f"{'calendar':>8} {'seconds':>8} {'ms/changed':>10}")
    for provider in ("graph", "google"):
        bench = harness.start()
        sandbox, services, client = bench.sandbox, bench.services, bench.client
        http = requests.Session()
        http.verify, http.trust_env = sandbox.ca_path, False
        user_id, headers = bench.organizer(harness.USERS[provider])
        created = 0
        for mirrors in sorted(args.mirrors):
            changed = []
            for number in range(args.changed):
                view = client.post("/api/v1/events", headers=headers, json={
                    "subject": f"Scaling {mirrors}-{number}",
                    "start": "2026-12-14T10:00:00Z", "end": "2026-12-14T10:30:00Z"}).get_json()
                changed.append(view["event"]["id"])
            unchanged_mirrors(services, user_id, provider, created,
                              mirrors - args.changed - created)
            created = mirrors - args.changed
            time.sleep(CLOCK_SKEW.total_seconds() + 1)
            sync_user(services, user_id, "settle")  # the creates' echoes
            time.sleep(CLOCK_SKEW.total_seconds() + 1)
            reconciled, calls, seconds = measured(services, sandbox, user_id, "poll")
            print(f"{'idle (' + provider + ')':<34} {mirrors:>7} {reconciled:>10} "
                  f"{calls.get('salesforce', 0):>10} {calls.get(provider, 0):>8} "
                  f"{seconds:>8.2f} {'':>10}")
            for event_id in changed:
                http.post(f"{sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/"
                          "invitees", json={"add": [GUEST]}).raise_for_status()
            reconciled, calls, seconds = measured(services, sandbox, user_id, "poll")
            print(f"{f'{args.changed} Salesforce changes ({provider})':<34} {mirrors:>7} "
                  f"{reconciled:>10} {calls.get('salesforce', 0):>10} "
                  f"{calls.get(provider, 0):>8} {seconds:>8.2f} "
                  f"{1000 * seconds / max(reconciled, 1):>10.1f}")
            time.sleep(CLOCK_SKEW.total_seconds() + 1)
        sandbox.stop()


if __name__ == "__main__":
    main()
