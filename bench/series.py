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


def main() -> None:
    bench = harness.start()
    client = bench.client
    print(f"{'action':<44} {'Salesforce':>10} {'calendar':>9} {'mails':>6}")
    for provider, email in harness.USERS.items():
        user_id, headers = bench.organizer(email)
        for label, rule in (("single event", None), ("52 weekly", "FREQ=WEEKLY;COUNT=52")):
            body: dict[str, Any] = {
                "subject": f"Bench {label}", "start": FIRST.isoformat(),
                "end": (FIRST + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"}
            if rule:
                body["recurrence"] = rule
            created: list[dict[str, Any]] = []
            steps: list[tuple[str, Callable[[], Any]]] = [
                ("create", lambda b=body, c=created: c.append(client.post(
                    "/api/v1/events", json=b, headers=headers).get_json())),
                ("first sync pass", lambda: sync_user(bench.services, user_id, "bench")),
                ("add 1 attendee", lambda c=created: client.put(
                    f"/api/v1/events/{c[0]['event']['id']}/attendees", headers=headers,
                    json={"attendees": [{"email": GUEST}]})),
                ("sync pass, nothing changed", lambda: sync_user(bench.services, user_id,
                                                                 "bench")),
            ]
            for step, action in steps:
                bench.sandbox.state.mail.clear()
                counts = counted(bench, action)
                mails = len(bench.sandbox.state.mail.messages())
                print(f"{provider + ' ' + label + ': ' + step:<44} "
                      f"{counts.get('salesforce', 0):>10.0f} "
                      f"{counts.get(provider, 0):>9.0f} {mails:>6}")


if __name__ == "__main__":
    main()
