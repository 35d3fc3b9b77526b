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
    settings.mode = "live"
    app = create_app(settings)
    assert app.test_client().get("/sandbox").status_code == 404
