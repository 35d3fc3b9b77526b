"""Connecting an Exchange Server mailbox: EWS has no OAuth on premises, so the pane sends
the server's EWS URL (or the organization's ADDIN_EWS_URL is used), the user name and the
password; they are checked against the server, then stored encrypted like OAuth tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from addin.accounts.clients import exchange_endpoint
from addin.container import current_container
from addin.errors import NotFound, UpstreamFailed
from addin.providers.calendar.ews_connect import (
    ExchangeRejected,
    ExchangeUnreachable,
    check_credentials,
)
from addin.store.models import Connection
from addin.web.auth import current_user

blueprint = Blueprint("connect_exchange", __name__)
SERVICE = "ews"


class ExchangeCredentialsSchema(Schema):
    serverUrl = fields.String(load_default="", validate=validate.Length(max=2000))
    username = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))

    @validates("serverUrl")
    def _https(self, value: str, **_: Any) -> None:
        parts = urlsplit(value)
        if value and (parts.scheme != "https" or not parts.netloc):
            raise ValidationError("must be the https:// URL of the server's EWS endpoint, "
                                  "e.g. https://mail.example.com/EWS/Exchange.asmx")


@blueprint.post("/api/v1/connections/ews")
def connect_exchange() -> Any:
    user = current_user()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["A JSON object is required."]})
    wanted = ExchangeCredentialsSchema().load(body)
    container = current_container()
    endpoint = wanted["serverUrl"] or exchange_endpoint(container)
    if not endpoint:
        raise ValidationError({"serverUrl": ["is required: this server has no ADDIN_EWS_URL"]})
    try:
        check_credentials(container.session_for(SERVICE), endpoint, user.email,
                          wanted["username"], wanted["password"],
                          timeout=container.settings.http_timeout_seconds)
    except ExchangeRejected as exc:
        raise ValidationError({"password": [str(exc)]}) from None
    except ExchangeUnreachable as exc:
        raise UpstreamFailed(str(exc), fields={"serverUrl": str(exc)}) from None
    with container.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user.id,
                                                      Connection.service == SERVICE))
        if row is None:
            row = Connection(user_id=user.id, service=SERVICE)
            session.add(row)
        row.access_token_encrypted = container.cipher.encrypt(wanted["password"])
        row.refresh_token_encrypted = None
        row.expires_at = None
        row.account = wanted["username"]
        row.instance_url = wanted["serverUrl"] or None
    return jsonify({"service": SERVICE, "connected": True, "account": wanted["username"],
                    "serverUrl": endpoint}), 201


@blueprint.delete("/api/v1/connections/ews")
def disconnect_exchange() -> Any:
    user = current_user()
    with current_container().db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user.id,
                                                      Connection.service == SERVICE))
        if row is None:
            raise NotFound("ews is not connected.")
        session.delete(row)
    return Response(status=204)
