"""End to end, real processes: `addin sandbox` on its own, and the product's processes
(`addin serve`, `addin worker`, gunicorn) sharing it through ADDIN_SANDBOX_URL; crashes
(SIGKILL) and restarts of either side."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from addin.cli.commands import main
from addin.store.database import make_engine
from tests.clock import at, day, z
from tests.processes import GunicornProcess, SandboxProcess, ServeProcess, WorkerProcess

pytestmark = pytest.mark.e2e

AVA = "ava.martin@acme-sales.example"
BEN = "ben.carter@acme-sales.example"


def create_event(base: str, headers: dict[str, str], subject: str) -> dict[str, Any]:
    answer = requests.post(f"{base}/api/v1/events", headers=headers, timeout=20,
                           json={"subject": subject, "start": z(at(day(16), "10:00")),
                                 "end": z(at(day(16), "10:30"))})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def read_event(base: str, headers: dict[str, str], event_id: str) -> requests.Response:
    return requests.get(f"{base}/api/v1/events/{event_id}", headers=headers, timeout=20)


def owners(database_url: str) -> dict[str, str]:
    """Salesforce Event id -> the email of the user whose mirrored event it is."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT m.salesforce_event_id, u.email FROM mirrored_events m "
            "JOIN users u ON u.id = m.user_id")).all()
    engine.dispose()
    return {event_id: email for event_id, email in rows}


def test_state_survives_a_crash_of_serve(tmp_path: Path,
                                         sandbox_process: SandboxProcess) -> None:
    # no worker in the product: the one Salesforce call delayed below is the request's
    serve_process = ServeProcess(tmp_path, sandbox_process.url,
                                 f"sqlite:///{tmp_path / 'product.sqlite3'}",
                                 ADDIN_RUN_WORKER="false").start()
    try:
        crash_and_restart(serve_process, sandbox_process)
    finally:
        serve_process.stop()


def crash_and_restart(serve_process: ServeProcess, sandbox_process: SandboxProcess) -> None:
    ava = serve_process.bearer(AVA)
    created = create_event(serve_process.url, ava, "Before the crash")
    services = serve_process.sandbox_index()["services"]
    # a request held in flight (its Salesforce call delayed) when the product is killed
    sandbox_process.fault("salesforce", status=0, delay_ms=1500)
    held = ThreadPoolExecutor(1)
    cut = held.submit(requests.post, f"{serve_process.url}/api/v1/events", headers=ava,
                      timeout=20, json={"subject": "Cut off", "start": z(at(day(17), "10:00")),
                                        "end": z(at(day(17), "10:30"))})
    time.sleep(0.5)
    serve_process.kill()
    with pytest.raises(requests.ConnectionError):
        cut.result()
    held.shutdown()
    serve_process.start()
    assert serve_process.sandbox_index()["services"] == services
    after = read_event(serve_process.url, serve_process.bearer(AVA), created["event"]["id"])
    assert after.status_code == 200, after.text
    assert after.json()["event"]["subject"] == "Before the crash"
    assert after.json()["sync"]["state"] == "mirrored"
    # the emulators never went away: the same appointment, nothing made twice
    assert after.json()["mirror"]["itemId"] == created["mirror"]["itemId"]
    graph = sandbox_process.index()["origins"]["graph"]
    person = next(u for u in sandbox_process.index()["users"] if u["email"] == AVA)
    token = {"Authorization": f"Bearer {person['upstreamTokens']['graph']}"}
    items = sandbox_process.upstream().get(f"{graph}/v1.0/me/events", headers=token, timeout=10)
    assert [item["subject"] for item in items.json()["value"]] == ["Before the crash"]
    assert sandbox_process.mail() == []  # no invitees, nobody was emailed
    assert sandbox_process.stats()["salesforce"]["requests"] >= 2


def test_state_survives_a_crash_of_the_sandbox(serve_process: ServeProcess,
                                               sandbox_process: SandboxProcess) -> None:
    ava = serve_process.bearer(AVA)
    first = create_event(serve_process.url, ava, "Kept by the sandbox")["event"]["id"]
    before = sandbox_process.index()
    sandbox_process.kill()
    sandbox_process.start()
    after = sandbox_process.index()
    assert after["sandboxId"] == before["sandboxId"]
    assert after["users"] == before["users"] and after["origins"] == before["origins"]
    # the running product did not notice: same URLs, same tokens, same records
    kept = read_event(serve_process.url, ava, first)
    assert kept.status_code == 200 and kept.json()["event"]["subject"] == "Kept by the sandbox"
    second = create_event(serve_process.url, ava, "After the crash")["event"]["id"]
    assert second != first
    serve_process.restart()
    assert read_event(serve_process.url, serve_process.bearer(AVA), second).status_code == 200


