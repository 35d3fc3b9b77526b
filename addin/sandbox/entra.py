"""Microsoft Entra ID's token side in the sandbox (on the Graph emulator's origin): the
tenant's signing keys and OpenID configuration, and a sandbox-only endpoint that mints the
access token the Outlook pane would obtain through Nested App Authentication."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, jsonify, request

from addin.sandbox.jwt_signer import Signer
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

TENANT_ID = "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
LIFETIME = 3600


def entra_identity(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    bp = Blueprint("sandbox_entra", __name__)
    signer = state.keep("graph.entra.signer", Signer())
    people = {u.email.lower(): u for u in seed.users}

    @bp.get("/<tenant>/discovery/v2.0/keys")
    def keys(tenant: str) -> Any:
        return jsonify(signer.jwks())

    @bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
    def configuration(tenant: str) -> Any:
        return jsonify({
            "issuer": f"{base_url}/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/token",
            "jwks_uri": f"{base_url}/{tenant}/discovery/v2.0/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    @bp.post("/sandbox-ui/entra-token")
    def entra_token() -> Any:
        body = request.get_json(silent=True) or {}
        email = str(body.get("email", "")).lower()
        audience = body.get("audience")
        if email not in people or not isinstance(audience, str) or not audience:
            return jsonify({"error": "email of a seeded user and audience are required"}), 400
        person = people[email]
        now = int(time.time())
        lifetime = int(body.get("lifetime", LIFETIME))
        claims = {
            "iss": str(body.get("issuer") or f"{base_url}/{TENANT_ID}/v2.0"),
            "aud": audience, "tid": TENANT_ID, "ver": "2.0", "scp": "access_as_user",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, email)), "name": person.name,
            "preferred_username": email, "iat": now, "nbf": now, "exp": now + lifetime,
        }
        return jsonify({"accessToken": signer.sign(claims)})

    return bp
