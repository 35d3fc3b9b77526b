"""The Entra ID emulator behaves like Microsoft's identity platform for a standard OAuth
client (authlib): discovery, authorization code with PKCE, verifiable ID tokens, rotating
refresh tokens, the on-behalf-of grant (consent required), silent authorize, CORS."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from addin.sandbox import SandboxRuntime
from addin.sandbox.entra import TENANT_ID, object_id

GRACE = "grace.hopper@acme-sales.example"
CLIENT = "addin-sandbox"
API = f"api://127.0.0.1:5000/{CLIENT}/access_as_user"
REDIRECT = "http://127.0.0.1:5000/outlook/auth-redirect"
VERIFIER = "v" * 50


@pytest.fixture
def entra(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> dict[str, Any]:
    base = clean_sandbox.origins["graph"]
    upstream.post(f"{base}/sandbox-ui/entra/revoke-consent", json={})
    config = upstream.get(f"{base}/common/v2.0/.well-known/openid-configuration").json()
    return {"base": base, **config}


def _sign_in(upstream: requests.Session, entra: dict[str, Any], scope: str,
             **extra: str) -> tuple[str, requests.Response]:
    """Authorize (the person accepts on the consent page); returns the code and the
    consent answer (it sets the emulator's sign-in cookie)."""
    client = OAuth2Session(CLIENT, scope=scope, redirect_uri=REDIRECT)
    url, _ = client.create_authorization_url(
        entra["authorization_endpoint"], nonce="n-0S6", response_mode="fragment",
        code_challenge=create_s256_code_challenge(VERIFIER), code_challenge_method="S256",
        **extra)
    page = upstream.get(url)
    assert page.status_code == 200 and "Grace Hopper" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = upstream.post(url.split("?")[0], data={**query, "login": GRACE,
                                                    "decision": "allow"},
                           allow_redirects=False)
    fragment = parse_qs(urlsplit(answer.headers["Location"]).fragment)
    return fragment["code"][0], answer


def _redeem(upstream: requests.Session, entra: dict[str, Any], code: str, scope: str
            ) -> dict[str, Any]:
    answer = upstream.post(entra["token_endpoint"], headers={"Origin": "http://127.0.0.1:5000"},
                           data={"grant_type": "authorization_code", "client_id": CLIENT,
                                 "code": code, "redirect_uri": REDIRECT, "scope": scope,
                                 "code_verifier": VERIFIER})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"
    return dict(answer.json())


def test_discovery_names_the_emulators_endpoints(entra: dict[str, Any]) -> None:
    base = entra["base"]
    assert entra["issuer"] == f"{base}/{{tenantid}}/v2.0"
    assert entra["token_endpoint"] == f"{base}/common/oauth2/v2.0/token"
    assert entra["jwks_uri"] == f"{base}/common/discovery/v2.0/keys"


def test_code_with_pkce_gives_a_verifiable_api_token_and_rotating_refresh(
        upstream: requests.Session, entra: dict[str, Any]) -> None:
    scope = f"{API} openid profile offline_access"
    code, _ = _sign_in(upstream, entra, scope)
    body = _redeem(upstream, entra, code, scope)
    keys = KeySet.import_key_set(upstream.get(entra["jwks_uri"]).json())
    access = jwt.decode(body["access_token"], keys, algorithms=["RS256"]).claims
    assert (access["tid"], access["oid"], access["scp"]) == (TENANT_ID, object_id(GRACE),
                                                             "access_as_user")
    assert access["aud"] == f"api://127.0.0.1:5000/{CLIENT}"
    identity = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert identity["nonce"] == "n-0S6" and identity["aud"] == CLIENT
    assert identity["iss"] == f"{entra['base']}/{TENANT_ID}/v2.0"
    assert body["client_info"]
    again = _redeem_fails(upstream, entra, code, scope)  # a code is used once
    assert again["error"] == "invalid_grant"
    refreshed = upstream.post(entra["token_endpoint"], data={
        "grant_type": "refresh_token", "client_id": CLIENT,
        "refresh_token": body["refresh_token"], "scope": scope}).json()
    assert refreshed["refresh_token"] != body["refresh_token"]
    reused = upstream.post(entra["token_endpoint"], data={
        "grant_type": "refresh_token", "client_id": CLIENT,
        "refresh_token": body["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error_codes"] == [700082]


def _redeem_fails(upstream: requests.Session, entra: dict[str, Any], code: str, scope: str
                  ) -> dict[str, Any]:
    answer = upstream.post(entra["token_endpoint"], data={
        "grant_type": "authorization_code", "client_id": CLIENT, "code": code,
        "redirect_uri": REDIRECT, "scope": scope, "code_verifier": VERIFIER})
    assert answer.status_code == 400
    return dict(answer.json())


def test_on_behalf_of_needs_consent_to_the_graph_scopes(
        upstream: requests.Session, entra: dict[str, Any], clean_sandbox: SandboxRuntime
        ) -> None:
    def obo(assertion: str) -> requests.Response:
        return upstream.post(entra["token_endpoint"], data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": CLIENT,
            "client_secret": "s", "assertion": assertion, "requested_token_use": "on_behalf_of",
            "scope": "https://graph.microsoft.com/Calendars.ReadWrite offline_access"})

    scope = f"{API} openid offline_access"
    code, _ = _sign_in(upstream, entra, scope)  # consented to the API only
    token = _redeem(upstream, entra, code, scope)["access_token"]
    refused = obo(token)
    assert refused.status_code == 400
    assert refused.json()["error_codes"] == [65001]
    assert refused.json()["suberror"] == "consent_required"
    code, _ = _sign_in(upstream, entra, f"{scope} https://graph.microsoft.com/Calendars.ReadWrite")
    token = _redeem(upstream, entra, code, scope)["access_token"]
    granted = obo(token).json()
    calendar = upstream.get(f"{clean_sandbox.origins['graph']}/v1.0/me/events",
                            headers={"Authorization": f"Bearer {granted['access_token']}"})
    assert calendar.status_code == 200
    assert granted["refresh_token"]


def test_silent_authorize_uses_the_sign_in_cookie(upstream: requests.Session,
                                                  entra: dict[str, Any]) -> None:
    silent = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
              "scope": f"{API} openid", "prompt": "none", "state": "s1"}
    anonymous = requests.get(entra["authorization_endpoint"], params=silent,
                             verify=upstream.verify, allow_redirects=False)
    assert "error=login_required" in anonymous.headers["Location"]
    _sign_in(upstream, entra, f"{API} openid")  # the session keeps the cookie
    known = upstream.get(entra["authorization_endpoint"], params=silent,
                         allow_redirects=False)
    assert "code=" in known.headers["Location"] and "state=s1" in known.headers["Location"]
