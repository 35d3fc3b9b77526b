"""The one JSON error envelope: ``{"error": {"code", "message", "fields"?, "reference"?}}``.

Every error under /api (and every unexpected exception) is rendered here, never by hand in
views. No internals reach a client: messages are scrubbed of upstream hosts, ports, URLs and
paths, and a server-side failure (5xx) is logged in full under a reference id, which is all
the client sees of it (``reference``, also quoted in the message).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from addin import errors as api
from addin.accounts.connections import NotConnected
from addin.domain import errors as domain
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


# The one mapping of the domain's errors to HTTP: the ApiError class (the envelope's default
# code) and its status. The most specific class in an error's MRO wins; the error's own
# ``code`` goes into the envelope.
HTTP_OF: dict[type[domain.DomainError], tuple[type[ApiError], int]] = {
    domain.DomainError: (ApiError, 400),
    domain.InvalidInput: (api.ValidationFailed, 400),
    domain.MalformedRequest: (ApiError, 400),
    domain.IdempotencyKeyReused: (ApiError, 422),
    domain.NotPermitted: (api.Forbidden, 403),
    domain.NotFound: (api.NotFound, 404),
    domain.Conflict: (api.Conflict, 409),
    domain.InProgress: (api.Conflict, 409),  # with Retry-After
    domain.AccountNotConnected: (ApiError, 409),
    domain.UpstreamUnavailable: (api.UpstreamUnavailable, 503),
    domain.UpstreamFailed: (api.UpstreamFailed, 502),
}


def api_error_of(exc: domain.DomainError) -> ApiError:
    """The HTTP error a domain error is answered with (see ``HTTP_OF``)."""
    kind = next(k for k in type(exc).__mro__ if k in HTTP_OF)
    cls, status = HTTP_OF[kind]
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    error = cls(exc.message, fields=exc.fields, code=exc.code, status=status, headers=headers)
    error.__cause__ = exc.__cause__ or exc
    return error


@contextmanager
def as_api_errors() -> Iterator[None]:
    """For a view that answers errors itself (the Gmail cards): a domain error raised
    inside comes out as its ApiError."""
    try:
        yield
    except domain.DomainError as exc:
        raise api_error_of(exc) from exc


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

    @app.errorhandler(domain.DomainError)
    def _domain_error(exc: domain.DomainError) -> Response:
        return _api_error(api_error_of(exc))

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
