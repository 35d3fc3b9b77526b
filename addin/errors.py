"""The product's API errors. Views raise these; one error handler renders the envelope
``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

import re
import uuid
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


_INTERNALS = (
    re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"),;]+", re.IGNORECASE),  # URLs
    re.compile(r"\b(?:host|port|url|path)\s*[=:]\s*'?[^\s',)]+'?", re.IGNORECASE),
    re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?"),  # IPv4 (and port)
    re.compile(r"\[[0-9a-f:]+\](?::\d+)?", re.IGNORECASE),  # IPv6 (and port)
    re.compile(r"\b(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|localhost):\d{2,5}\b", re.IGNORECASE),
    re.compile(r"(?<![\w/])/(?:[\w.~%-]+/)+[\w.~%-]*(?:\?\S*)?"),  # URL paths
)
_UPSTREAM_PHRASES = re.compile(
    r"\b(?:HTTPS?ConnectionPool|Max retries exceeded|NewConnectionError|"
    r"ConnectionRefusedError|urllib3[\w.]*|requests[\w.]*)\b[^;]*", re.IGNORECASE)


def scrub(text: str) -> str:
    """A message with upstream hosts, ports, URLs, URL paths and transport details taken
    out: what may be shown to a client. (The full text goes to the log.)"""
    for pattern in (_UPSTREAM_PHRASES, *_INTERNALS):
        text = pattern.sub("…", text)
    text = re.sub(r"(?:…[\s:,]*)+…", "…", text)
    return re.sub(r"\s*\(\s*…?\s*\)", "", text).strip()


def new_reference() -> str:
    """A short id quoted to the client and written to the log next to the details."""
    return uuid.uuid4().hex[:12]
