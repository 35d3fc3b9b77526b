"""A sandbox with a state folder: what was answered is on disk, a restart continues the
same world, and two worlds never hand out the same record id."""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from addin.sandbox import SandboxRuntime
from addin.sandbox.durable import STATE_FILE, ReadWriteLock, StateFileError, read_meta
from tests.clock import at, day, salesforce, z
from tests.leaks import lingering_threads

AVA = "ava.martin@acme-sales.example"
CLEO = "cleo.nguyen@acme-sales.example"
START = at(day(1), "10:00")  # the Tuesday of the test week, 10:00 UTC
EVENT = {"Subject": "Kept", "StartDateTime": salesforce(START),
         "EndDateTime": salesforce(START + timedelta(hours=1))}
KEPT_TOO = at(day(2), "10:00")


class Sandbox:
    """One sandbox runtime over a state folder, with a client for its emulators."""

    def __init__(self, folder: Path, state_dir: Path | None):
        self.runtime = SandboxRuntime(folder, state_dir=state_dir, control_tls=False).start()
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = self.runtime.ca_path

    def token(self, email: str, service: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.runtime.user(email).upstream_tokens[service]}"}

    def create_event(self) -> str:
        answer = self.http.post(f"{self.runtime.services['salesforce']}/services/data/v62.0"
                                "/sobjects/Event", json=EVENT,
                                headers=self.token(AVA, "salesforce"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def read_event(self, event_id: str) -> requests.Response:
        return self.http.get(f"{self.runtime.services['salesforce']}/services/data/v62.0"
                             f"/sobjects/Event/{event_id}", headers=self.token(AVA, "salesforce"))


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Any]:
    started: list[Sandbox] = []

    def open_sandbox(state_dir: Path | None = tmp_path / "state") -> Sandbox:
        sandbox = Sandbox(tmp_path / "instance", state_dir)
        started.append(sandbox)
        return sandbox

    yield open_sandbox
    for sandbox in started:
        sandbox.runtime.stop()


def test_what_was_answered_is_on_disk_before_any_stop(opened: Any) -> None:
    """As after kill -9: a second sandbox reading the folder while the first still runs
    (never stopped, so never saved on the way out) sees every answered change."""
    first = opened()
    event_id = first.create_event()
    google = first.runtime.services["google"]
    made = first.http.post(f"{google}/calendars/primary/events", headers=first.token(
        CLEO, "google"), json={"summary": "Kept too", "start": {"dateTime": z(KEPT_TOO)},
                               "end": {"dateTime": z(KEPT_TOO + timedelta(hours=1))}})
    assert made.status_code == 200, made.text
    faults = first.http.post(first.runtime.services["faults"], json={"service": "graph",
                                                                     "times": 2})
    assert faults.status_code == 201
    second = opened()
    assert second.runtime.restored and second.runtime.world_id == first.runtime.world_id
    assert second.read_event(event_id).json()["Subject"] == "Kept"
    listed = second.http.get(f"{second.runtime.services['google']}/calendars/primary/events",
                             headers=second.token(CLEO, "google")).json()
    assert [item["summary"] for item in listed["items"]] == ["Kept too"]
    assert second.http.get(second.runtime.services["faults"]).json()["faults"] == [
        {"service": "graph", "status": 503, "times": 2, "retryAfter": None, "delayMs": 0,
         "applied": False, "batchStep": False}]


def test_a_restart_continues_the_world(opened: Any) -> None:
    first = opened()
    event_id = first.create_event()
    first.http.patch(first.runtime.services["settings"], json={"latencyMs": 3})
    keys = first.http.get(f"{first.runtime.origins['google']}/oauth2/v3/certs").json()
    users = first.runtime.describe()["users"]
    first.runtime.stop()
    again = opened()
    assert again.runtime.describe()["users"] == users  # the same upstream tokens
    assert again.read_event(event_id).status_code == 200
    assert again.http.get(again.runtime.services["settings"]).json()["latencyMs"] == 3
    assert again.http.get(f"{again.runtime.origins['google']}/oauth2/v3/certs").json() == keys
    stats = again.http.get(again.runtime.services["stats"]).json()
    assert stats["salesforce"]["byOperation"]["create Event"] == 1  # saved at the stop
    assert again.create_event() != event_id


def test_worlds_never_share_record_ids(opened: Any, tmp_path: Path) -> None:
    """Without a state folder each start is a new world; its ids start elsewhere, so a
    product database that outlives it never matches a new record to an old row."""
    one, two = opened(None), opened(None)
    assert one.runtime.world_id != two.runtime.world_id
    assert one.runtime.state_dir is None and one.runtime.durability is None
    assert {one.create_event() for _ in range(3)}.isdisjoint(
        {two.create_event() for _ in range(3)})


def test_reads_cost_no_write_and_counters_wait_for_a_change(opened: Any) -> None:
    sandbox = opened()
    event_id = sandbox.create_event()
    durability = sandbox.runtime.durability
    assert durability is not None
    writes = durability.writes
    for _ in range(5):
        assert sandbox.read_event(event_id).status_code == 200
    assert durability.writes == writes  # statistics alone do not write
    sandbox.create_event()
    assert durability.writes == writes + 1


def test_meta_names_the_world_and_its_origins(opened: Any, tmp_path: Path) -> None:
    sandbox = opened()
    meta = read_meta(tmp_path / "state")
    assert meta is not None
    assert meta["world"]["id"] == sandbox.runtime.world_id
    assert meta["origins"] == sandbox.runtime.origins
    assert read_meta(tmp_path / "nowhere") is None


def test_an_unreadable_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / STATE_FILE).write_bytes(b"not a snapshot")
    before = set(lingering_threads())
    with pytest.raises(StateFileError, match="not a sandbox snapshot"):
        SandboxRuntime(tmp_path / "instance", state_dir=state).start()
    # what the refused start had bound and started is stopped again: its request threads
    # would otherwise keep the process from ever exiting
    deadline = time.monotonic() + 5  # (gRPC's stop ends its last thread just after)
    while not set(lingering_threads()) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(lingering_threads()) <= before


