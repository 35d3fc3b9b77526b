"""OAuth 2.0 authorization servers of the emulated vendors (authorization-code flow with
PKCE, refresh, revoke), each with the vendor's own paths and response shapes:

- Salesforce: /services/oauth2/authorize | token | revoke | userinfo, the identity URL
  /id/<org>/<user>, OpenID discovery
- Google: /o/oauth2/v2/auth, /token, /revoke (the refresh token is returned only once)

The consent page lets a person pick a seeded user. Access tokens expire; the sandbox-only
POST /sandbox-ui/oauth/expire {"email"} expires a user's access tokens so refresh can be
tried. Issued tokens go into the shared registry, which the emulators' APIs accept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

CODE_LIFETIME = 600


@dataclass(frozen=True)
class Vendor:
    service: str  # the token registry's service name
    name: str
    authorize_path: str
    token_path: str
    revoke_path: str | None
    access_lifetime: int
    rotates_refresh: bool
    refresh_only_once: bool  # Google returns a refresh token only on the code exchange


SALESFORCE = Vendor("salesforce", "Salesforce", "/services/oauth2/authorize",
                    "/services/oauth2/token", "/services/oauth2/revoke", 7200, False, False)
GOOGLE = Vendor("google", "Google", "/o/oauth2/v2/auth", "/token", "/revoke", 3599, False,
                True)


@dataclass
class _Grant:
    email: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    scope: str
    expires: float


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    """RFC 7636: the token request's code_verifier answers the authorization request's
    code_challenge (S256: base64url of its SHA-256, no padding; plain: itself)."""
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(verifier, challenge)


def _error(vendor: Vendor, status: int, error: str, description: str) -> Response:
    body: dict[str, Any] = {"error": error, "error_description": description}
    response = jsonify(body)
    response.status_code = status
    return response


def _blueprint(vendor: Vendor, state: SandboxState, seed: SeedData, base_url: str
               ) -> Blueprint:
    bp = Blueprint(f"sandbox_oauth_{vendor.service}", __name__)
    grants: dict[str, _Grant] = state.keep(f"oauth.{vendor.service}.grants", {})
    lock = threading.Lock()
    people = [u for u in seed.users]
    secret = state.keep(f"oauth.{vendor.service}.secret", {"key": secrets.token_bytes(32)})

    def consent_page(params: dict[str, str]) -> Response:
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in params.items())
        options = "".join(
            f'<label><input type="radio" name="login" value="{escape(u.email)}"'
            f'{" checked" if i == 0 else ""}> {escape(u.name)} &lt;{escape(u.email)}&gt;'
            f'</label><br>' for i, u in enumerate(people))
        html = (f"<!doctype html><title>{vendor.name} sandbox sign-in</title>"
                f"<h1>{vendor.name} (sandbox)</h1><p>Allow <b>{escape(params.get('client_id', ''))}"
                f"</b> to access your account?</p><form method=post>{hidden}{options}"
                "<button type=submit name=decision value=allow>Allow</button> "
                "<button type=submit name=decision value=deny>Deny</button></form>")
        return Response(html, mimetype="text/html",
                        headers={"Content-Security-Policy": "frame-ancestors 'none'"})

    def authorize(tenant: str | None = None) -> Any:
        params = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
        redirect_uri = params.get("redirect_uri", "")
        if params.get("response_type") != "code" or not params.get("client_id") \
                or not redirect_uri.startswith(("http://", "https://")):
            return _error(vendor, 400, "invalid_request",
                          "response_type=code, client_id and redirect_uri are required")
        method = params.get("code_challenge_method", "plain")
        if params.get("code_challenge") and method not in ("S256", "plain"):
            return _error(vendor, 400, "invalid_request", "unsupported code_challenge_method")
        if request.method == "GET":
            return consent_page({k: v for k, v in params.items() if k != "login"})
        separator = "&" if "?" in redirect_uri else "?"
        back: dict[str, str] = {}
        if params.get("state"):
            back["state"] = params["state"]
        if params.get("decision") != "allow":
            back.update(error="access_denied", error_description="The user denied access")
            return Response(status=302,
                            headers={"Location": redirect_uri + separator + urlencode(back)})
        email = params.get("login", "")
        if not any(u.email == email for u in people):
            return _error(vendor, 400, "invalid_request", "unknown sandbox user")
        code = secrets.token_urlsafe(24)
        with lock:
            grants[code] = _Grant(email, params["client_id"], redirect_uri,
                                  params.get("code_challenge"), method,
                                  params.get("scope", ""), time.time() + CODE_LIFETIME)
        back["code"] = code
        return Response(status=302,
                        headers={"Location": redirect_uri + separator + urlencode(back)})

    def issue(email: str, scope: str, refresh: str | None, client_id: str = ""
              ) -> dict[str, Any]:
        access = state.tokens.issue(vendor.service, email,
                                    expires_at=time.time() + vendor.access_lifetime,
                                    parent=refresh, scopes=scope)
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
        if vendor is SALESFORCE:
            user = next(u for u in people if u.email == email)
            issued_at = str(int(time.time() * 1000))
            identity = f"{base_url}/id/{seed.org_of(email).org_id}/{user.id}"
            signature = base64.b64encode(hmac.new(secret["key"], (identity + issued_at).encode(),
                                                  hashlib.sha256).digest()).decode()
            body.update({"instance_url": base_url, "id": identity, "issued_at": issued_at,
                         "signature": signature, "scope": scope or "api refresh_token"})
        else:
            body.update({"expires_in": vendor.access_lifetime, "scope": scope})
            if vendor is GOOGLE and "openid" in scope.split() and client_id:
                from addin.sandbox.google_identity import signer_for

                person = next((u for u in people if u.email == email), None)
                body["id_token"] = signer_for(state).mint(
                    email, client_id, name=person.name if person else email)
        return body

    def token(tenant: str | None = None) -> Any:
        form = request.form
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with lock:
                grant = grants.pop(form.get("code", ""), None)
            if grant is None or grant.expires < time.time():
                return _error(vendor, 400, "invalid_grant", "invalid authorization code")
            if form.get("redirect_uri") != grant.redirect_uri or (
                    form.get("client_id") and form.get("client_id") != grant.client_id):
                return _error(vendor, 400, "invalid_grant", "redirect_uri or client mismatch")
            if grant.challenge and not pkce_matches(grant.challenge, grant.method,
                                                    form.get("code_verifier", "")):
                return _error(vendor, 400, "invalid_grant",
                              "PKCE verification failed (code_verifier)")
            refresh = state.tokens.issue(vendor.service, grant.email, kind="refresh",
                                         scopes=grant.scope)
            body = issue(grant.email, grant.scope, refresh, grant.client_id)
            body["refresh_token"] = refresh
            return jsonify(body)
        if grant_type == "refresh_token":
            old = form.get("refresh_token", "")
            issued = state.tokens.lookup(vendor.service, old, kind="refresh")
            if issued is None:
                return _error(vendor, 400, "invalid_grant", "expired or revoked refresh token")
            refresh = old
            if vendor.rotates_refresh:
                refresh = state.tokens.issue(vendor.service, issued.subject, kind="refresh",
                                             scopes=issued.scopes)
            body = issue(issued.subject, issued.scopes, refresh)
            if vendor.rotates_refresh:
                body["refresh_token"] = refresh
            return jsonify(body)
        return _error(vendor, 400, "unsupported_grant_type", f"grant_type {grant_type!r}")

    def revoke() -> Any:
        value = request.form.get("token") or request.args.get("token") or ""
        if not state.tokens.revoke(value):
            return _error(vendor, 400, "invalid_token", "the token is unknown or revoked")
        return Response(status=200)

    def expire() -> Any:
        body = request.get_json(silent=True) or {}
        count = state.tokens.expire_access_tokens(vendor.service, str(body.get("email", "")))
        return jsonify({"expired": count})

    bp.add_url_rule(vendor.authorize_path, "authorize", authorize, methods=["GET", "POST"])
    bp.add_url_rule(vendor.token_path, "token", token, methods=["POST"])
    if vendor.revoke_path:
        bp.add_url_rule(vendor.revoke_path, "revoke", revoke, methods=["POST", "GET"])
    bp.add_url_rule("/sandbox-ui/oauth/expire", "expire", expire, methods=["POST"])
    if vendor is SALESFORCE:
        @bp.get("/.well-known/openid-configuration")
        def configuration() -> Any:
            return jsonify({
                "issuer": base_url,
                "authorization_endpoint": f"{base_url}{vendor.authorize_path}",
                "token_endpoint": f"{base_url}{vendor.token_path}",
                "revocation_endpoint": f"{base_url}{vendor.revoke_path}",
                "userinfo_endpoint": f"{base_url}/services/oauth2/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "scopes_supported": ["id", "api", "web", "full", "openid",
                                     "refresh_token", "offline_access"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                          "client_secret_basic",
                                                          "private_key_jwt"],
            })

        @bp.get("/services/oauth2/userinfo")
        def userinfo() -> Any:
            header = request.headers.get("Authorization", "")
            issued = state.tokens.lookup("salesforce", header.removeprefix("Bearer ").strip())
            user = next((u for u in people if issued and u.email == issued.subject), None)
            if user is None:
                return Response("Bad_OAuth_Token", status=403, mimetype="text/plain")
            org_id = seed.org_of(user.email).org_id
            return jsonify({"sub": f"{base_url}/id/{org_id}/{user.id}",
                            "user_id": user.id, "organization_id": org_id,
                            "preferred_username": user.email, "email": user.email,
                            "email_verified": True, "name": user.name,
                            "given_name": user.first_name, "family_name": user.last_name,
                            "active": True, "user_type": "STANDARD"})

        @bp.get("/id/<org_id>/<user_id>")
        def identity(org_id: str, user_id: str) -> Any:
            header = request.headers.get("Authorization", "")
            issued = state.tokens.lookup("salesforce", header.removeprefix("Bearer ").strip())
            user = next((u for u in people if u.id == user_id), None)
            if issued is None or user is None or org_id != seed.org_of(user.email).org_id:
                return Response("Bad_OAuth_Token", status=403, mimetype="text/plain")
            return jsonify({"id": f"{base_url}/id/{org_id}/{user_id}", "user_id": user.id,
                            "organization_id": org_id, "username": user.email,
                            "email": user.email, "display_name": user.name,
                            "active": True, "user_type": "STANDARD"})
    return bp


def salesforce_oauth(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    return _blueprint(SALESFORCE, state, seed, base_url)


def google_oauth(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    return _blueprint(GOOGLE, state, seed, base_url)
