"""OAuth 2.0 connections to Salesforce, Microsoft and Google: the authorization-code flow
with PKCE (authlib), token refresh in ONE place, revocation.

No server-side flow state: ``state`` is a signed, short-lived token naming the user and
the service, and the PKCE code verifier is derived from it with the app's secret (HMAC),
so the callback can recompute it and nobody else can.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from addin.accounts.identity import IdentityConflict, bind_salesforce_identity
from addin.container import Container
from addin.domain.errors import NotPermitted, UpstreamFailed
from addin.store.models import Connection, User

log = logging.getLogger(__name__)

SERVICES = ("salesforce", "graph", "google")
STATE_MAX_AGE = 600
SANDBOX_CLIENT_ID = "addin-sandbox"
OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# What the product does with a user's Outlook calendar, asked for on their behalf.
GRAPH_OBO_SCOPE = "https://graph.microsoft.com/Calendars.ReadWrite offline_access"


class OAuthFlowError(Exception):
    """The authorization could not be completed (denied, expired, tampered, refused)."""


class ConsentRequired(NotPermitted):
    """Microsoft needs the person's (or their admin's) consent before the product may use
    their calendar on their behalf."""

    code = "consent_required"


@dataclass(frozen=True)
class OAuthEndpoints:
    service: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str | None
    scope: str
    extra: tuple[tuple[str, str], ...] = ()


def endpoints(container: Container, service: str) -> OAuthEndpoints:
    s = container.settings
    urls = s.upstream_urls

    def client_id(configured: str) -> str:
        """In sandbox mode the emulators accept a fixed client id."""
        return configured or (SANDBOX_CLIENT_ID if s.mode == "sandbox" else "")

    if service == "salesforce":
        base = urls["salesforce_login"]
        return OAuthEndpoints(service, client_id(s.salesforce_client_id),
                              s.salesforce_client_secret, f"{base}/services/oauth2/authorize",
                              f"{base}/services/oauth2/token", f"{base}/services/oauth2/revoke",
                              "api refresh_token")
    if service == "graph":
        base = f"{urls['microsoft_login']}/{s.microsoft_tenant}/oauth2/v2.0"
        return OAuthEndpoints(service, client_id(s.microsoft_client_id),
                              s.microsoft_client_secret, f"{base}/authorize", f"{base}/token",
                              None, "openid email offline_access Calendars.ReadWrite")
    if service == "google":
        return OAuthEndpoints(service, client_id(s.google_client_id),
                              s.google_client_secret, f"{urls['google_accounts']}/o/oauth2/v2/auth",
                              f"{urls['google_oauth']}/token", f"{urls['google_oauth']}/revoke",
                              "openid email https://www.googleapis.com/auth/calendar.events",
                              (("access_type", "offline"), ("prompt", "consent")))
    raise OAuthFlowError(f"unknown service {service!r}")


def callback_url(container: Container, service: str) -> str:
    return f"{container.settings.public_url.rstrip('/')}/auth/{service}/callback"


def _serializer(container: Container) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(container.settings.secret_key, salt="addin-oauth-state")


def _verifier(container: Container, nonce: str) -> str:
    mac = hmac.new(container.settings.secret_key.encode(), f"pkce:{nonce}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # 43 chars


def _client(container: Container, ends: OAuthEndpoints) -> OAuth2Session:
    session = OAuth2Session(client_id=ends.client_id, client_secret=ends.client_secret or None,
                            scope=ends.scope, redirect_uri=callback_url(container, ends.service),
                            token_endpoint_auth_method="client_secret_post")
    session.trust_env = False  # the upstream CA below must win over REQUESTS_CA_BUNDLE
    if container.settings.ca_bundle:
        session.verify = container.settings.ca_bundle
    return session


def authorization_url(container: Container, user_id: int, service: str) -> str:
    ends = endpoints(container, service)
    if not ends.client_id:
        raise OAuthFlowError(f"no OAuth client is configured for {service}")
    nonce = secrets.token_urlsafe(16)
    state = _serializer(container).dumps({"uid": user_id, "svc": service, "n": nonce})
    url, _ = _client(container, ends).create_authorization_url(
        ends.authorize_url, state=state,
        code_challenge=create_s256_code_challenge(_verifier(container, nonce)),
        code_challenge_method="S256", **dict(ends.extra))
    return str(url)


def complete_authorization(container: Container, service: str, state: str, code: str
                           ) -> int:
    """Exchange the code, store the tokens encrypted; returns the user id."""
    try:
        data = _serializer(container).loads(state, max_age=STATE_MAX_AGE)
    except SignatureExpired:
        raise OAuthFlowError("the sign-in took too long; start again") from None
    except BadSignature:
        raise OAuthFlowError("the sign-in state is invalid") from None
    if data.get("svc") != service:
        raise OAuthFlowError("the sign-in state is for another service")
    ends = endpoints(container, service)
    client = _client(container, ends)
    try:
        token = client.fetch_token(ends.token_url, code=code, grant_type="authorization_code",
                                   code_verifier=_verifier(container, data["n"]),
                                   timeout=container.settings.http_timeout_seconds)
    except Exception as exc:  # authlib raises OAuthError subclasses and requests errors
        raise OAuthFlowError(f"{service} refused the sign-in: {exc}") from exc
    user_id = int(data["uid"])
    if service == "salesforce":
        user_id, account = _bind_salesforce(container, user_id, token)
    else:
        account = _account(service, token)
    if service == "google":
        _check_google_account(container, user_id, token)
    _store(container, user_id, service, token, account)
    return user_id


def _bind_salesforce(container: Container, user_id: int, token: dict[str, Any]
                     ) -> tuple[int, str | None]:
    """Who connected: the identity URL names the Salesforce user and org. Binds the user
    (and their organization) to them; refused before any token is stored. Returns the
    user the connection belongs to, and the account to display."""
    if not token.get("id"):
        raise OAuthFlowError("Salesforce did not say who signed in (no identity URL)")
    response = container.session_for("salesforce").get(token["id"], headers={
        "Authorization": f"Bearer {token['access_token']}"})
    if not response.ok:
        raise OAuthFlowError(f"Salesforce's identity service answered {response.status_code}")
    identity = response.json()
    org_id, sf_user_id = identity.get("organization_id"), identity.get("user_id")
    if not isinstance(org_id, str) or not isinstance(sf_user_id, str):
        raise OAuthFlowError("Salesforce's identity lacks the user or organization id")
    try:
        owner = bind_salesforce_identity(container, user_id, org_id, sf_user_id)
    except IdentityConflict as exc:
        raise OAuthFlowError(f"not connected: {exc}") from None
    return owner, str(identity.get("email") or identity.get("username") or "") or None


def _id_token_claims(token: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims. Received directly from the token endpoint over TLS, so its
    signature need not be checked (OpenID Connect Core 3.1.3.7)."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return {}
    payload = id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims if isinstance(claims, dict) else {}


def _account(service: str, token: dict[str, Any]) -> str | None:
    """The upstream identity, for display."""
    claims = _id_token_claims(token)
    return str(claims.get("email") or claims.get("preferred_username") or "") or None


def _check_google_account(container: Container, user_id: int, token: dict[str, Any]) -> None:
    """A Gmail user connects their own Google account's calendar, not someone else's."""
    sub = _id_token_claims(token).get("sub")
    with container.db.session() as session:
        expected = session.scalar(select(User.google_sub).where(User.id == user_id))
    if expected and sub and str(sub) != expected:
        raise OAuthFlowError("not connected: choose the Google account you use in Gmail")


def _store(container: Container, user_id: int, service: str, token: dict[str, Any],
           account: str | None) -> None:
    cipher = container.cipher
    expires_in = token.get("expires_in")
    expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else (
        datetime.now(UTC) + timedelta(hours=2) if service == "salesforce" else None)
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == service))
        if row is None:
            row = Connection(user_id=user_id, service=service)
            session.add(row)
        row.access_token_encrypted = cipher.encrypt(token["access_token"])
        if token.get("refresh_token"):
            row.refresh_token_encrypted = cipher.encrypt(token["refresh_token"])
        row.expires_at = expires_at
        if token.get("instance_url"):
            row.instance_url = token["instance_url"]
        if account:
            row.account = account
        row.scopes = token.get("scope")


def refresh_access_token(container: Container, user_id: int, service: str) -> str:
    """The one place tokens are refreshed. Returns the new access token."""
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == service))
        if row is None or not row.refresh_token_encrypted:
            raise OAuthFlowError(f"{service} is not connected with a refresh token")
        refresh = container.cipher.decrypt(row.refresh_token_encrypted)
    ends = endpoints(container, service)
    try:
        token = _client(container, ends).refresh_token(
            ends.token_url, refresh_token=refresh, timeout=container.settings.http_timeout_seconds)
    except AuthlibBaseError as exc:
        if service == "graph" and exc.error == "invalid_grant":
            _forget_dead_connection(container, user_id, service, refresh)
        raise OAuthFlowError(f"{service} refused to refresh the token: {exc}") from exc
    except Exception as exc:
        raise OAuthFlowError(f"{service} refused to refresh the token: {exc}") from exc
    _store(container, user_id, service, dict(token), None)
    return str(token["access_token"])


def _forget_dead_connection(container: Container, user_id: int, service: str,
                            refresh: str) -> None:
    """Microsoft no longer honours the refresh token (revoked, expired, consent withdrawn):
    forget the connection, so the pane's next request makes a new one on the person's
    behalf (or asks them to consent). Only if nobody stored a newer token meanwhile."""
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == service))
        if row is not None and row.refresh_token_encrypted and \
                container.cipher.decrypt(row.refresh_token_encrypted) == refresh:
            session.delete(row)


def disconnect(container: Container, user_id: int, service: str) -> bool:
    """Revoke upstream where the vendor allows it, then forget the tokens."""
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == service))
        if row is None:
            return False
        hint = "refresh_token" if row.refresh_token_encrypted else "access_token"
        token = container.cipher.decrypt(row.refresh_token_encrypted or
                                        row.access_token_encrypted)
        session.delete(row)
    ends = endpoints(container, service)
    if ends.revoke_url:
        try:
            response = _client(container, ends).revoke_token(
                ends.revoke_url, token=token, token_type_hint=hint,
                timeout=container.settings.http_timeout_seconds)
            if response.status_code >= 400:
                log.warning("%s refused to revoke the token: %s", service, response.text[:200])
        except requests.RequestException as exc:  # forgotten here anyway; expires upstream
            log.warning("could not revoke the %s token: %s", service, exc)
    return True


def ensure_graph_on_behalf_of(container: Container, user_id: int, assertion: str) -> None:
    """An Outlook user's calendar connection, from the pane's own token (OAuth 2.0
    on-behalf-of): no separate "Connect Microsoft" step. The refresh token is stored
    encrypted, for background sync. Does nothing when the connection exists."""
    with container.db.session() as session:
        if session.scalar(select(Connection.id).where(Connection.user_id == user_id,
                                                      Connection.service == "graph")):
            return
        email = session.scalar(select(User.email).where(User.id == user_id))
    ends = endpoints(container, "graph")
    client = _client(container, ends)
    try:
        token = client.fetch_token(ends.token_url, grant_type=OBO_GRANT, assertion=assertion,
                                   requested_token_use="on_behalf_of", scope=GRAPH_OBO_SCOPE,
                                   timeout=container.settings.http_timeout_seconds)
    except AuthlibBaseError as exc:
        described = f"{exc.error} {exc.description or ''}"
        if "AADSTS65001" in described or "consent_required" in described or \
                exc.error == "interaction_required":
            raise ConsentRequired(
                "Microsoft needs your consent before this sidebar may use your Outlook "
                "calendar. Sign in again and accept the permissions it asks for.",
                fields={"scopes": GRAPH_OBO_SCOPE}) from None
        raise UpstreamFailed(f"Microsoft refused calendar access on your behalf: "
                             f"{exc.description or exc.error}") from None
    except requests.RequestException as exc:
        raise UpstreamFailed(f"Microsoft could not be reached: {exc}") from None
    _store(container, user_id, "graph", dict(token), email)
