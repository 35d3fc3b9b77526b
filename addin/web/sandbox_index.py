"""``GET /sandbox``: what a person or a test needs to use the sandbox. 404 outside it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify

from addin.container import container
from addin.sandbox_accounts import user_id_by_email

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
        if user.mailbox_available  # listed once the emulator of their mailbox exists
    ]
    return jsonify({
        "mode": "sandbox",
        "services": runtime.services,
        "caCertificate": runtime.ca_path,
        "users": users,
    })
