"""The product's API errors. Views raise these; one error handler renders the envelope
``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationFailed(ApiError):
    status = 400
    code = "validation_failed"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class UpstreamFailed(ApiError):
    """An upstream service failed in a way the product could not recover from here."""

    status = 502
    code = "upstream_failed"


class UpstreamUnavailable(ApiError):
    status = 503
    code = "upstream_unavailable"
