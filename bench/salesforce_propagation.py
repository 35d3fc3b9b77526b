"""Propagation time from Salesforce to the calendar: an invitee added to the Event in
Salesforce (the sandbox UI action) until the mirrored calendar item has them as an
attendee, with the worker and the sandbox over real HTTP and gRPC. Two ways, in one run:

- change events: the Pub/Sub API listener wakes the owner's sync at once;
- poll only: change events off, the organization's poll interval (--poll seconds).

    .venv/bin/python bench/salesforce_propagation.py [--runs 10] [--poll 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace

import harness
import requests
from sqlalchemy import select

from addin import create_app
from addin.accounts.clients import open_calendar
from addin.accounts.identity import load_user
from addin.cli.commands import start_worker
from addin.config import settings_for_tests
from addin.sandbox import SandboxRuntime
from addin.services.org_settings import update_org_settings
from addin.store.models import User

GUESTS = ["o'brien@acme.example", "noah.smith@acme.example", "liam.jones@globex.example",
          "emma.brown@initech.example"]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * share) - 1)]


def measure(runs: int, change_events: bool, poll_seconds: int) -> dict[str, list[float]]:
    folder = tempfile.mkdtemp()
    sandbox = SandboxRuntime(folder).start()
    settings = settings_for_tests(folder + "/instance")
    settings = replace(settings, salesforce_change_events=change_events)
    app = create_app(settings, sandbox=sandbox)
    services = app.extensions["addin"]
    client = app.test_client()
    http = requests.Session()
    http.verify, http.trust_env = sandbox.ca_path, False
    with services.db.session() as session:
        organization_id = session.scalar(select(User.organization_id).limit(1))
    update_org_settings(services, organization_id, {"pollIntervalSeconds": poll_seconds})
    worker = start_worker(services)
    time.sleep(1.5)  # the streams subscribe
    results: dict[str, list[float]] = {}
    for provider, email in harness.USERS.items():
        with services.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.email == email))
        user = load_user(services, user_id)
        assert user is not None
        calendar = open_calendar(services, user)
        headers = {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}
        samples = []
        for run in range(runs):
            view = client.post("/api/v1/events", headers=headers, json={
                "subject": f"Propagation {run}", "start": "2026-12-09T10:00:00Z",
                "end": "2026-12-09T10:30:00Z"}).json
            event_id, item_id = view["event"]["id"], view["mirror"]["itemId"]
            guest = GUESTS[run % len(GUESTS)]
            time.sleep(0.2)
            started = time.monotonic()
            http.post(f"{sandbox.origins['salesforce']}/sandbox-ui/events/{event_id}/invitees",
                      json={"add": [guest]}).raise_for_status()
            while time.monotonic() - started < poll_seconds * 3 + 30:
                item = calendar.get_item(item_id)
                if any(a.email.lower() == guest for a in item.attendees):
                    break
                time.sleep(0.05)
            samples.append(time.monotonic() - started)
        results[provider] = samples
    worker.stop()
    sandbox.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--poll", type=int, default=10, help="poll interval, seconds")
    args = parser.parse_args()
    print(f"Salesforce -> calendar, {args.runs} runs per provider; poll every {args.poll} s")
    for label, change_events in (("change events", True), ("poll only", False)):
        for provider, samples in measure(args.runs, change_events, args.poll).items():
            print(f"{label:<14} {provider:<7} p50 {statistics.median(samples):.2f} s, "
                  f"p95 {percentile(samples, 0.95):.2f} s, max {max(samples):.2f} s")


if __name__ == "__main__":
    main()
