"""The product against a sandbox that runs elsewhere (ADDIN_SANDBOX_URL), here the
session's sandbox reached through its own index, as another process would."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask

from addin import create_app
from addin.config import settings_for_tests
from addin.devmode.remote import SandboxUnavailable, connect_remote_sandbox, fetch_index
from addin.sandbox import SandboxRuntime
from tests.clock import at, day, z
from tests.conftest import free_port

AVA = "ava.martin@acme-sales.example"


@pytest.fixture
def remote_app(tmp_path: Path, clean_sandbox: SandboxRuntime) -> Flask:
    settings = settings_for_tests(str(tmp_path / "instance"),
                                  sandbox_url=clean_sandbox.origins["control"],
                                  ca_bundle=clean_sandbox.ca_path)
    return create_app(settings)


def test_the_index_describes_the_world(clean_sandbox: SandboxRuntime) -> None:
    session = requests.Session()
    session.trust_env = False
    index = session.get(f"{clean_sandbox.origins['control']}/sandbox",
                        verify=clean_sandbox.ca_path, timeout=5).json()
    assert index["sandboxId"] == clean_sandbox.world_id
    assert index["origins"] == clean_sandbox.origins
    assert index["caPem"] == Path(clean_sandbox.ca_path).read_text()
    ava = next(u for u in index["users"] if u["email"] == AVA)
    assert ava["upstreamTokens"] == clean_sandbox.user(AVA).upstream_tokens
    assert ava["upstreamRefreshTokens"] == clean_sandbox.user(AVA).upstream_refresh_tokens


def test_the_product_uses_the_remote_sandbox(remote_app: Flask, clean_sandbox: SandboxRuntime,
                                             tmp_path: Path) -> None:
    services = remote_app.extensions["addin"]
    remote = services.sandbox
    assert not isinstance(remote, SandboxRuntime)
    assert remote.world_id == clean_sandbox.world_id
    assert services.settings.upstream_urls["graph"] == clean_sandbox.origins["graph"]
    # the CA comes from the index, written into the product's own instance folder
    assert Path(services.settings.ca_bundle).parent == tmp_path / "instance" / "sandbox-ca"
    client = remote_app.test_client()
    index = client.get("/sandbox").json
    assert index["services"] == clean_sandbox.services
    assert index["caCertificate"] == services.settings.ca_bundle
    ava = next(u for u in index["users"] if u["email"] == AVA)
    created = client.post("/api/v1/events", headers={"Authorization": f"Bearer {ava['token']}"},
                          json={"subject": "Remote", "start": z(at(day(16), "10:00")),
                                "end": z(at(day(16), "10:30"))})
    assert created.status_code == 201, created.json
    assert created.json["sync"]["state"] == "mirrored"
    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    assert org.records["Event"][created.json["event"]["id"]]["Subject"] == "Remote"


def test_an_absent_sandbox_is_named(tmp_path: Path) -> None:
    settings = settings_for_tests(str(tmp_path), sandbox_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SandboxUnavailable, match=r"does not answer.*addin sandbox"):
        fetch_index(settings, wait_seconds=0.3)


def test_something_else_is_not_taken_for_a_sandbox(tmp_path: Path,
                                                   clean_sandbox: SandboxRuntime) -> None:
    settings = settings_for_tests(str(tmp_path),
                                  sandbox_url=clean_sandbox.origins["control"] + "/mail",
                                  ca_bundle=clean_sandbox.ca_path)
    with pytest.raises(SandboxUnavailable, match="answered 404"):
        fetch_index(settings, wait_seconds=0.3)


def test_a_partial_index_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("addin.devmode.remote.fetch_index",
                        lambda settings: {"mode": "sandbox", "sandboxId": "abc"})
    settings = settings_for_tests(str(tmp_path), sandbox_url="http://127.0.0.1:1")
    with pytest.raises(SandboxUnavailable, match="not a sandbox index"):
        connect_remote_sandbox(settings)
    monkeypatch.setattr("addin.devmode.remote.fetch_index",
                        lambda settings: {"mode": "sandbox", "sandboxId": "../../etc"})
    with pytest.raises(SandboxUnavailable, match="sandboxId"):
        connect_remote_sandbox(settings)
