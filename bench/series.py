"""Upstream requests to create and to sync a series of 52 weekly occurrences, next to a
single event (target: the same order, not 52x).

    .venv/bin/python bench/series.py

For each calendar service: the create (Salesforce series + ONE calendar series), a first
sync pass (pairs the occurrences), adding an attendee to the whole series (one invitation;
the 52 Salesforce occurrences in one composite), a pass after one occurrence moved in
Salesforce (the exception reaches the calendar), and a pass with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import harness

from addin.services.sync_pass import sync_user

FIRST = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
    days=3)
GUEST = "o'brien@acme.example"


def counted(bench: harness.Bench, action: Callable[[], Any]) -> dict[str, float]:
    bench.sandbox.state.stats.reset()
    action()
    stats = bench.sandbox.state.stats.snapshot()
    return {name: value.get("requests", 0) for name, value in stats.items()}


def measure(bench: harness.Bench, provider: str, user_id: int, headers: dict[str, str],
            label: str, body: dict[str, Any]) -> None:
    client = bench.client
    created: list[dict[str, Any]] = []

    def create() -> None:
        created.append(client.post("/api/v1/events", json=body, headers=headers).get_json())

    def add_attendee() -> None:
        client.put(f"/api/v1/events/{created[0]['event']['id']}/attendees", headers=headers,
                   json={"attendees": [{"email": GUEST}]})

    def sync() -> None:
        sync_user(bench.services, user_id, "bench")

    for step, action in (("create", create), ("first sync pass", sync),
                         ("add 1 attendee", add_attendee),
                         ("sync pass, nothing changed", sync)):
        bench.sandbox.state.mail.clear()
        counts = counted(bench, action)
        mails = len(bench.sandbox.state.mail.messages())
        print(f"{provider + ' ' + label + ': ' + step:<44} "
              f"{counts.get('salesforce', 0):>10.0f} {counts.get(provider, 0):>9.0f} "
              f"{mails:>6}")


def main() -> None:
    bench = harness.start()
    print(f"{'action':<44} {'Salesforce':>10} {'calendar':>9} {'mails':>6}")
    for provider, email in harness.USERS.items():
        user_id, headers = bench.organizer(email)
        for label, rule in (("single event", None), ("52 weekly", "FREQ=WEEKLY;COUNT=52")):
            body: dict[str, Any] = {
                "subject": f"Bench {label}", "start": FIRST.isoformat(),
                "end": (FIRST + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"}
            if rule:
                body["recurrence"] = rule
            measure(bench, provider, user_id, headers, label, body)


if __name__ == "__main__":
    main()
