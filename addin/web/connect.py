"""Connecting a user's Salesforce, Microsoft and Google accounts (OAuth 2.0).

The pane or the Gmail card asks the API for a connect URL (bearer-authenticated) and opens
it in an Office dialog or as an authorization link; the URL carries a short-lived signed
ticket, so the browser that opens it needs no cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from addin.accounts.oauth import (
    SERVICES,
    OAuthFlowError,
    authorization_url,
    complete_authorization,
    disconnect,
)
from addin.container import Container, current_container
from addin.errors import NotFound, ValidationFailed
from addin.services import people
from addin.web.auth import current_user

blueprint = Blueprint("connect", __name__)
TICKET_MAX_AGE = 300
# what a person connects: the OAuth services, and Exchange Server with its password
MAILBOXES = (*SERVICES, "ews")


def _tickets(container: Container) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(container.settings.secret_key, salt="addin-connect-ticket")


def _service(name: str) -> str:
    if name not in SERVICES:
        raise ValidationFailed("Unknown service.", fields={
            "service": f"must be one of {', '.join(SERVICES)}"})
    return name


@blueprint.get("/api/v1/connections")
def list_connections() -> Any:
    user = current_user()
    return jsonify({"connections": people.connections(current_container(), user.id,
                                                      SERVICES)})


@blueprint.get("/api/v1/me")
def me() -> Any:
    """Who is signed in, their organization, and what is left to set up (``next``:
    ``connect_salesforce``, ``connect_calendar`` or null: ready to create events).
    ---
    get:
      summary: The signed-in person, their organization and their next setup step
      responses:
        200:
          description: "{user, organization, connections, next}"
        401:
          description: No valid bearer token.
        403:
          description: "consent_required (Microsoft needs the person's consent for the
            calendar, asked for again by the pane) or tenant_not_allowed."
    """
    user = current_user()
    return jsonify(people.profile(current_container(), user.id, user.organization_id,
                                  MAILBOXES))


def connect_url(container: Container, user_id: int, service: str) -> str:
    """A short-lived link that starts connecting ``service`` for this user."""
    ticket = _tickets(container).dumps({"uid": user_id, "svc": _service(service)})
    return f"{container.settings.public_url.rstrip('/')}/auth/{service}/start?ticket={ticket}"


@blueprint.post("/api/v1/connections/<service>/ticket")
def connect_ticket(service: str) -> Any:
    user = current_user()
    return jsonify({"url": connect_url(current_container(), user.id, service),
                    "expiresIn": TICKET_MAX_AGE}), 201


@blueprint.delete("/api/v1/connections/<service>")
def delete_connection(service: str) -> Any:
    user = current_user()
    if not disconnect(current_container(), user.id, _service(service)):
        raise NotFound(f"{service} is not connected.")
    return Response(status=204)


@blueprint.get("/auth/<service>/start")
def start(service: str) -> Any:
    if service not in SERVICES:
        abort(404)
    container = current_container()
    try:
        data = _tickets(container).loads(request.args.get("ticket", ""),
                                        max_age=TICKET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return _page("The connect link has expired. Start again from the sidebar.", 400,
                     service)
    if data.get("svc") != service:
        return _page("This connect link is for another service.", 400, service)
    try:
        return redirect(authorization_url(container, int(data["uid"]), service), code=302)
    except OAuthFlowError as exc:
        return _page(str(exc), 400, service)


@blueprint.get("/auth/<service>/callback")
def callback(service: str) -> Any:
    if service not in SERVICES:
        abort(404)
    if request.args.get("error"):
        message = request.args.get("error_description") or request.args["error"]
        return _page(f"The connection was not made: {message}", 400, service)
    try:
        complete_authorization(current_container(), service, request.args.get("state", ""),
                               request.args.get("code", ""))
    except OAuthFlowError as exc:
        return _page(str(exc), 400, service)
    return _page("Connected. You can close this window.", 200, service, ok=True)


def _page(message: str, status: int, service: str, ok: bool = False) -> Response:
    html = render_template("connect/result.html", message=message, service=service, ok=ok)
    return Response(html, status=status, mimetype="text/html")
