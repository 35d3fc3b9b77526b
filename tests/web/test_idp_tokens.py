"""Entra ID access tokens from the Outlook pane, verified against the (sandbox) tenant's
published keys and mapped to a user by tenant id + object id; anything not right is
refused. A person the product has never seen becomes a user, and their calendar access
comes from the same token (on-behalf-of)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import delete, select

from addin.accounts.connections import load_connection
from addin.sandbox import SandboxRuntime
from addin.sandbox.entra import TENANT_ID, object_id
from addin.sandbox.jwt_signer import Signer
from addin.store.models import Connection, Organization, User

AVA = "ava.martin@acme-sales.example"
GRACE = "grace.hopper@acme-sales.example"
AUDIENCE = "addin-sandbox"
OTHER_TENANT = "0b0b0b0b-1111-4222-8333-444444444444"


@pytest.fixture
def entra(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Callable[..., str]:
    upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra/revoke-consent", json={})

    def token(email: str = AVA, audience: str = AUDIENCE, **extra: Any) -> str:
        answer = upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra-token",
                               json={"email": email, "audience": audience, **extra})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["accessToken"])
    return token


def _me(client: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/v1/me", headers=headers)


def _forget(services: Any, email: str) -> None:
    """The product has never seen this person."""
    with services.db.session() as session:
        session.execute(delete(User).where(User.email == email))


def _users(services: Any) -> list[tuple[str, str | None, str | None]]:
    with services.db.session() as session:
        return [(u.email, u.microsoft_tenant_id, u.microsoft_object_id)
                for u in session.scalars(select(User).order_by(User.id))]


def test_a_valid_entra_token_is_the_user_with_that_object_id(
        client: Any, entra: Callable[..., str]) -> None:
    response = _me(client, entra())
    assert response.status_code == 200, response.json
    assert response.json["user"]["email"] == AVA
    assert response.json["organization"]["microsoftTenantId"] == TENANT_ID
    assert response.json["next"] is None
    assert _me(client, entra(audience=f"api://{AUDIENCE}")).status_code == 200


def test_preferred_username_naming_another_user_never_makes_you_that_user(
        client: Any, entra: Callable[..., str], services: Any) -> None:
    """Grace's token that claims Ava's address is Grace's (her object id)."""
    response = _me(client, entra(GRACE, preferredUsername=AVA))
    assert response.status_code == 200
    assert response.json["user"]["name"] == "Grace Hopper"
    with services.db.session() as session:
        grace = session.scalar(select(User).where(User.microsoft_object_id ==
                                                  object_id(GRACE)))
        assert grace is not None and response.json["user"]["id"] == grace.id


def test_a_token_from_another_tenant_with_the_same_email_is_refused(
        client: Any, entra: Callable[..., str], services: Any) -> None:
    before = _users(services)
    token = entra(AVA, tenant=OTHER_TENANT, oid=object_id(AVA))  # same email, same oid
    response = _me(client, token)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "tenant_not_allowed"
    assert _users(services) == before


def test_an_org_that_allows_another_tenant_takes_its_people_as_themselves(
        client: Any, entra: Callable[..., str], services: Any) -> None:
    with services.db.session() as session:
        org = session.scalars(select(Organization)).one()
        org.allowed_tenant_ids = [OTHER_TENANT]
    response = _me(client, entra(AVA, tenant=OTHER_TENANT, oid="guest-oid"))
    # Created as their own user (tenant + object id); the emulated Microsoft refuses the
    # calendar on their behalf: this tenant is not its directory.
    assert response.status_code == 502
    assert (AVA, OTHER_TENANT, "guest-oid") in _users(services)
    assert next(u for u in _users(services) if u[0] == AVA) == (AVA, TENANT_ID,
                                                                object_id(AVA))


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("case", ["forged", "unsigned", "audience", "issuer", "expired",
                                  "missing", "garbage", "app_only", "no_object_id"])
def test_bad_tokens_are_refused(client: Any, entra: Callable[..., str],
                                clean_sandbox: SandboxRuntime, case: str) -> None:
    now = int(time.time())
    claims = {"iss": f"{clean_sandbox.origins['graph']}/{TENANT_ID}/v2.0", "aud": AUDIENCE,
              "tid": TENANT_ID, "oid": object_id(AVA), "scp": "access_as_user",
              "preferred_username": AVA, "iat": now, "nbf": now, "exp": now + 600}
    token: str | None = {
        "forged": lambda: Signer().sign(claims),
        "unsigned": lambda: _unsigned(claims),
        "audience": lambda: entra(audience="some-other-app"),
        "issuer": lambda: entra(issuer="https://evil.example/tenant/v2.0"),
        "expired": lambda: entra(lifetime=-120),
        "missing": lambda: None,
        "garbage": lambda: "not.a.token",
        "app_only": lambda: entra(scp=""),
        "no_object_id": lambda: Signer().sign({k: v for k, v in claims.items()
                                               if k != "oid"}),
    }[case]()
    response = _me(client, token)
    assert response.status_code == 401, response.json
    assert response.json["error"]["code"] in ("unauthorized", "invalid_token")


def test_first_sight_makes_a_user_of_the_tenants_org_with_calendar_on_their_behalf(
        client: Any, entra: Callable[..., str], services: Any) -> None:
    _forget(services, GRACE)
    response = _me(client, entra(GRACE, consent=True))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["user"]["name"] == "Grace Hopper" and body["user"]["isAdmin"] is False
    assert body["organization"]["name"] == "Acme Sales (sandbox)"
    assert body["connections"] == {"salesforce": False, "graph": True, "google": False,
                                   "ews": False}
    assert body["next"] == "connect_salesforce"
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.microsoft_object_id ==
                                                 object_id(GRACE)))
        assert user is not None and user.microsoft_tenant_id == TENANT_ID
        row = session.scalar(select(Connection).where(Connection.user_id == user.id))
        assert row is not None and row.refresh_token_encrypted
        assert ".r." not in row.refresh_token_encrypted  # encrypted at rest
    assert load_connection(services, body["user"]["id"], "graph").account == GRACE
    again = _me(client, entra(GRACE))  # the same person: the same user, no second OBO
    assert again.json["user"]["id"] == body["user"]["id"]


def test_missing_consent_answers_a_clear_error_asking_for_it(
        client: Any, entra: Callable[..., str], services: Any) -> None:
    _forget(services, GRACE)
    response = _me(client, entra(GRACE))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "consent_required"
    assert "consent" in response.json["error"]["message"]
    assert _me(client, entra(GRACE, consent=True)).status_code == 200


def test_a_dead_calendar_refresh_token_is_replaced_on_the_next_pane_request(
        client: Any, entra: Callable[..., str], services: Any,
        clean_sandbox: SandboxRuntime) -> None:
    from addin.accounts.oauth import OAuthFlowError, refresh_access_token

    _forget(services, GRACE)
    user_id = _me(client, entra(GRACE, consent=True)).json["user"]["id"]
    with services.db.session() as session:
        old = services.cipher.decrypt(session.scalar(select(
            Connection.refresh_token_encrypted).where(Connection.user_id == user_id)))
    clean_sandbox.state.tokens.revoke(old)  # e.g. the person's sessions were revoked
    with pytest.raises(OAuthFlowError):
        refresh_access_token(services, user_id, "graph")
    with pytest.raises(Exception, match="not connected"):
        load_connection(services, user_id, "graph")
    assert _me(client, entra(GRACE)).json["connections"]["graph"] is True
    assert load_connection(services, user_id, "graph").access_token
