"""Microsoft Entra ID (the Microsoft identity platform v2.0) in the sandbox, on the Graph
emulator's origin, shaped so Microsoft's own client libraries (MSAL.js in the Outlook
pane, authlib in the product) work against it unchanged:

- OpenID discovery ``/<tenant>/v2.0/.well-known/openid-configuration``, the tenant's keys
  ``/<tenant>/discovery/v2.0/keys``, instance discovery ``/common/discovery/instance``;
- ``/<tenant>/oauth2/v2.0/authorize``: a sandbox consent page listing the seeded people
  (who are the emulated tenant's directory); ``response_mode`` query or fragment;
  ``prompt=none`` answers from the emulator's sign-in cookie or ``login_required``;
- ``/<tenant>/oauth2/v2.0/token``: authorization code (+ PKCE), refresh (rotating), and the
  on-behalf-of grant (``urn:ietf:params:oauth:grant-type:jwt-bearer``), which needs the
  person's consent to the Graph scopes (``AADSTS65001`` otherwise). CORS for single-page
  apps, as Entra answers redirect URIs of type SPA;
- ``/<tenant>/oauth2/v2.0/logout`` ends the emulator's sign-in session.

Tokens for the product's own API (a scope ``api://.../access_as_user``) are RS256 JWTs
with Entra's v2.0 claims (``tid``, ``oid``, ``scp``, ...); tokens for Graph are the shared
registry's opaque tokens, which the Graph emulator accepts. Sandbox-only helpers:
``POST /sandbox-ui/entra-token`` mints an API token directly (the pane's "choose a sandbox
user" shortcut and tests: any tenant, object id or ``preferred_username``; with
``idToken`` also the person's ID token, as an Outlook host's broker holds them), and
``POST /sandbox-ui/oauth/expire`` expires a person's Graph access tokens,
``POST /sandbox-ui/entra/revoke-consent`` withdraws consents.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from addin.sandbox.frame import operation
from addin.sandbox.jwt_signer import Signer
from addin.sandbox.oauth import pkce_matches
from addin.sandbox.seed import SeedData, SeedUser
from addin.sandbox.state import SandboxState

TENANT_ID = "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
LIFETIME = 3599
CODE_LIFETIME = 600
SESSION_COOKIE = "sandbox_entra_session"
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}
GRAPH = "https://graph.microsoft.com/"
OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def object_id(email: str) -> str:
    """The seeded person's immutable object id in the emulated tenant."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, email.lower()))


@dataclass
class _Grant:
    email: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    scope: str
    nonce: str | None
    expires: float


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _error(status: int, error: str, description: str, code: int, **extra: Any) -> Response:
    response = jsonify({"error": error, "error_description": f"AADSTS{code}: {description}",
                        "error_codes": [code],
                        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                        "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
                        **extra})
    response.status_code = status
    return response


def _graph_scope(scope: str) -> str | None:
    """``Calendars.ReadWrite`` for ``https://graph.microsoft.com/Calendars.ReadWrite`` or
    ``Calendars.ReadWrite``; None for OpenID scopes and other resources."""
    if scope.startswith(GRAPH):
        return scope[len(GRAPH):]
    if scope in OIDC_SCOPES or "://" in scope or "/" in scope:
        return None
    return scope


def _api_resource(scopes: list[str]) -> str | None:
    """The App ID URI of the product's API when a scope names it (``api://.../x``)."""
    for scope in scopes:
        if "://" in scope and not scope.startswith(GRAPH):
            return scope.rsplit("/", 1)[0]
    return None


class Directory:
    """The emulated tenant: its people, their consents, sign-in sessions, grants."""

    def __init__(self, seed: SeedData):
        self.people = {u.email.lower(): u for u in seed.users}
        self.by_oid = {object_id(email): email for email in self.people}
        self.lock = threading.Lock()
        self.grants: dict[str, _Grant] = {}
        self.consents: dict[tuple[str, str], set[str]] = {}  # (email, client) -> scopes
        self.sessions: dict[str, str] = {}  # cookie -> email

    def consent(self, email: str, client_id: str, scopes: list[str]) -> None:
        granted = {g.lower() for s in scopes if (g := _graph_scope(s))}
        with self.lock:
            self.consents.setdefault((email, client_id), set()).update(granted)

    def has_consented(self, email: str, client_id: str, scopes: list[str]) -> bool:
        wanted = {g.lower() for s in scopes if (g := _graph_scope(s))}
        with self.lock:
            return wanted <= self.consents.get((email, client_id), set())


