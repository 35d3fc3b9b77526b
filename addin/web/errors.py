"""The one JSON error envelope: ``{"error": {"code", "message", "fields"?, "reference"?}}``.

Every error under /api (and every unexpected exception) is rendered here, never by hand in
views. No internals reach a client: messages are scrubbed of upstream hosts, ports, URLs and
paths, and a server-side failure (5xx) is logged in full under a reference id, which is all
the client sees of it (``reference``, also quoted in the message).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from addin.accounts.connections import NotConnected
from addin.errors import ApiError, new_reference, scrub
from addin.web.limits import too_large_message

log = logging.getLogger(__name__)
SERVICE_NAMES = {"salesforce": "Salesforce", "graph": "Microsoft 365", "google": "Google",
                 "ews": "Exchange"}


def _envelope(status: int, code: str, message: str, fields: Any = None,
              headers: dict[str, str] | None = None, reference: str | None = None
              ) -> Response:
    body: dict[str, Any] = {"code": code, "message": scrub(message)}
    if fields:
        body["fields"] = {name: scrub(str(text)) for name, text in fields.items()} \
            if isinstance(fields, dict) else fields
    if reference:
        body["reference"] = reference
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages -> {"field.path": "message"}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "_schema"] = str(messages)
    return flat


def client_message(exc: ApiError) -> tuple[str, str | None]:
    """What a client may read of an error, and its reference id. A server-side or
    upstream failure (5xx) is logged in full under the reference; the client gets a
    scrubbed message quoting it."""
    if exc.status < 500:
        return scrub(exc.message), None
    reference = new_reference()
    log.warning("%s %s: %s (reference %s)", exc.status, exc.code, exc.message, reference,
                exc_info=exc.__cause__ or exc)
    return f"{scrub(exc.message).rstrip('.')} (reference {reference}).", reference


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        message, reference = client_message(exc)
        return _envelope(exc.status, exc.code, message, exc.fields, exc.headers, reference)

    @app.errorhandler(NotConnected)
    def _not_connected(exc: NotConnected) -> Response:
        return _envelope(409, "not_connected",
                         f"Connect your {SERVICE_NAMES.get(exc.service, exc.service)} "
                         "account (again) to continue.", {exc.service: "not connected"})

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response:
        return _envelope(400, "validation_failed", "The request has invalid fields.",
                         flatten_messages(exc.messages))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        json_paths = ("/api", "/sandbox", "/gmail", "/auth", "/webhooks")
        if not request.path.startswith(json_paths) and (
            request.accept_mimetypes.accept_html
        ):
            return exc
        headers = {}
        if status == 413:
            return _envelope(413, "payload_too_large", too_large_message(),
                             {"_body": "too large"})
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return _envelope(status, code, exc.description or exc.name, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error (reference %s)", reference)
        return _envelope(500, "internal_error",
                         f"Something went wrong on our side (reference {reference}).",
                         reference=reference)
