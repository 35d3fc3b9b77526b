"""Verification of Google-signed ID tokens (Gmail add-on requests).

Every request Google sends a Workspace add-on carries the add-on's system ID token in
``Authorization: Bearer``; its audience is the endpoint URL and its email the add-on's
service account. The event object carries the user's ID token, whose audience is the
add-on's OAuth client. Signatures are checked against Google's published keys."""

from __future__ import annotations

from typing import Any

from addin.container import Container
from addin.errors import Unauthorized
from addin.web.jwt_keys import verify

ISSUERS = ["accounts.google.com", "https://accounts.google.com"]


def verify_google_id_token(container: Container, token: str, *, audience: str,
                           email: str | None = None) -> dict[str, Any]:
    """The token's claims, or Unauthorized."""
    claims = verify(container, token, jwks_url=container.settings.upstream_urls["google_certs"],
                    service="google", what="Google ID token", claims={
                        "iss": {"essential": True, "values": ISSUERS},
                        "aud": {"essential": True, "value": audience},
                        "exp": {"essential": True}, "email": {"essential": True}})
    if claims.get("email_verified") is not True:
        raise Unauthorized("The Google account's email is not verified.", code="invalid_token")
    if email is not None and str(claims.get("email", "")).lower() != email.lower():
        raise Unauthorized("The request was not signed for this add-on.", code="invalid_token")
    return claims
