"""The domain's errors: what a use case refuses, in its own terms. No HTTP here.

Services (and identity) raise these; the web layer maps each class to a status code and
the JSON envelope in one place (``addin.web.errors.HTTP_OF``). ``message`` is what the
person may read, ``fields`` names what is wrong (``{"field": "why"}``), ``code`` is a
stable machine-readable name, ``retry_after`` says when trying again makes sense.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None,
                 code: str | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields
        if code:
            self.code = code
        self.retry_after = retry_after


class InvalidInput(DomainError):
    """The request names something wrong: ``field`` (or ``fields``) says what and why."""

    code = "validation_failed"

    def __init__(self, message: str, *, field: str | None = None, reason: str = "",
                 fields: dict[str, Any] | None = None, code: str | None = None):
        if field is not None:
            fields = {**(fields or {}), field: reason}
        super().__init__(message, fields=fields, code=code)


class MalformedRequest(InvalidInput):
    """The request itself is malformed (not one of its business fields)."""

    code = "bad_request"


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key came back with a different request."""

    code = "idempotency_key_reused"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The thing is not in a state that allows this (now)."""

    code = "conflict"


class InProgress(Conflict):
    """The same work is already under way; ``retry_after`` seconds from now it may be done
    (and it will not be done twice)."""

    code = "in_progress"


class NotPermitted(DomainError):
    """The person may not do this."""

    code = "forbidden"


class AccountNotConnected(DomainError):
    """The person must connect (again) their account at ``service`` first."""

    code = "not_connected"

    def __init__(self, message: str, service: str):
        super().__init__(message, fields={service: "not connected"})
        self.service = service


class UpstreamUnavailable(DomainError):
    """An upstream service (Salesforce, the calendar) did not answer now; nothing or only
    a described part was done, and trying again later can work."""

    code = "upstream_unavailable"


class UpstreamFailed(DomainError):
    """An upstream service refused or failed in a way the product cannot recover from here
    (not a passing outage: trying again will not help until something changes there)."""

    code = "upstream_failed"
