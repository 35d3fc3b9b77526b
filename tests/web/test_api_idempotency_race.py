"""Ten concurrent creates with one Idempotency-Key: one Event, one appointment."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from addin.sandbox import SandboxRuntime
from tests.web.conftest import CLEO
from tests.web.test_api_events import BODY


def test_racing_duplicates_create_one_event(live_server: str,
                                            bearer: Callable[[str], dict[str, str]],
                                            clean_sandbox: SandboxRuntime) -> None:
    headers = {**bearer(CLEO), "Idempotency-Key": "race-key-1"}
    subject = "Race of ten"

    def create(_: int) -> tuple[int, Any]:
        response = requests.post(f"{live_server}/api/v1/events",
                                 json={**BODY, "subject": subject}, headers=headers, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(create, range(10)))
    assert {status for status, _ in results} == {201}
    assert len({body["event"]["id"] for _, body in results}) == 1
    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    events = [e for e in org.records["Event"].values() if e["Subject"] == subject]
    assert len(events) == 1
    calendar = clean_sandbox.apps["google"].extensions["google_calendar"]
    items = [i for i in calendar.store.live(CLEO) if i.resource.get("summary") == subject]
    assert len(items) == 1
