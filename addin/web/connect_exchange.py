"""Connecting an Exchange Server mailbox: EWS has no OAuth on premises, so the pane sends
the server's EWS URL (or the organization's ADDIN_EWS_URL is used), the user name and the
password; they are checked against the server, then stored encrypted like OAuth tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from addin.container import current_container
from addin.errors import NotFound, UpstreamFailed
from addin.services import exchange
from addin.web.auth import current_user

blueprint = Blueprint("connect_exchange", __name__)
SERVICE = exchange.SERVICE


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
    endpoint = exchange.endpoint(container, wanted["serverUrl"])
    if not endpoint:
        raise ValidationError({"serverUrl": ["is required: this server has no ADDIN_EWS_URL"]})
    try:
        exchange.connect(container, user.id, user.email, endpoint, wanted["username"],
                         wanted["password"], wanted["serverUrl"])
    except exchange.CredentialsRejected as exc:
        raise ValidationError({"password": [str(exc)]}) from None
    except exchange.ServerUnreachable as exc:
        raise UpstreamFailed(str(exc), fields={"serverUrl": str(exc)}) from None
    return jsonify({"service": SERVICE, "connected": True, "account": wanted["username"],
                    "serverUrl": endpoint}), 201


@blueprint.delete("/api/v1/connections/ews")
def disconnect_exchange() -> Any:
    user = current_user()
    if not exchange.disconnect(current_container(), user.id):
        raise NotFound("ews is not connected.")
    return Response(status=204)
