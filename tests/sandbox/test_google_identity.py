"""Google's identity side in the sandbox: OpenID discovery, and the token endpoint's
id_token signed with the key published at the certs URL (the product's verifier's)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from addin.sandbox import SandboxRuntime
from addin.sandbox.google_identity import subject

CLEO = "cleo.nguyen@acme-sales.example"


def test_discovery_and_a_signed_id_token_with_the_persons_sub(
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    config = upstream.get(f"{clean_sandbox.origins['google']}/.well-known/openid-configuration"
                          ).json()
    assert config["issuer"] == "https://accounts.google.com"
    client = OAuth2Session("addin-sandbox", scope="openid email", redirect_uri="https://x/cb")
    url, _ = client.create_authorization_url(config["authorization_endpoint"])
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = upstream.post(url.split("?")[0], allow_redirects=False,
                           data={**query, "login": CLEO, "decision": "allow"})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = upstream.post(config["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "client_id": "addin-sandbox",
        "redirect_uri": "https://x/cb"}).json()
    keys = KeySet.import_key_set(upstream.get(config["jwks_uri"]).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert (claims["sub"], claims["email"], claims["aud"]) == (subject(CLEO), CLEO,
                                                               "addin-sandbox")
