"""The API against its own OpenAPI document (/api/openapi.json), with schemathesis:
in-process WSGI, the session's sandbox behind it, a seeded sandbox user's API token.

Every operation is fuzzed with generated requests (derandomized, a fixed number of
examples each: seconds, not minutes), then the success path is walked with real data:
no answer is a 5xx, and every answer's status, content type and body are the ones the
document describes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.clock import at, day, iso
from tests.web.conftest import AVA

START = at(day(2), "15:00", "Europe/Paris")  # Wednesday of the test week, in Paris

EXAMPLES_PER_OPERATION = 100
# Rules across fields (the end after the start, a Lead needs a company, the event must
# exist) are beyond a schema: schema-valid data may rightly be refused with a 400/404.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def headers(bearer: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return bearer(AVA)


@pytest.mark.timeout(480)  # CPU-bound: about 50 s alone, twice that beside 3 workers
def test_generated_requests_are_answered_as_documented(api_schema: Any,
                                                       headers: dict[str, str]) -> None:
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 19
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
                  database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        try:
            check()
        except FailureGroup as failure:
            failures[operation.label] = str(failure)[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_success_path_is_answered_as_documented(api_schema: Any,
                                                    headers: dict[str, str]) -> None:
    def call(method: str, path: str, status: int, **data: Any) -> Any:
        case = api_schema[path][method].Case(**data)
        response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
        assert response.status_code == status, response.text
        return response.json()

    created = call("POST", "/api/v1/events", 201, body={
        "subject": "Fuzzed", "start": iso(START),
        "end": iso(START + timedelta(minutes=45)), "timeZone": "Europe/Paris",
        "description": "Agenda", "reminderMinutes": 10})
    event_id = created["event"]["id"]
    at = {"path_parameters": {"event_id": event_id}}
    call("GET", "/api/v1/events/{event_id}", 200, **at)
    # its own address: the Lead made below stays in the session's sandbox, where other tests
    # count on walk.in@unlinked.example having no Salesforce record
    guest = "fuzz.walk.in@unlinked.example"
    call("PUT", "/api/v1/events/{event_id}/attendees", 200, **at,
         body={"attendees": [{"email": guest, "name": "Walk In"}]})
    draft = call("GET", "/api/v1/records/draft", 200,
                 query={"email": guest, "name": "Walk In", "type": "Lead"})
    call("POST", "/api/v1/records", 201, body={
        "eventId": event_id, "email": guest, "type": "Lead", "firstName": draft["firstName"],
        "lastName": draft["lastName"], "company": draft["company"]})
    call("GET", "/api/v1/records", 200, query={"q": "Acme", "types": ["Account", "Contact"]})
    call("GET", "/api/v1/context", 200, query={"emails": [guest, "noah.smith@acme.example"]})
    call("DELETE", "/api/v1/events/{event_id}", 200, **at)
    call("GET", "/api/v1/events/{event_id}", 404, **at)
    changed = call("PATCH", "/api/v1/admin/settings", 200, body={
        "pollIntervalSeconds": 120, "ignoredDomains": ["example.org"]})
    assert call("GET", "/api/v1/admin/settings", 200) == changed
    usage = call("GET", "/api/v1/admin/salesforce-usage", 200)
    assert usage["requestsByProduct"] >= 1 and usage["syncing"] == "normal"
