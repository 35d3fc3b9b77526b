"""Plain values the Salesforce adapter returns, its error hierarchy, and the functions that
turn Salesforce's JSON into both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simple_salesforce.exceptions import SalesforceError as LibraryError


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


@dataclass(frozen=True)
class AccountMatch:
    """An Account an email domain may point at: its ``website`` mentions the domain,
    and/or ``contacts`` of its Contacts have addresses at the domain."""

    id: str
    name: str
    website: str | None = None
    contacts: int = 0


@dataclass(frozen=True)
class PersonCreated:
    """A Contact or Lead just created, and the Account created with it (if any)."""

    id: str
    account_id: str | None = None


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


ID_PREFIXES = {"003": "Contact", "00Q": "Lead", "001": "Account", "006": "Opportunity",
               "500": "Case", "005": "User"}


def _collect_people(bodies: Mapping[str, Any], found: dict[str, list[PersonRecord]]) -> None:
    for ref, kind in (("users", "User"), ("contacts", "Contact"), ("leads", "Lead")):
        for row in bodies[ref]["records"]:
            email = (row.get("Email") or "").lower()
            account = (row.get("Account") or {}).get("Name") or row.get("Company")
            found.setdefault(email, []).append(PersonRecord(
                type=kind, id=row["Id"], name=row.get("Name") or "",
                email=row.get("Email") or "", last_modified=row.get("LastModifiedDate") or "",
                account_name=account))


def _strip(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}


def _relation(row: Mapping[str, Any]) -> EventRelationRecord:
    relation = row.get("Relation") or {}
    return EventRelationRecord(
        id=row["Id"], event_id=row["EventId"], relation_id=row["RelationId"],
        relation_type=relation.get("Type") or ID_PREFIXES.get(row["RelationId"][:3], ""),
        is_invitee=bool(row.get("IsInvitee")), is_parent=bool(row.get("IsParent")),
        is_what=bool(row.get("IsWhat")), status=row.get("Status") or "New",
        email=relation.get("Email"), name=relation.get("Name"),
        is_deleted=bool(row.get("IsDeleted")), modstamp=row.get("SystemModstamp") or "")


def _summary(row: Mapping[str, Any]) -> RecordSummary:
    kind = (row.get("attributes") or {}).get("type") or ID_PREFIXES.get(row["Id"][:3], "")
    account = (row.get("Account") or {}).get("Name") or row.get("Company")
    name = row.get("Name") or row.get("Subject") or row.get("CaseNumber") or ""
    return RecordSummary(id=row["Id"], type=kind, name=name, email=row.get("Email"),
                         account=account)


def _error_for(status: int, error: Mapping[str, Any], url: str | None, body: Any
               ) -> SalesforceError:
    code = str(error.get("errorCode") or error.get("statusCode") or "")
    message = str(error.get("message") or f"Salesforce answered {status}")
    fields = list(error.get("fields") or [])
    kind: type[SalesforceError]
    if status == 401:
        kind = SalesforceAuthError
    elif status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        kind = SalesforceLimitExceeded
    elif status == 404:
        kind = SalesforceNotFound
    elif status >= 500 or status == 429 or code in ("SERVER_UNAVAILABLE",):
        kind = SalesforceUnavailable
    else:
        kind = SalesforceValidationError
    return kind(message, status=status, error_code=code, fields=fields, url=url, body=body)


def _translate(exc: LibraryError) -> SalesforceError:
    content = exc.content
    first: Mapping[str, Any] = {}
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        first = content[0]
    return _error_for(int(exc.status), first, exc.url, content)


def _raise_collection_failures(body: Any, url: str | None) -> None:
    if not isinstance(body, list):
        return
    for item in body:
        if isinstance(item, Mapping) and item.get("success") is False:
            errors = item.get("errors") or [{}]
            raise _error_for(400, errors[0], url, body)


def _safe_id(record_id: str) -> str:
    if not record_id.isalnum() or len(record_id) not in (15, 18):
        raise SalesforceNotFound(f"not a Salesforce id: {record_id!r}", status=404,
                                 error_code="MALFORMED_ID")
    return record_id


def _safe_key(value: str) -> str:
    """An External ID value as a path segment (the product's own hex request ids)."""
    if not value.isalnum() or len(value) > 64:
        raise SalesforceValidationError(f"not a request id: {value!r}", status=400,
                                        error_code="MALFORMED_ID")
    return value


def _urlencode(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