def entra_identity(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    bp = Blueprint("sandbox_entra", __name__)
    # kept across restarts of a sandbox with a state folder (durable.py)
    signer = state.keep("graph.entra.signer", Signer())
    directory = state.keep("graph.entra.directory", Directory(seed))

    def issuer(tenant: str = TENANT_ID) -> str:
        return f"{base_url}/{tenant}/v2.0"

    @bp.after_request
    def _cors(response: Response) -> Response:
        """Entra answers single-page apps' discovery and token requests cross-origin."""
        origin = request.headers.get("Origin")
        if origin and not request.path.startswith("/sandbox-ui") \
                and not request.path.endswith("/authorize"):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Content-Type")
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @bp.get("/<tenant>/discovery/v2.0/keys")
    def keys(tenant: str) -> Any:
        return jsonify(signer.jwks())

    @bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
    def configuration(tenant: str) -> Any:
        multi = tenant in ("common", "organizations", "consumers")
        return jsonify({
            "token_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            "jwks_uri": f"{base_url}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer("{tenantid}" if multi else TENANT_ID),
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/authorize",
            "end_session_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/logout",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce",
                                 "preferred_username", "name", "tid", "oid", "ver"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": base_url.split("://", 1)[1],
        })

    @bp.get("/common/discovery/instance")
    def instance_discovery() -> Any:
        host = base_url.split("://", 1)[1]
        return jsonify({
            "tenant_discovery_endpoint":
                f"{base_url}/{{tenant}}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host,
                          "aliases": [host]}]})

    def consent_page(params: dict[str, str]) -> Response:
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in params.items())
        hint = params.get("login_hint", "").lower()
        people = list(directory.people.values())
        chosen = next((i for i, u in enumerate(people) if u.email == hint), 0)
        options = "".join(
            f'<label><input type="radio" name="login" value="{escape(u.email)}"'
            f'{" checked" if i == chosen else ""}> {escape(u.name)} &lt;{escape(u.email)}&gt;'
            "</label><br>" for i, u in enumerate(people))
        scopes = "".join(f"<li>{escape(s)}</li>" for s in params.get("scope", "").split())
        html = ("<!doctype html><title>Microsoft sandbox sign-in</title>"
                "<h1>Microsoft (sandbox)</h1>"
                f"<p>Sign in to <b>{escape(seed.org_name)}</b> and allow "
                f"<b>{escape(params.get('client_id', ''))}</b> to:</p><ul>{scopes}</ul>"
                f"<form method=post>{hidden}<fieldset><legend>Who are you?</legend>{options}"
                "</fieldset><button type=submit name=decision value=allow>Accept</button> "
                "<button type=submit name=decision value=deny>Cancel</button></form>")
        return Response(html, mimetype="text/html",
                        headers={"Content-Security-Policy": "frame-ancestors 'none'"})

    def back(params: dict[str, str], answer: dict[str, str]) -> Response:
        if params.get("state"):
            answer = {**answer, "state": params["state"]}
        redirect_uri = params["redirect_uri"]
        if params.get("response_mode") == "fragment":
            location = f"{redirect_uri}#{urlencode(answer)}"
        else:
            location = redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(answer)
        return Response(status=302, headers={"Location": location})

    def code_for(email: str, params: dict[str, str]) -> str:
        code = secrets.token_urlsafe(32)
        with directory.lock:
            directory.grants[code] = _Grant(
                email, params["client_id"], params["redirect_uri"],
                params.get("code_challenge"), params.get("code_challenge_method", "plain"),
                params.get("scope", ""), params.get("nonce"), time.time() + CODE_LIFETIME)
        return code

    @bp.route("/<tenant>/oauth2/v2.0/authorize", methods=["GET", "POST"])
    def authorize(tenant: str) -> Any:
        params = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
        if params.get("response_type") != "code" or not params.get("client_id") \
                or not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return _error(400, "invalid_request", "response_type=code, client_id and "
                          "redirect_uri are required.", 900144)
        if params.get("code_challenge") and \
                params.get("code_challenge_method", "plain") not in ("S256", "plain"):
            return _error(400, "invalid_request", "Unsupported code_challenge_method.", 50158)
        if request.method == "GET":
            if params.get("prompt") == "none":
                email = directory.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
                if email is None:
                    return back(params, {"error": "login_required", "error_description":
                                         "AADSTS50058: A silent sign-in request was sent "
                                         "but no user is signed in."})
                return back(params, {"code": code_for(email, params),
                                     "client_info": _b64({"uid": object_id(email),
                                                          "utid": TENANT_ID})})
            return consent_page({k: v for k, v in params.items() if k != "login"})
        if params.get("decision") != "allow":
            return back(params, {"error": "access_denied", "error_description":
                                 "AADSTS65004: The user declined to consent."})
        email = params.get("login", "").lower()
        if email not in directory.people:
            return _error(400, "invalid_request", "Unknown sandbox user.", 50034)
        scopes = params.get("scope", "").split()
        directory.consent(email, params["client_id"], scopes)
        cookie = secrets.token_urlsafe(24)
        with directory.lock:
            directory.sessions[cookie] = email
        response = back(params, {"code": code_for(email, params),
                                 "client_info": _b64({"uid": object_id(email),
                                                      "utid": TENANT_ID})})
        response.set_cookie(SESSION_COOKIE, cookie, secure=True, httponly=True,
                            samesite="None")
        return response

    @bp.get("/<tenant>/oauth2/v2.0/logout")
    def logout(tenant: str) -> Any:
        with directory.lock:
            directory.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        target = request.args.get("post_logout_redirect_uri")
        response = Response(status=302, headers={"Location": target}) if target else \
            Response("<!doctype html><p>You signed out.</p>", mimetype="text/html")
        response.delete_cookie(SESSION_COOKIE, secure=True, samesite="None")
        return response

    def api_token(person: SeedUser | None, email: str, audience: str, *, tenant: str,
                  oid: str, client_id: str, lifetime: int = LIFETIME,
                  issuer_override: str | None = None, scp: str = "access_as_user") -> str:
        now = int(time.time())
        claims = {"aud": audience, "iss": issuer_override or issuer(tenant), "iat": now,
                  "nbf": now, "exp": now + lifetime, "azp": client_id, "azpacr": "0",
                  "name": person.name if person else email, "oid": oid,
                  "preferred_username": email, "scp": scp,
                  "sub": hashlib.sha256(f"{oid}:{audience}".encode()).hexdigest()[:43],
                  "tid": tenant, "uti": secrets.token_urlsafe(16), "ver": "2.0"}
        return signer.sign(claims)

    def id_token(email: str, client_id: str, nonce: str | None) -> str:
        person = directory.people[email]
        now = int(time.time())
        oid = object_id(email)
        claims = {"aud": client_id, "iss": issuer(), "iat": now, "nbf": now,
                  "exp": now + LIFETIME, "name": person.name, "oid": oid,
                  "preferred_username": email, "email": email,
                  "sub": hashlib.sha256(f"{oid}:{client_id}".encode()).hexdigest()[:43],
                  "tid": TENANT_ID, "ver": "2.0"}
        if nonce:
            claims["nonce"] = nonce
        return signer.sign(claims)

    def tokens(email: str, client_id: str, scope: str, nonce: str | None,
               refresh: bool) -> dict[str, Any]:
        """The token response for these scopes: one resource per access token."""
        scopes = scope.split()
        resource = _api_resource(scopes)
        lifetime = int(state.setting("entra.accessTokenLifetimeSeconds"))
        refresh_token = state.tokens.issue("graph", email, kind="refresh",
                                           scopes=scope) if refresh else None
        if resource is not None:
            granted = [s for s in scopes if s.startswith(resource)]
            access = api_token(directory.people[email], email, resource, tenant=TENANT_ID,
                               oid=object_id(email), client_id=client_id, lifetime=lifetime)
        else:
            granted = [s for s in scopes if _graph_scope(s)] or ["User.Read"]
            access = state.tokens.issue("graph", email, expires_at=time.time() + lifetime,
                                        parent=refresh_token, scopes=" ".join(granted))
        body: dict[str, Any] = {"token_type": "Bearer",
                                "scope": " ".join([*granted, *(s for s in scopes
                                                               if s in OIDC_SCOPES)]),
                                "expires_in": lifetime, "ext_expires_in": lifetime,
                                "access_token": access}
        if refresh_token:
            body["refresh_token"] = refresh_token
        if "openid" in scopes:
            body["id_token"] = id_token(email, client_id, nonce)
        body["client_info"] = _b64({"uid": object_id(email), "utid": TENANT_ID})
        return body

    def on_behalf_of(form: Any) -> Response:
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            claims = jwt.decode(form.get("assertion", ""), signer.key,
                                algorithms=["RS256"]).claims
        except (JoseError, ValueError):
            return _error(400, "invalid_grant", "The assertion is not a valid token "
                          "issued by this tenant.", 50013)
        if claims.get("exp", 0) < time.time():
            return _error(400, "invalid_grant", "The provided assertion has expired.", 500133)
        client_id = form.get("client_id", "")
        audience = str(claims.get("aud", ""))
        if not client_id or not (audience == client_id or audience.endswith("/" + client_id)):
            return _error(400, "invalid_grant", "The assertion's audience is not the "
                          "requesting application.", 50013)
        if form.get("requested_token_use") != "on_behalf_of":
            return _error(400, "invalid_request", "requested_token_use must be "
                          "on_behalf_of.", 900144)
        email = directory.by_oid.get(str(claims.get("oid", "")), "")
        scopes = form.get("scope", "").split()
        if not email or claims.get("tid") != TENANT_ID:
            return _error(400, "invalid_grant", "The user account does not exist in the "
                          "tenant.", 50034)
        if not directory.has_consented(email, client_id, scopes):
            return _error(400, "invalid_grant", "The user or administrator has not "
                          f"consented to use the application with ID '{client_id}'. Send "
                          "an interactive authorization request for this user and "
                          "resource.", 65001, suberror="consent_required")
        return jsonify(tokens(email, client_id, " ".join(scopes), None,
                              refresh="offline_access" in scopes))

    @bp.route("/<tenant>/oauth2/v2.0/token", methods=["POST", "OPTIONS"])
    def token(tenant: str) -> Any:
        if request.method == "OPTIONS":
            return Response(status=204)
        form = request.form
        grant_type = form.get("grant_type")
        operation(f"token {'on_behalf_of' if grant_type == OBO_GRANT else grant_type}")
        if grant_type == "authorization_code":
            with directory.lock:
                grant = directory.grants.pop(form.get("code", ""), None)
            if grant is None or grant.expires < time.time():
                return _error(400, "invalid_grant", "The provided authorization code is "
                              "invalid or has expired.", 70008)
            if form.get("redirect_uri") != grant.redirect_uri or \
                    form.get("client_id", grant.client_id) != grant.client_id:
                return _error(400, "invalid_grant", "The reply URL or client does not match "
                              "the authorization request.", 50011)
            if grant.challenge and not pkce_matches(grant.challenge, grant.method,
                                                    form.get("code_verifier", "")):
                return _error(400, "invalid_grant", "The code_verifier does not match "
                              "the code_challenge.", 501481)
            scope = form.get("scope") or grant.scope
            return jsonify(tokens(grant.email, grant.client_id, scope, grant.nonce,
                                  refresh=True))
        if grant_type == "refresh_token":
            issued = state.tokens.lookup("graph", form.get("refresh_token", ""),
                                         kind="refresh")
            if issued is None:
                return _error(400, "invalid_grant", "The refresh token has expired or been "
                              "revoked.", 700082)
            state.tokens.revoke(form.get("refresh_token", ""))  # refresh tokens rotate
            scope = form.get("scope") or issued.scopes
            return jsonify(tokens(issued.subject.lower(), form.get("client_id", ""), scope,
                                  None, refresh=True))
        if grant_type == OBO_GRANT:
            return on_behalf_of(form)
        return _error(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not "
                      "supported.", 70003)

    @bp.post("/sandbox-ui/entra-token")
    def entra_token() -> Any:
        body = request.get_json(silent=True) or {}
        email = str(body.get("email", "")).lower()
        audience = body.get("audience")
        if email not in directory.people and not body.get("tenant"):
            return jsonify({"error": "email of a seeded user (or a tenant) is required"}), 400
        if not isinstance(audience, str) or not audience:
            return jsonify({"error": "audience is required"}), 400
        tenant = str(body.get("tenant") or TENANT_ID)
        oid = str(body.get("oid") or (object_id(email) if tenant == TENANT_ID
                                      else uuid.uuid4()))
        name = str(body.get("preferredUsername") or email)
        person = directory.people.get(email)
        if body.get("consent") and person is not None:
            directory.consent(email, str(body.get("clientId") or audience.rsplit("/")[-1]),
                              [GRAPH + "Calendars.ReadWrite"])
        token = api_token(person, name, audience, tenant=tenant, oid=oid,
                          client_id=str(body.get("clientId") or audience),
                          lifetime=int(body.get("lifetime", LIFETIME)),
                          issuer_override=body.get("issuer"),
                          scp=str(body.get("scp", "access_as_user")))
        answer = {"accessToken": token}
        if body.get("idToken") and person is not None:  # what a host's broker would hold
            answer["idToken"] = id_token(email, str(body.get("clientId") or audience), None)
        return jsonify(answer)

    @bp.post("/sandbox-ui/entra/revoke-consent")
    def revoke_consent() -> Any:
        """What a person does at myapps.microsoft.com: withdraw the permissions they gave
        (``{"email"}``; without it, everybody's)."""
        email = str((request.get_json(silent=True) or {}).get("email", "")).lower()
        with directory.lock:
            gone = [key for key in directory.consents if not email or key[0] == email]
            for key in gone:
                del directory.consents[key]
        return jsonify({"revoked": len(gone)})

    @bp.post("/sandbox-ui/oauth/expire")
    def expire() -> Any:
        body = request.get_json(silent=True) or {}
        return jsonify({"expired": state.tokens.expire_access_tokens(
            "graph", str(body.get("email", "")))})

    return bp
