from dataclasses import replace

from addin import create_app
from addin.config import Settings
from addin.sandbox import SandboxRuntime


def test_sandbox_index_shape(client, clean_sandbox: SandboxRuntime  # type: ignore[no-untyped-def]
                             ) -> None:
    body = client.get("/sandbox").json
    assert body["mode"] == "sandbox"
    for name in ("mail", "stats", "faults"):
        assert body["services"][name].startswith("https://127.0.0.1:")
    for user in body["users"]:
        assert {"email", "name", "provider", "salesforceUserId", "experience", "token",
                "upstreamTokens"} <= set(user)
        assert user["provider"] in {"graph", "google", "ews"}
        assert user["experience"] in {"lightning", "classic"}
        assert set(user["upstreamTokens"]) <= {"salesforce", user["provider"]}


def test_sandbox_index_is_absent_outside_sandbox_mode(settings: Settings) -> None:
    settings = replace(settings, mode="live")
    app = create_app(settings)
    assert app.test_client().get("/sandbox").status_code == 404


def test_sandbox_sync_runs_a_pass(client, clean_sandbox: SandboxRuntime  # type: ignore[no-untyped-def]
                                  ) -> None:
    body = client.post("/sandbox/sync", json={"email": "Ava.Martin@acme-sales.example"}).json
    assert body == {"users": [{"email": "ava.martin@acme-sales.example", "checked": 0,
                               "reconciled": [], "deleted": {}, "failed": {}}]}
    assert client.post("/sandbox/sync", json={"email": "nobody@x.example"}).status_code == 404
    bad = client.post("/sandbox/sync", json={"email": 5})
    assert bad.status_code == 400 and bad.json["error"]["fields"] == {"email": "a string"}


def test_sandbox_sync_is_absent_outside_sandbox_mode(settings: Settings) -> None:
    settings = replace(settings, mode="live")
    app = create_app(settings)
    assert app.test_client().post("/sandbox/sync", json={}).status_code == 404


def test_sandbox_mode_without_a_sandbox_says_how_to_run_one(settings: Settings) -> None:
    """gunicorn runs create_app() without the emulators `addin serve` starts in itself."""
    app = create_app(settings)  # sandbox mode, no sandbox in this process
    for answer in (app.test_client().get("/sandbox"),
                   app.test_client().post("/sandbox/sync", json={})):
        assert answer.status_code == 503
        error = answer.json["error"]
        assert error["code"] == "sandbox_not_running"
        assert "ADDIN_SANDBOX_URL" in error["message"] and "addin sandbox" in error["message"]
