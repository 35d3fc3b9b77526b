"""Salesforce records by what a person types or reads: the Name (WhoId) and Related To
(WhatId) lookups (searches, type-ahead, resolving a typed but unpicked name on Create),
the people an email's participants are, the names of the records an Event points at, and
the prefilled Contact/Lead of an attendee.

Each opens the user's Salesforce client itself (``NotConnected`` when there is none) and
raises Salesforce's failures as ``upstream_errors.SALESFORCE_FAILED``, except where a
failure has an answer of its own (a lookup field's error, no names)."""

from __future__ import annotations

from typing import Any

from addin.accounts.clients import open_salesforce
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.providers.salesforce.client import SalesforceClient, SalesforceError
from addin.services.record_drafts import draft_person
from addin.services.upstream_errors import salesforce_errors

TYPES = {"whoId": ("Contact", "Lead"), "whatId": ("Account", "Opportunity")}
SEARCH_INPUT = {"whoId": "whoSearch", "whatId": "whatSearch"}
WHAT = {"whoId": "Contact or Lead", "whatId": "Account or Opportunity"}
MATCHES = 10
Options = list[tuple[str, str]]


def connected(container: Container, user: CurrentUser) -> None:
    """``NotConnected`` unless the user has connected Salesforce."""
    open_salesforce(container, user)


def search(container: Container, user: CurrentUser, term: str, types: Any, limit: int
           ) -> list[Any]:
    """The records a search for ``term`` finds (one SOSL search)."""
    salesforce = open_salesforce(container, user)
    with salesforce_errors():
        return list(salesforce.search_records(term, types, limit))


def find_people(container: Container, user: CurrentUser, emails: list[str]
                ) -> dict[str, list[Any]]:
    """The Contacts and Leads of each address (lower case)."""
    salesforce = open_salesforce(container, user)
    with salesforce_errors():
        return dict(salesforce.find_people_by_emails(emails))


def _matches(salesforce: SalesforceClient, field: str, term: str) -> Options:
    if len(term.strip()) < 2:
        return []
    return [(r.id, f"{r.name} ({r.type})")
            for r in salesforce.search_records(term.strip(), TYPES[field], MATCHES)]


def matches(container: Container, user: CurrentUser, field: str, term: str) -> Options:
    """(id, "Name (Type)") of the records ``term`` finds for ``field`` (one SOSL search;
    none for fewer than two characters)."""
    salesforce = open_salesforce(container, user)
    with salesforce_errors():
        return _matches(salesforce, field, term)


def suggestion_texts(container: Container, user: CurrentUser, field: str, term: str
                     ) -> list[str]:
    """Type-ahead: the names of the records ``term`` finds, each once."""
    return list(dict.fromkeys(label.rsplit(" (", 1)[0]
                              for _, label in matches(container, user, field, term)))


def message_matches(container: Container, user: CurrentUser, emails: list[str]
                    ) -> tuple[Options, Options]:
    """The Name and Related To choices of an open email: its participants' Contacts and
    Leads, and the Accounts or Opportunities named like the first one's Account. Salesforce
    not answering leaves them empty."""
    salesforce = open_salesforce(container, user)
    try:
        people = salesforce.find_people_by_emails(emails) if emails else {}
    except SalesforceError:
        people = {}
    found = [p for e in emails for p in people.get(e.lower(), [])]
    who = [(p.id, f"{p.name} ({p.type})") for p in found if p.type in ("Contact", "Lead")]
    what: Options = []
    account = next((p.account_name for p in found if p.account_name), None)
    if account:
        try:
            what = _matches(salesforce, "whatId", account)[:5]
        except SalesforceError:
            what = []
    return who, what


def resolve(container: Container, user: CurrentUser, values: dict[str, Any]
            ) -> tuple[dict[str, Options], dict[str, str]]:
    """Fill ``values``' WhoId / WhatId from the typed search text when none was picked:
    one match (or one whose name is exactly the text) is taken; none or several come back
    as an error at the field, with the matches to pick from. Returns (options, errors)."""
    salesforce = open_salesforce(container, user)
    options: dict[str, Options] = {}
    errors: dict[str, str] = {}
    for field, search_input in SEARCH_INPUT.items():
        typed = str(values.get(search_input) or "").strip()
        chosen = values.get(field)
        if chosen:
            options[field] = [(str(chosen), typed or str(chosen))]
            continue
        if not typed:
            continue
        try:
            found = _matches(salesforce, field, typed)
        except SalesforceError:
            errors[field] = "Salesforce could not be searched just now; try again."
            continue
        exact = [o for o in found if o[1].rsplit(" (", 1)[0].lower() == typed.lower()]
        if len(found) == 1 or len(exact) == 1:
            values[field] = (exact or found)[0][0]
            options[field] = found
        elif not found:
            errors[field] = f"No {WHAT[field]} matches \u201c{typed}\u201d."
        else:
            errors[field] = "Several match: pick one."
            options[field] = found
    return options, errors


def record_names(container: Container, user: CurrentUser, event: dict[str, Any]
                 ) -> dict[str, str]:
    """"Name (Type)" of the Event's WhoId and WhatId (one request; none without them, or
    when Salesforce does not answer)."""
    salesforce = open_salesforce(container, user)
    ids = [i for i in (event.get("whoId"), event.get("whatId")) if i]
    if not ids:
        return {}
    try:
        found = salesforce.get_records(ids)
    except SalesforceError:
        return {}
    return {record_id: f"{r.name} ({r.type})" for record_id, r in found.items()}


def draft(container: Container, user: CurrentUser, email: str, display_name: str | None,
          kind: str) -> dict[str, Any]:
    """The prefilled Contact/Lead form of an attendee (``record_drafts.draft_person``)."""
    salesforce = open_salesforce(container, user)
    with salesforce_errors():
        return draft_person(container, user, salesforce, email, display_name, kind)
