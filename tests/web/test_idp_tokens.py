"""Entra ID access tokens from the Outlook pane, verified against the (sandbox) tenant's
published keys; anything not right is a 401."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from addin.sandbox import SandboxRuntime
from addin.sandbox.entra import TENANT_ID
from addin.sandbox.jwt_signer import Signer

AVA = "ava.martin@acme-sales.example"
AUDIENCE = "addin-sandbox"


@pytest.fixture
def entra(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Callable[..., str]:
    def token(email: str = AVA, audience: str = AUDIENCE, **extra: Any) -> str:
        answer = upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra-token",
                               json={"email": email, "audience": audience, **extra})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["accessToken"])
    return token


def _get(client: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/v1/connections", headers=headers)


def test_a_valid_entra_token_is_the_user(client: Any, entra: Callable[..., str]) -> None:
    response = _get(client, entra())
    assert response.status_code == 200
    assert {c["service"] for c in response.json["connections"]} == {"salesforce", "graph",
                                                                    "google"}
    assert _get(client, entra(audience=f"api://{AUDIENCE}")).status_code == 200


@pytest.mark.parametrize("case", ["forged", "audience", "issuer", "expired", "missing",
                                  "garbage", "stranger"])
def test_bad_tokens_are_refused(client: Any, entra: Callable[..., str],
                                clean_sandbox: SandboxRuntime, case: str) -> None:
    token: str | None
    if case == "forged":
        now = int(time.time())
        token = Signer().sign({
            "iss": f"{clean_sandbox.origins['graph']}/{TENANT_ID}/v2.0", "aud": AUDIENCE,
            "tid": TENANT_ID, "preferred_username": AVA, "iat": now, "nbf": now,
            "exp": now + 600})
    elif case == "audience":
        token = entra(audience="some-other-app")
    elif case == "issuer":
        token = entra(issuer="https://evil.example/tenant/v2.0")
    elif case == "expired":
        token = entra(lifetime=-120)
    elif case == "missing":
        token = None
    elif case == "garbage":
        token = "not.a.token"
    else:
        token = entra(email="grace.hopper@acme-sales.example")  # seeded, then removed
        from sqlalchemy import delete

        from addin.store.models import User

        services = client.application.extensions["addin"]
        with services.db.session() as session:
            session.execute(delete(User).where(User.email == "grace.hopper@acme-sales.example"))
    response = _get(client, token)
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] in ("unauthorized", "invalid_token")
