"""Google's identity side in the sandbox: the public keys at /oauth2/v3/certs and a
sandbox-only endpoint that mints Google-style ID tokens (what Google puts in a Workspace
add-on request: the system ID token of the add-on's service account, and the user's ID
token), signed with a local RSA key so the product verifies them with its real code."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, jsonify, request

from addin.sandbox.jwt_signer import Signer
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

ISSUER = "https://accounts.google.com"
ADDON_SERVICE_ACCOUNT = "service-000000000000@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
LIFETIME = 3600


def subject(email: str) -> str:
    """The Google account's immutable id (``sub``) of a sandbox person."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, email.lower()).int)[:21]


class GoogleSigner(Signer):
    def mint(self, email: str, audience: str, lifetime: int = LIFETIME,
             issuer: str = ISSUER, sub: str | None = None, **extra: Any) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "sub": sub or subject(email),
                  "email": email, "email_verified": True, "iat": now, "exp": now + lifetime,
                  **extra}
        return self.sign(claims)


SIGNER = "google.identity.signer"


def signer_for(state: SandboxState) -> GoogleSigner:
    """Google's signing key in this sandbox: one per sandbox (kept across restarts of a
    sandbox with a state folder), shared by its ID tokens (the add-on's requests, the
    OAuth token endpoint's id_token) and its published certs."""
    signer = state.durable.get(SIGNER)
    if signer is None:
        signer = state.keep(SIGNER, GoogleSigner())
    assert isinstance(signer, GoogleSigner)
    return signer


def google_identity(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    bp = Blueprint("sandbox_google_identity", __name__)
    signer = signer_for(state)

    @bp.get("/.well-known/openid-configuration")
    def configuration() -> Any:
        return jsonify({
            "issuer": ISSUER,
            "authorization_endpoint": f"{base_url}/o/oauth2/v2/auth",
            "token_endpoint": f"{base_url}/token",
            "revocation_endpoint": f"{base_url}/revoke",
            "jwks_uri": f"{base_url}/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss",
                                 "name", "sub"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        })

    @bp.get("/oauth2/v3/certs")
    def certs() -> Any:
        response = jsonify(signer.jwks())
        response.headers["Cache-Control"] = "public, max-age=19845, must-revalidate"
        return response

    @bp.post("/sandbox-ui/id-token")
    def id_token() -> Any:
        body = request.get_json(silent=True) or {}
        kind = body.get("kind", "user")
        audience = body.get("audience")
        if kind not in ("user", "system") or not isinstance(audience, str) or not audience:
            return jsonify({"error": "kind (user|system) and audience are required"}), 400
        email = ADDON_SERVICE_ACCOUNT if kind == "system" else body.get("email")
        if not isinstance(email, str) or "@" not in email:
            return jsonify({"error": "email is required for a user token"}), 400
        issuer = str(body.get("issuer") or ISSUER)  # tests of the verifier may change it
        extra = {"name": body["name"]} if isinstance(body.get("name"), str) else {}
        return jsonify({"idToken": signer.mint(email, audience, issuer=issuer,
                                               lifetime=int(body.get("lifetime", LIFETIME)),
                                               sub=body.get("sub"), **extra)})

    return bp
