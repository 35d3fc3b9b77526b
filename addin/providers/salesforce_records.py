"""Plain values the Salesforce adapter returns, and its error hierarchy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PersonRecord:
    """A User, Contact or Lead that carries an email address."""

    type: str  # User | Contact | Lead
    id: str
    name: str
    email: str
    last_modified: str = ""
    account_name: str | None = None


@dataclass(frozen=True)
class EventSnapshot:
    """One read of an Event with its relations, and the people some emails match."""

    record: dict[str, Any]
    relations: list[EventRelationRecord]
    people: dict[str, list[PersonRecord]]  # lower-case email -> matches


@dataclass
class SalesforceChanges:
    """The Salesforce side of a pass, read in ONE request (a composite of queries; one
    more per further page): the owner's top-level Events changed since the cursor, each
    with its EventRelations, the Events deleted since, and the owner's experience."""

    events: dict[str, EventSnapshot]  # Event id -> the live Event with its relations
    deleted: set[str]  # Event ids deleted since the cursor
    uninvited_elsewhere: set[str]  # Events not in ``events`` whose invitee rows were deleted
    experience: str  # lightning | classic


@dataclass(frozen=True)
class EventRelationRecord:
    id: str
    event_id: str
    relation_id: str
    relation_type: str  # User | Contact | Lead | Account | ...
    is_invitee: bool
    is_parent: bool
    is_what: bool
    status: str  # New | Accepted | Declined
    email: str | None = None
    name: str | None = None
    is_deleted: bool = False
    modstamp: str = ""


@dataclass(frozen=True)
class RecordSummary:
    id: str
    type: str
    name: str
    email: str | None = None
    account: str | None = None


class SalesforceError(Exception):
    """Salesforce refused a request. ``error_code`` is Salesforce's (e.g. FIELD_INTEGRITY_
    EXCEPTION), ``fields`` the API field names it blamed."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str = "",
                 fields: list[str] | None = None, url: str | None = None,
                 body: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.fields = fields or []
        self.url = url
        self.body = body


class SalesforceValidationError(SalesforceError):
    """400: the request was malformed or a record failed validation."""


class SalesforceNotFound(SalesforceError):
    """404: no such record (or it was deleted)."""


class SalesforceAuthError(SalesforceError):
    """401 that a token refresh did not cure."""


class SalesforceLimitExceeded(SalesforceError):
    """403 REQUEST_LIMIT_EXCEEDED: the org's daily API allowance is spent."""


class SalesforceUnavailable(SalesforceError):
    """5xx, 429/503 after retries, or a network failure: try again later."""


@dataclass
class CompositeResult:
    """The bodies of a composite call's subrequests, by referenceId."""

    bodies: dict[str, Any] = field(default_factory=dict)
