"""``GET /sandbox``: what a person or a test needs to use the sandbox. 404 outside sandbox
mode; 503 ``sandbox_not_running`` in sandbox mode when this process has no sandbox (a
WSGI server such as gunicorn runs ``create_app()`` without the emulators that `addin serve`
starts in its own process: run `addin sandbox` and set ADDIN_SANDBOX_URL)."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from addin.container import current_container
from addin.devmode.accounts import user_id_by_email
from addin.errors import ApiError, NotFound, scrub
from addin.services.sync_pass import sync_user
from addin.store.models import User

blueprint = Blueprint("sandbox_index", __name__)


NO_SANDBOX = ("Sandbox mode, but this process runs no sandbox: under gunicorn (or any WSGI "
              "server) the emulators run as their own process. Start `addin sandbox` and set "
              "ADDIN_SANDBOX_URL to its index (e.g. http://127.0.0.1:5050) for every process "
              "of the product; `addin serve` alone starts one inside itself.")


def _no_sandbox(container: Any) -> NoReturn:
    if container.settings.mode != "sandbox":
        abort(404)
    raise ApiError(NO_SANDBOX, code="sandbox_not_running", status=503)


@blueprint.get("/sandbox")
def sandbox_index() -> Any:
    container = current_container()
    runtime = container.sandbox
    if runtime is None:
        _no_sandbox(container)
    ids = user_id_by_email(container)
    users = [
        {
            "email": user.email,
            "name": user.name,
            "provider": user.provider,
            "salesforceUserId": user.salesforce_user_id,
            "experience": user.experience,
            "isAdmin": user.is_admin,
            "token": container.api_tokens.mint(ids[user.email]),
            "upstreamTokens": dict(user.upstream_tokens),
        }
        for user in runtime.users
        # listed once the emulator of their mailbox exists (and while the product knows them)
        if user.mailbox_available and user.email in ids
    ]
    return jsonify({
        "mode": "sandbox",
        "services": runtime.services,
        "caCertificate": runtime.ca_path,
        "users": users,
    })


@blueprint.post("/sandbox/sync")
def sandbox_sync() -> Any:
    """One sync pass now, in this process (where the sandbox lives): what `addin sync`
    calls in sandbox mode. ``{"email"?}`` limits it to one user. Sandbox mode only: a
    deployment runs `addin sync` against its own database instead."""
    container = current_container()
    if container.sandbox is None:
        _no_sandbox(container)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict) or not isinstance(body.get("email", ""), str):
        raise ApiError("A JSON object with an optional email is required.",
                       fields={"email": "a string"})
    with container.db.session() as session:
        query = select(User.id, User.email).order_by(User.id)
        if body.get("email"):
            query = query.where(User.email == body["email"].strip().lower())
        users = list(session.execute(query))
    if body.get("email") and not users:
        raise NotFound(f"No user {body['email']}.")
    reports = []
    for user_id, email in users:
        report = sync_user(container, user_id, "sandbox")
        reports.append({"email": email, "checked": report.checked,
                        "reconciled": report.reconciled, "deleted": report.deleted,
                        "failed": {event_id: scrub(text)
                                   for event_id, text in report.failed.items()}})
    return jsonify({"users": reports})