def test_a_writer_waits_for_readers_and_holds_new_ones_back() -> None:
    lock = ReadWriteLock()
    order: list[str] = []
    reading = threading.Event()
    release = threading.Event()

    def reader(name: str, hold: bool) -> None:
        with lock.reading():
            order.append(name)
            if hold:
                reading.set()
                release.wait(5)

    def writer() -> None:
        with lock.writing():
            order.append("writer")

    first = threading.Thread(target=reader, args=("first", True))
    first.start()
    reading.wait(5)
    write = threading.Thread(target=writer)
    write.start()
    while not lock._writers_waiting:  # the writer is queued behind the first reader
        pass
    late = threading.Thread(target=reader, args=("late", False))
    late.start()
    release.set()
    for thread in (first, write, late):
        thread.join(5)
    assert order == ["first", "writer", "late"]


def test_the_sandbox_never_imports_product_code() -> None:
    package = Path(__file__).parents[2] / "addin" / "sandbox"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not (name.startswith("addin.") or name == "addin") \
                    or name.startswith("addin.sandbox"), f"{path}: imports {name}"


def test_a_slow_request_does_not_hold_back_the_others(opened: Any) -> None:
    """Injected delays (and latency) are waited out without the lock, so a delayed request
    on one service does not stall the snapshots, hence the answers, of the rest."""
    sandbox = opened()
    sandbox.http.post(sandbox.runtime.services["faults"],
                      json={"service": "graph", "status": 0, "delayMs": 1500, "times": 1})
    graph = sandbox.runtime.services["graph"]
    slow = threading.Thread(target=sandbox.http.get, args=(f"{graph}/me/events",),
                            kwargs={"headers": sandbox.token(AVA, "graph")})
    slow.start()
    time.sleep(0.3)  # the graph request is asleep now
    started = time.monotonic()
    sandbox.create_event()
    assert time.monotonic() - started < 1.0
    slow.join(5)


def test_the_index_lists_tokens_valid_now(opened: Any) -> None:
    """A product that (re)starts takes the tokens the index lists: an expired one is
    replaced there, the same one until then."""
    sandbox = opened()
    before = sandbox.runtime.describe()["users"][0]["upstreamTokens"]
    assert sandbox.runtime.describe()["users"][0]["upstreamTokens"] == before
    expired = sandbox.http.post(f"{sandbox.runtime.origins['graph']}/sandbox-ui/oauth/expire",
                                json={"email": AVA})
    assert expired.status_code == 200, expired.text
    after = sandbox.runtime.describe()["users"][0]["upstreamTokens"]
    assert after["graph"] != before["graph"] and after["salesforce"] == before["salesforce"]
    me = sandbox.http.get(f"{sandbox.runtime.services['graph']}/me/events",
                          headers={"Authorization": f"Bearer {after['graph']}"})
    assert me.status_code == 200


def test_a_restart_keeps_event_series(opened: Any) -> None:
    """The org's private series book is kept with its occurrences: after a restart a
    series is still one series (fromThisEventOnwards from its first occurrence empties
    it)."""
    first = opened()
    base = f"{first.runtime.services['salesforce']}/services/data/v62.0"
    made = first.http.post(f"{base}/sobjects/Event", headers=first.token(AVA, "salesforce"),
                           json={**EVENT, "Subject": "Kept series", "IsRecurrence2": True,
                                 "Recurrence2PatternText": "FREQ=DAILY;COUNT=3"})
    assert made.status_code == 201, made.text
    first.runtime.stop()
    again = opened()
    base = f"{again.runtime.services['salesforce']}/services/data/v62.0"
    gone = again.http.delete(f"{base}/sobjects/Event/{made.json()['id']}/fromThisEventOnwards",
                             headers=again.token(AVA, "salesforce"))
    assert gone.status_code == 200, gone.text
    left = again.http.get(f"{base}/query", params={
        "q": "SELECT Id FROM Event WHERE Subject = 'Kept series'"},
        headers=again.token(AVA, "salesforce")).json()
    assert left["totalSize"] == 0
