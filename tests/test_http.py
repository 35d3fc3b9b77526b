"""The single HTTP path, exercised against an emulator built on the sandbox frame."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import jsonify
from werkzeug.serving import make_server

from addin.providers.http import LEDGER, HttpSettings, build_session
from addin.sandbox.frame import emulator_app
from addin.sandbox.state import Fault, SandboxState


@pytest.fixture
def echo_service() -> Iterator[tuple[str, SandboxState]]:
    state = SandboxState()
    app = emulator_app("echo", state, lambda status, message, code: {"error": {
        "code": code, "message": message}})

    @app.route("/things", methods=["GET", "POST"])
    def things() -> Any:
        return jsonify({"ok": True})

    @app.get("/slow")
    def slow() -> Any:
        time.sleep(1.0)
        return jsonify({"ok": True})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", state
    server.shutdown()
    server.server_close()


def test_429_is_retried_after_retry_after(echo_service: tuple[str, SandboxState]) -> None:
    url, state = echo_service
    state.faults.add(Fault("echo", 429, 2, retry_after=1))
    session = build_session("echo", HttpSettings(retries=3))
    started = time.monotonic()
    response = session.post(f"{url}/things", json={})
    assert response.status_code == 200
    assert time.monotonic() - started >= 2.0  # waited Retry-After twice
    assert state.stats.snapshot()["echo"]["byOperation"] == {"fault 429": 2, "things": 1}


def test_retries_give_up_and_report(echo_service: tuple[str, SandboxState]) -> None:
    url, state = echo_service
    state.faults.add(Fault("echo", 503, 5, retry_after=0))
    session = build_session("echo", HttpSettings(retries=2, backoff_factor=0))
    response = session.get(f"{url}/things")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert state.stats.snapshot()["echo"]["requests"] == 3


def test_other_5xx_are_not_retried(echo_service: tuple[str, SandboxState]) -> None:
    url, state = echo_service
    state.faults.add(Fault("echo", 500, 1))
    session = build_session("echo", HttpSettings(retries=3))
    assert session.post(f"{url}/things").status_code == 500
    assert state.stats.snapshot()["echo"]["requests"] == 1


def test_timeout_is_applied_by_default(echo_service: tuple[str, SandboxState]) -> None:
    url, _ = echo_service
    session = build_session("echo", HttpSettings(timeout_seconds=0.2, retries=0))
    with pytest.raises(requests.exceptions.RequestException, match="Read timed out"):
        session.get(f"{url}/slow")


def test_retry_after_is_capped(echo_service: tuple[str, SandboxState]) -> None:
    url, state = echo_service
    state.faults.add(Fault("echo", 429, 1, retry_after=3600))
    session = build_session("echo", HttpSettings(retries=1, max_retry_after_seconds=0.1))
    started = time.monotonic()
    assert session.get(f"{url}/things").status_code == 200
    assert time.monotonic() - started < 5


def test_ledger_counts_calls_per_action(echo_service: tuple[str, SandboxState]) -> None:
    url, _ = echo_service
    session = build_session("echo", HttpSettings())
    with LEDGER.measure() as calls:
        session.get(f"{url}/things")
        session.get(f"{url}/things")
    assert calls["echo"] == 2
