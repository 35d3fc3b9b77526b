"""End to end: `addin serve` as a subprocess on a free port, driven over HTTP."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from addin.cli.commands import main, start_own_sandbox_database
from addin.sandbox import SandboxRuntime
from addin.store import head_revision
from tests.clock import at, day, z
from tests.conftest import free_port


@contextmanager
def serve(instance: Path, *extra: str, banner: list[str] | None = None,
          env_extra: dict[str, str] | None = None) -> Iterator[tuple[str, str | bool]]:
    """Run `addin serve` on a free port; yield its base URL and what verifies its TLS.
    ``banner`` receives what it printed, once it stopped."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env["ADDIN_INSTANCE_PATH"] = str(instance)
    env.update(env_extra or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "addin", "serve", "--port", str(port), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    scheme = "https" if "--https" in extra else "http"
    base = f"{scheme}://127.0.0.1:{port}"
    verify: str | bool = str(instance / "dev-ca" / "ca.pem") if scheme == "https" else True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1, verify=verify).status_code == 200:
                break
        except (requests.ConnectionError, OSError):
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"addin serve did not start: {process.communicate()[0]}")
    try:
        yield base, verify
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert "SANDBOX mode" in output
    if banner is not None:
        banner.append(output)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path / "instance") as (base, _):
        yield base


