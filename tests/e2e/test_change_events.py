"""Change events across processes: a standalone `addin sandbox` serving the Pub/Sub API
(gRPC) and `addin serve` whose worker listens. With the poll an hour away, a change made
in Salesforce still reaches the calendar within seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.clock import at, day, z
from tests.processes import SandboxProcess, ServeProcess

pytestmark = pytest.mark.e2e

AVA = "ava.martin@acme-sales.example"  # Graph, Lightning
GUEST = "o'brien@acme.example"


def test_a_salesforce_change_reaches_outlook_without_waiting_for_the_poll(
        tmp_path: Path, sandbox_process: SandboxProcess) -> None:
    index = sandbox_process.index()
    assert ":" in index["services"]["salesforcePubSub"]
    with ServeProcess(tmp_path, sandbox_process.url,
                      f"sqlite:///{tmp_path / 'product.sqlite3'}",
                      ADDIN_POLL_INTERVAL_SECONDS="3600") as serve:
        created = requests.post(f"{serve.url}/api/v1/events", headers=serve.bearer(AVA),
                                json={"subject": "Pushed", "start": z(at(day(9), "10:00")),
                                      "end": z(at(day(9), "10:30"))}, timeout=30)
        assert created.status_code == 201, created.text
        event_id = created.json()["event"]["id"]
        time.sleep(2)  # the worker's first pass and the streams' start
        upstream = sandbox_process.upstream()
        added = upstream.post(
            f"{index['origins']['salesforce']}/sandbox-ui/events/{event_id}/invitees",
            json={"add": [GUEST]}, timeout=10)
        assert added.status_code == 200, added.text
        ava = next(u for u in index["users"] if u["email"] == AVA)
        graph = {"Authorization": f"Bearer {ava['upstreamTokens']['graph']}"}
        item_id = created.json()["mirror"]["itemId"]
        deadline = time.monotonic() + 20
        attendees: list[str] = []
        while time.monotonic() < deadline:
            item = upstream.get(f"{index['services']['graph']}/me/events/{item_id}",
                                headers=graph, timeout=10).json()
            attendees = [a["emailAddress"]["address"] for a in item.get("attendees", [])]
            if GUEST in attendees:
                break
            time.sleep(0.2)
        assert GUEST in attendees, serve.log()
