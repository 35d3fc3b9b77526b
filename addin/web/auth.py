"""Who is calling the API.

``/api/v1`` accepts ``Authorization: Bearer <token>`` where the token is either one of the
product's own API tokens (addin.accounts.identity) or an Entra ID access token from the Outlook pane
(verified in addin/web/idp_tokens.py), which maps to the user with that tenant id + object
id (created on first sight). An Outlook user's calendar access comes from that same token
through the on-behalf-of flow, the first time it is missing.
"""

from __future__ import annotations

from flask import g, request

from addin.accounts.identity import CurrentUser, load_user, user_for_microsoft
from addin.accounts.oauth import ensure_graph_on_behalf_of
from addin.container import current_container
from addin.errors import Unauthorized
from addin.web.idp_tokens import microsoft_identity, verify_entra_token
from addin.web.jwt_keys import unverified_header


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_user() -> CurrentUser:
    """The authenticated caller of this request, or 401."""
    cached = g.get("current_user")
    if cached is not None:
        return cached
    container = current_container()
    token = bearer_token()
    if token is None:
        raise Unauthorized("A bearer token is required.",
                           headers={"WWW-Authenticate": "Bearer"})
    user: CurrentUser | None = None
    user_id = container.api_tokens.verify(token)
    if user_id is not None:
        user = load_user(container, user_id)
    elif unverified_header(token).get("alg"):  # an identity provider's JWT (Entra ID)
        user = user_for_microsoft(container, microsoft_identity(
            verify_entra_token(container, token)))
        ensure_graph_on_behalf_of(container, user.id, token)
    if user is None:
        raise Unauthorized("The bearer token is invalid or expired.",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.current_user = user
    return user