def test_a_kept_database_never_hands_old_rows_to_new_users(tmp_path: Path,
                                                           database_url: str) -> None:
    """The product's database (SQLite, and PostgreSQL when configured) outlives a sandbox
    that keeps nothing: the next sandbox is a new world on the same ports, whose records
    must never be matched to old rows."""
    old_world = SandboxProcess(tmp_path / "one").start()
    serve = ServeProcess(tmp_path, old_world.url, database_url).start()
    try:
        ava = serve.bearer(AVA)
        old = [create_event(serve.url, ava, f"Ava's {n}")["event"]["id"] for n in range(2)]
        serve.kill()  # crashes: quicker than stops, and nothing here depends on a clean one
        old_world.kill()
        new_world = SandboxProcess(tmp_path / "two", port=old_world.port).start()
        try:
            serve.start()
            ben = serve.bearer(BEN)
            new = [create_event(serve.url, ben, f"Ben's {n}")["event"]["id"] for n in range(2)]
            assert not set(new) & set(old)
            for event_id in old:  # nobody reads Ava's old rows through the new world
                assert read_event(serve.url, ben, event_id).status_code == 404
                assert read_event(serve.url, serve.bearer(AVA), event_id).status_code == 404
        finally:
            new_world.kill()
    finally:
        serve.kill()
        old_world.kill()
    rows = owners(database_url)
    assert {rows[i] for i in old} == {AVA} and {rows[i] for i in new} == {BEN}


def test_the_worker_runs_against_a_standalone_sandbox(tmp_path: Path,
                                                      sandbox_process: SandboxProcess) -> None:
    """`addin serve` without its worker, and `addin worker` alone, share the sandbox and
    the database: an edit in Outlook reaches Salesforce through the separate worker."""
    database = f"sqlite:///{tmp_path / 'product.sqlite3'}"
    with ServeProcess(tmp_path, sandbox_process.url, database, ADDIN_RUN_WORKER="false",
                      ADDIN_POLL_INTERVAL_SECONDS="1") as serve, \
            WorkerProcess(tmp_path, sandbox_process.url, database, ADDIN_PUBLIC_URL=serve.url,
                          ADDIN_POLL_INTERVAL_SECONDS="1") as worker:
        ava = serve.bearer(AVA)
        created = create_event(serve.url, ava, "Edited in Outlook")
        graph = sandbox_process.index()["origins"]["graph"]
        edit = sandbox_process.upstream().post(
            f"{graph}/sandbox-ui/mailboxes/{AVA}/events/{created['mirror']['itemId']}/edit",
            json={"subject": "Renamed in Outlook"}, timeout=10)
        assert edit.status_code == 200, edit.text
        deadline = time.monotonic() + 15
        subject = ""
        while time.monotonic() < deadline and subject != "Renamed in Outlook":
            time.sleep(0.3)
            subject = read_event(serve.url, ava, created["event"]["id"]).json()["event"]["subject"]
        assert subject == "Renamed in Outlook", worker.log()


def test_gunicorn_serves_the_sandbox_and_the_api(tmp_path: Path,
                                                 sandbox_process: SandboxProcess) -> None:
    database = f"sqlite:///{tmp_path / 'product.sqlite3'}"
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env={
        "ADDIN_DATABASE_URL": database, "ADDIN_INSTANCE_PATH": str(tmp_path / "instance")})
    assert upgraded.exit_code == 0, upgraded.output
    with GunicornProcess(tmp_path, sandbox_process.url, database, workers=2) as gunicorn:
        with ThreadPoolExecutor(8) as pool:  # enough at once to reach both workers
            indexes = list(pool.map(lambda _: requests.get(f"{gunicorn.url}/sandbox",
                                                           timeout=10), range(16)))
        assert {answer.status_code for answer in indexes} == {200}, gunicorn.log()
        index = indexes[0].json()
        assert index["services"] == sandbox_process.index()["services"]
        ava = next(u for u in index["users"] if u["email"] == AVA)
        headers = {"Authorization": f"Bearer {ava['token']}"}
        made = create_event(gunicorn.url, headers, "Through gunicorn")
        assert made["sync"]["state"] == "mirrored"
        for _ in range(4):
            assert read_event(gunicorn.url, headers, made["event"]["id"]).status_code == 200


def test_the_index_can_be_served_over_tls_too(tmp_path: Path) -> None:
    """`addin sandbox --https`: the product checks the index's certificate against
    ADDIN_CA_BUNDLE (the CA in the sandbox's state folder), then trusts the CA it names
    for the emulators."""
    with SandboxProcess(tmp_path, tmp_path / "state", https=True) as sandbox:
        assert sandbox.url.startswith("https://")
        with ServeProcess(tmp_path, sandbox.url, f"sqlite:///{tmp_path / 'p.sqlite3'}",
                          ADDIN_CA_BUNDLE=str(sandbox.ca_path)) as serve:
            created = create_event(serve.url, serve.bearer(AVA), "Over TLS")
            assert created["sync"]["state"] == "mirrored"
            assert serve.sandbox_index()["services"]["mail"].startswith("https://")