@pytest.mark.e2e
def test_serve_runs_the_sandbox(served: str) -> None:
    index = requests.get(f"{served}/sandbox", timeout=5).json()
    assert index["mode"] == "sandbox"
    ca = index["caCertificate"]
    mail = requests.get(index["services"]["mail"], verify=ca, timeout=5)
    assert mail.json() == {"messages": []}
    assert requests.get(f"{served}/readyz", timeout=5).json()["status"] == "ready"


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = CliRunner().invoke(main, ["db", "upgrade"],
                                env={"ADDIN_DATABASE_URL": url,
                                     "ADDIN_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output


@pytest.mark.e2e
def test_serve_https_uses_the_development_ca(tmp_path: Path) -> None:
    with serve(tmp_path / "instance", "--https") as (base, verify):
        assert base.startswith("https://")
        assert requests.get(f"{base}/healthz", timeout=5, verify=verify).json() == {
            "status": "ok"}
        with pytest.raises(requests.exceptions.SSLError):
            session = requests.Session()
            session.trust_env = False
            session.get(f"{base}/healthz", timeout=5)  # not trusted without the dev CA


@pytest.mark.e2e
def test_serve_https_gets_push_notifications_and_names_the_pane(tmp_path: Path) -> None:
    """Over --https the Graph emulator calls the product back (its certificate is the dev
    CA's): an edit in Outlook reaches Salesforce by push, long before the poll (set to an
    hour here). The banner names the pane; GET / links it."""
    banner: list[str] = []
    with serve(tmp_path / "instance", "--https", banner=banner,
               env_extra={"ADDIN_POLL_INTERVAL_SECONDS": "3600"}) as (base, verify):
        http = requests.Session()
        http.trust_env = False
        http.verify = verify
        landing = http.get(f"{base}/", timeout=5)
        assert landing.status_code == 200
        for link in ('href="/outlook/pane"', 'href="/sandbox"', 'href="/api/openapi.json"',
                     'href="/manifests/outlook.xml"', 'href="/status"'):
            assert link in landing.text
        index = http.get(f"{base}/sandbox", timeout=5).json()
        ava = next(u for u in index["users"] if u["email"].startswith("ava."))
        graph = index["services"]["graph"]
        upstream_graph = {"Authorization": f"Bearer {ava['upstreamTokens']['graph']}"}
        headers = {"Authorization": f"Bearer {ava['token']}"}
        created = http.post(f"{base}/api/v1/events", headers=headers, timeout=10, json={
            "subject": "Pushed", "start": z(at(day(9), "10:00")),
            "end": z(at(day(9), "10:30"))}).json()
        # Waits are generous (a loaded machine, or every clock read going through
        # libfaketime in a moved-clock run, slows the worker), and each says what it waited for.
        deadline = time.monotonic() + 60
        subscriptions: list[Any] = []
        while time.monotonic() < deadline and not subscriptions:
            time.sleep(0.2)  # the worker subscribes Ava's calendar
            subscriptions = http.get(f"{graph}/subscriptions", headers=upstream_graph,
                                     timeout=5).json()["value"]
        assert subscriptions, "the worker did not subscribe Ava's calendar within 60 s"
        origin = graph.split("/v1.0")[0]
        edited = http.post(f"{origin}/sandbox-ui/mailboxes/{ava['email']}/events/"
                           f"{created['mirror']['itemId']}/edit",
                           json={"subject": "Pushed, renamed in Outlook"}, timeout=5)
        assert edited.status_code == 200, edited.text
        subject = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and subject != "Pushed, renamed in Outlook":
            time.sleep(0.3)
            subject = http.get(f"{base}/api/v1/events/{created['event']['id']}",
                               headers=headers, timeout=5).json()["event"]["subject"]
        assert subject == "Pushed, renamed in Outlook"
    assert f"Outlook pane:      {base}/outlook/pane" in banner[0]


def test_worker_refuses_the_sandbox(tmp_path: Path) -> None:
    """A separate process would see a fresh, empty sandbox and take every Event for
    deleted: it says so instead."""
    result = CliRunner().invoke(main, ["worker"], env={"ADDIN_INSTANCE_PATH": str(tmp_path),
                                                       "ADDIN_MODE": "sandbox"})
    assert result.exit_code == 1
    assert "live inside `addin serve`" in result.output


def test_several_worker_processes_need_postgresql(tmp_path: Path) -> None:
    """The SQLite runner keeps one mailbox to one process by being the only one."""
    result = CliRunner().invoke(main, ["worker", "--processes", "2"], env={
        "ADDIN_INSTANCE_PATH": str(tmp_path), "ADDIN_MODE": "live",
        "ADDIN_DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}"})
    assert result.exit_code == 2
    assert "--processes needs PostgreSQL" in result.output


def test_sandbox_sync_needs_the_running_server(tmp_path: Path) -> None:
    env = {"ADDIN_INSTANCE_PATH": str(tmp_path), "ADDIN_MODE": "sandbox",
           "ADDIN_PUBLIC_URL": f"http://127.0.0.1:{free_port()}"}
    result = CliRunner().invoke(main, ["sync"], env=env)
    assert result.exit_code == 1 and "does not answer" in result.output


def test_sandbox_sync_runs_in_the_served_process(served: str, tmp_path: Path) -> None:
    index = requests.get(f"{served}/sandbox", timeout=5).json()
    ava = next(u for u in index["users"] if u["email"] == "ava.martin@acme-sales.example")
    created = requests.post(f"{served}/api/v1/events", timeout=10,
                            headers={"Authorization": f"Bearer {ava['token']}"},
                            json={"subject": "CLI sync", "start": z(at(day(16), "10:00")),
                                  "end": z(at(day(16), "10:30"))})
    assert created.status_code == 201, created.text
    env = {"ADDIN_INSTANCE_PATH": str(tmp_path / "cli"), "ADDIN_MODE": "sandbox",
           "ADDIN_PUBLIC_URL": served}
    one = CliRunner().invoke(main, ["sync", "--user", ava["email"]], env=env)
    assert one.exit_code == 0, one.output
    assert one.output.startswith(f"{ava['email']}: 1 mirrored, ")
    assert "0 failed" in one.output
    unknown = CliRunner().invoke(main, ["sync", "--user", "nobody@x.example"], env=env)
    assert unknown.exit_code == 2 and "no user nobody@x.example" in unknown.output
    everyone = CliRunner().invoke(main, ["sync"], env=env)
    assert everyone.exit_code == 0 and everyone.output.count(" mirrored, ") >= 4


def test_sync_reports_each_user(tmp_path: Path) -> None:
    env = {"ADDIN_INSTANCE_PATH": str(tmp_path), "ADDIN_MODE": "live",
           "ADDIN_DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    unknown = CliRunner().invoke(main, ["sync", "--user", "nobody@x.example"], env=env)
    assert unknown.exit_code == 2 and "no user nobody@x.example" in unknown.output
    everyone = CliRunner().invoke(main, ["sync"], env=env)
    assert everyone.exit_code == 0 and everyone.output == ""  # nobody connected yet


def test_serve_recreates_only_the_database_it_created(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    url = f"sqlite:///{path}"
    start_own_sandbox_database(url)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE rows (x)")
        connection.execute("INSERT INTO rows VALUES ('of the previous run')")
    path.with_name("sandbox.sqlite3-wal").write_bytes(b"journal")
    start_own_sandbox_database(url)  # ours: a fresh database, no journal
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert not path.with_name("sandbox.sqlite3-wal").exists()


def test_serve_never_deletes_a_database_it_did_not_create(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    path.write_bytes(b"somebody's data")
    start_own_sandbox_database(f"sqlite:///{path}")
    assert path.read_bytes() == b"somebody's data"
    # a marker that names another file (the database was replaced) does not count either
    path.unlink()
    start_own_sandbox_database(f"sqlite:///{path}")
    path.unlink()
    path.write_bytes(b"a different file at the same path")
    start_own_sandbox_database(f"sqlite:///{path}")
    assert path.read_bytes() == b"a different file at the same path"


def test_serve_leaves_a_configured_database_alone(tmp_path: Path) -> None:
    database = tmp_path / "mine.sqlite3"
    database.write_bytes(b"keep me")
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "sandbox.sqlite3").write_bytes(b"an old in-process database")
    from addin.config import Settings

    settings = Settings.from_env({"ADDIN_INSTANCE_PATH": str(instance),
                                  "ADDIN_DATABASE_URL": f"sqlite:///{database}"})
    assert settings.database_url  # set by the user: `addin serve` does not own it
    settings.resolve()
    assert settings.database_url == f"sqlite:///{database}"


def test_worker_and_sync_run_against_a_standalone_sandbox(
        tmp_path: Path, clean_sandbox: SandboxRuntime) -> None:
    env = {"ADDIN_INSTANCE_PATH": str(tmp_path),
           "ADDIN_SANDBOX_URL": clean_sandbox.origins["control"],
           "ADDIN_CA_BUNDLE": clean_sandbox.ca_path,
           "ADDIN_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    result = CliRunner().invoke(main, ["sync", "--user", "ava.martin@acme-sales.example"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "ava.martin@acme-sales.example: 0 mirrored, 0 reconciled, " \
                            "0 deleted, 0 failed\n"
    refused = CliRunner().invoke(main, ["worker"], env={**env, "ADDIN_SANDBOX_URL": ""})
    assert refused.exit_code == 1 and "ADDIN_SANDBOX_URL" in refused.output


def test_an_absent_standalone_sandbox_is_named(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("addin.devmode.remote.WAIT_SECONDS", 0.2)
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["sync"], env={"ADDIN_INSTANCE_PATH": str(tmp_path),
                                                     "ADDIN_SANDBOX_URL": url})
    assert result.exit_code == 1
    assert f"ADDIN_SANDBOX_URL: {url}/sandbox does not answer" in result.output


@pytest.mark.e2e
def test_serve_starts_its_own_sandbox_database_afresh(tmp_path: Path) -> None:
    """The in-process sandbox is a new world at every start, and so is the database
    `addin serve` made for it; a database it did not make survives."""
    from tests.processes import ServeProcess

    serve_process = ServeProcess(tmp_path, None).start()
    try:
        created = requests.post(f"{serve_process.url}/api/v1/events", timeout=20,
                                headers=serve_process.bearer("ava.martin@acme-sales.example"),
                                json={"subject": "Gone at the next start",
                                      "start": z(at(day(16), "10:00")),
                                      "end": z(at(day(16), "10:30"))})
        assert created.status_code == 201, created.text
        database = tmp_path / "instance" / "sandbox.sqlite3"
        with sqlite3.connect(database) as connection:
            assert connection.execute("SELECT count(*) FROM mirrored_events").fetchone() == (1,)
        serve_process.restart()
        with sqlite3.connect(database) as connection:
            assert connection.execute("SELECT count(*) FROM mirrored_events").fetchone() == (0,)
    finally:
        serve_process.stop()


def test_sandbox_orgs_and_users_per_org_go_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sandbox", "--orgs", "3"],
                                env={"ADDIN_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 2
    assert "--orgs and --users-per-org go together" in result.output
