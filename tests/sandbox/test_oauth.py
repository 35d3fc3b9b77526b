"""The emulated Salesforce authorization server as a client discovers it: OpenID
discovery, the web-server flow with PKCE, and who signed in (userinfo, identity URL)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from addin.sandbox import SandboxRuntime

GRACE = "grace.hopper@acme-sales.example"


def test_discovery_flow_and_who_signed_in(clean_sandbox: SandboxRuntime,
                                          upstream: requests.Session) -> None:
    base = clean_sandbox.origins["salesforce"]
    config = upstream.get(f"{base}/.well-known/openid-configuration").json()
    client = OAuth2Session("addin-sandbox", redirect_uri="https://x/cb",
                           code_challenge_method="S256")
    verifier = "w" * 64
    url, _ = client.create_authorization_url(config["authorization_endpoint"],
                                             code_verifier=verifier)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = upstream.post(url.split("?")[0], allow_redirects=False,
                           data={**query, "login": GRACE, "decision": "allow"})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = upstream.post(config["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "client_id": "addin-sandbox",
        "redirect_uri": "https://x/cb", "code_verifier": verifier}).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    info = upstream.get(config["userinfo_endpoint"], headers=bearer).json()
    identity = upstream.get(token["id"], headers=bearer).json()
    grace = next(u for u in clean_sandbox.seed.users if u.email == GRACE)
    assert info["sub"] == token["id"] == identity["id"]
    assert (info["user_id"], info["organization_id"]) == (grace.id, clean_sandbox.seed.org_id)
    assert upstream.get(config["userinfo_endpoint"]).status_code == 403
