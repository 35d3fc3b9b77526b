"""``GET /sandbox``: what a person or a test needs to use the sandbox. 404 outside it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import select

from addin.container import container
from addin.errors import ApiError, NotFound, scrub
from addin.sandbox_accounts import user_id_by_email
from addin.services.sync_pass import sync_user
from addin.store.models import User

blueprint = Blueprint("sandbox_index", __name__)


@blueprint.get("/sandbox")
def sandbox_index() -> Any:
    services = container()
    runtime = services.sandbox
    if runtime is None:
        abort(404)
    ids = user_id_by_email(services)
    users = [
        {
            "email": user.email,
            "name": user.name,
            "provider": user.provider,
            "salesforceUserId": user.salesforce_user_id,
            "experience": user.experience,
            "isAdmin": user.is_admin,
            "token": services.api_tokens.mint(ids[user.email]),
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
    services = container()
    if services.sandbox is None:
        abort(404)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict) or not isinstance(body.get("email", ""), str):
        raise ApiError("A JSON object with an optional email is required.",
                       fields={"email": "a string"})
    with services.db.session() as session:
        query = select(User.id, User.email).order_by(User.id)
        if body.get("email"):
            query = query.where(User.email == body["email"].strip().lower())
        users = list(session.execute(query))
    if body.get("email") and not users:
        raise NotFound(f"No user {body['email']}.")
    reports = []
    for user_id, email in users:
        report = sync_user(services, user_id, "sandbox")
        reports.append({"email": email, "checked": report.checked,
                        "reconciled": report.reconciled, "deleted": report.deleted,
                        "failed": {event_id: scrub(text)
                                   for event_id, text in report.failed.items()}})
    return jsonify({"users": reports})
