"""The Gmail card's Name (WhoId) and Related To (WhatId) lookups: Salesforce searches for
the text typed in their search inputs, type-ahead suggestions, resolving a typed but
unpicked name on Create, and the names of the records an Event points at."""

from __future__ import annotations

from typing import Any

from addin.providers.salesforce.client import SalesforceClient, SalesforceError

TYPES = {"whoId": ("Contact", "Lead"), "whatId": ("Account", "Opportunity")}
SEARCH_INPUT = {"whoId": "whoSearch", "whatId": "whatSearch"}
WHAT = {"whoId": "Contact or Lead", "whatId": "Account or Opportunity"}
MATCHES = 10


def matches(salesforce: SalesforceClient, field: str, term: str) -> list[tuple[str, str]]:
    """(id, "Name (Type)") of the records ``term`` finds for ``field`` (one SOSL search;
    none for fewer than two characters)."""
    if len(term.strip()) < 2:
        return []
    return [(r.id, f"{r.name} ({r.type})")
            for r in salesforce.search_records(term.strip(), TYPES[field], MATCHES)]


def suggestion_texts(salesforce: SalesforceClient, field: str, term: str) -> list[str]:
    """Type-ahead: the names of the records ``term`` finds, each once."""
    return list(dict.fromkeys(label.rsplit(" (", 1)[0]
                              for _, label in matches(salesforce, field, term)))


def resolve(salesforce: SalesforceClient, values: dict[str, Any]
            ) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """Fill ``values``' WhoId / WhatId from the typed search text when none was picked:
    one match (or one whose name is exactly the text) is taken; none or several come back
    as an error at the field, with the matches to pick from. Returns (options, errors)."""
    options: dict[str, list[tuple[str, str]]] = {}
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
            found = matches(salesforce, field, typed)
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


def record_names(salesforce: SalesforceClient, event: dict[str, Any]) -> dict[str, str]:
    """"Name (Type)" of the Event's WhoId and WhatId (one request; none without them)."""
    ids = [i for i in (event.get("whoId"), event.get("whatId")) if i]
    if not ids:
        return {}
    try:
        found = salesforce.get_records(ids)
    except SalesforceError:
        return {}
    return {record_id: f"{r.name} ({r.type})" for record_id, r in found.items()}
