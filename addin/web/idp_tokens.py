"""Entra ID access tokens from the Outlook pane (Nested App Authentication / Office SSO):
signature against the tenant's published keys, issuer (per tenant), audience (this app),
expiry and not-before; a delegated token (``scp``) for this API, with the tenant id and
the object id that identify the person."""

from __future__ import annotations

from typing import Any

from addin.accounts.identity import MicrosoftIdentity
from addin.accounts.oauth import endpoints
from addin.container import Container
from addin.errors import Unauthorized
from addin.web.jwt_keys import verify

ORGANIZATION_TENANTS = ("common", "organizations")
API_SCOPE = "access_as_user"


def audiences(container: Container) -> list[str]:
    client_id = endpoints(container, "graph").client_id
    host = container.settings.public_url.split("://", 1)[-1].split("/", 1)[0]
    return [client_id, f"api://{client_id}", f"api://{host}/{client_id}"]


def verify_entra_token(container: Container, token: str) -> dict[str, Any]:
    settings = container.settings
    login = settings.upstream_urls["microsoft_login"].rstrip("/")
    tenant = settings.microsoft_tenant
    claims = verify(container, token, service="graph", what="Microsoft token",
                    jwks_url=f"{login}/{tenant}/discovery/v2.0/keys", claims={
                        "aud": {"essential": True, "values": audiences(container)},
                        "exp": {"essential": True}, "tid": {"essential": True},
                        "oid": {"essential": True}, "iss": {"essential": True}})
    tid = str(claims["tid"])
    if tenant not in ORGANIZATION_TENANTS and tid != tenant:
        raise Unauthorized("The token is from another tenant.", code="invalid_token")
    if claims.get("iss") != f"{login}/{tid}/v2.0":
        raise Unauthorized("The token's issuer is not Microsoft Entra ID for its tenant.",
                           code="invalid_token")
    return claims


def microsoft_identity(claims: dict[str, Any]) -> MicrosoftIdentity:
    """Who the token stands for: tenant + object id. ``preferred_username`` and ``email``
    are mutable and not unique across tenants: display only."""
    if API_SCOPE not in str(claims.get("scp", "")).split():
        raise Unauthorized(f"The token was not issued for this API's {API_SCOPE} scope "
                           "(app-only tokens are not accepted).", code="invalid_token")
    email = next((str(claims[name]) for name in ("preferred_username", "email", "upn")
                  if "@" in str(claims.get(name, ""))), "")
    return MicrosoftIdentity(tenant_id=str(claims["tid"]), object_id=str(claims["oid"]),
                             name=str(claims.get("name") or ""), email=email)
