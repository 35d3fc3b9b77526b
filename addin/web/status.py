"""Sync status: the JSON API (a user's own status, an admin's view of the organization,
the Retry actions) and the two pages that show it (/status, /status/admin; Jinja2 shells
whose script signs in as the pane does and reads the API)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from marshmallow import Schema, fields, validate

from addin.container import current_container
from addin.errors import Forbidden, NotFound
from addin.services import organizations
from addin.services.sync_pass import sync_user
from addin.services.sync_status import (
    organization_status,
    retry_mirror,
    retry_operation,
    user_status,
)
from addin.web.auth import current_user
from addin.web.pane import auth_config
from addin.web.security import policy

blueprint = Blueprint("status", __name__)


class StatusQuerySchema(Schema):
    user = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "Another user of the organization (administrators only)."})


def _subject() -> int:
    """The user whose status is asked for: the caller, or (admins) a colleague."""
    caller = current_user()
    wanted = StatusQuerySchema().load(request.args.to_dict()).get("user")
    if wanted is None or wanted == caller.id:
        return caller.id
    if not caller.is_admin:
        raise Forbidden("Only an administrator sees other people's sync status.")
    if not organizations.is_member(current_container(), wanted, caller.organization_id):
        raise NotFound("No such user in your organization.", fields={"user": "unknown"})
    return int(wanted)


@blueprint.get("/api/v1/status")
def status() -> Any:
    """The sync status of the caller (or, for administrators, of ``user``): the last sync
    passes, pending outbox operations, errors with their Retry URL, propagation times.
    ---
    get:
      summary: Sync status of a user
      parameters:
        - in: query
          schema: StatusQuerySchema
      responses:
        200:
          description: "{user, passes, pending, errors, propagation: {samples, count,
            medianSeconds, maxSeconds}}"
          content:
            application/json:
              schema: {type: object}
        403:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    return jsonify(user_status(current_container(), _subject()))


@blueprint.post("/api/v1/status/sync")
def sync_now() -> Any:
    """Run a sync pass for the caller now (the Retry of a failed pass).
    ---
    post:
      summary: Sync now
      responses:
        200:
          description: "{checked, reconciled, failed}"
          content:
            application/json:
              schema: {type: object}
    """
    user = current_user()
    report = sync_user(current_container(), user.id, "retry")
    return jsonify({"checked": report.checked, "reconciled": report.reconciled,
                    "failed": sorted(report.failed)})


@blueprint.post("/api/v1/status/outbox/<int:op_id>/retry")
def retry_outbox(op_id: int) -> Any:
    """Run one of the caller's outbox operations again now (one that failed, ended dead,
    or waits for its backoff).
    ---
    post:
      summary: Retry an outbox operation
      parameters:
        - in: path
          name: op_id
          schema: {type: integer}
      responses:
        200:
          description: "{ran, operation}"
          content:
            application/json:
              schema: {type: object}
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    return jsonify(retry_operation(current_container(), current_user().id, op_id))


@blueprint.post("/api/v1/status/mirrors/<event_id>/retry")
def retry_failed_mirror(event_id: str) -> Any:
    """Try again to add one of the caller's Salesforce Events to their calendar.
    ---
    post:
      summary: Retry a calendar mirror
      parameters:
        - in: path
          name: event_id
          schema: {type: string}
      responses:
        200:
          description: "{eventId, state, detail}"
          content:
            application/json:
              schema: {type: object}
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    return jsonify(retry_mirror(current_container(), current_user(), event_id))


@blueprint.get("/api/v1/admin/status")
def admin_status() -> Any:
    """Every user of the organization with their last pass, pending and failed work, and
    the organization's settings (administrators only).
    ---
    get:
      summary: Sync status of the organization
      responses:
        200:
          description: "{organization, settings, users}"
          content:
            application/json:
              schema: {type: object}
        403:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    user = current_user()
    if not user.is_admin:
        raise Forbidden("Only an administrator of the organization can do this.")
    return jsonify(organization_status(current_container(), user.organization_id))


def _page(template: str) -> Response:
    container = current_container()
    login = container.settings.upstream_urls["microsoft_login"].rstrip("/")
    html = render_template(template, auth_config=auth_config(container))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = policy(connect=(login,), frame=(login,))
    return response


@blueprint.get("/status")
def status_page() -> Any:
    return _page("status/user.html")


@blueprint.get("/status/admin")
def admin_page() -> Any:
    return _page("status/admin.html")
