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


def google_identity(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    bp = Blueprint("sandbox_google_identity", __name__)
    signer = GoogleSigner()

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
