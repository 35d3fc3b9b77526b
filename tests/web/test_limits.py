"""Request limits on every endpoint: body size (413), JSON nesting depth (400), date ranges
(400 naming the field), and the mailbox calendars' own field limits checked up front."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from addin.sandbox import SandboxRuntime
from addin.web.limits import MAX_JSON_DEPTH, MAX_REQUEST_BYTES, json_depth
from tests.clock import day, iso
from tests.web.conftest import AVA, CLEO
from tests.web.test_api_events import BODY

Bearer = Callable[[str], dict[str, str]]
DEEP = "[" * 1000 + "]" * 1000
# every JSON endpoint, authenticated or not (the sandbox ones included)
JSON_ENDPOINTS = [("POST", "/api/v1/events"),
                  ("PUT", "/api/v1/events/00U000000000001AAA/attendees"),
                  ("POST", "/api/v1/records"), ("POST", "/gmail/homepage"),
                  ("POST", "/gmail/message"), ("POST", "/gmail/actions/create"),
                  ("POST", "/webhooks/graph"), ("POST", "/webhooks/google"),
                  ("POST", "/sandbox/sync"), ("PATCH", "/api/v1/admin/settings")]


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth('"just a string"') == 0
    assert json_depth(DEEP) == 1000
    assert json_depth(r'{"a": "quote \" [[["}') == 1


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400_everywhere(client: Any, bearer: Bearer, method: str,
                                                path: str) -> None:
    for headers in ({}, bearer(AVA)):
        response = client.open(path, method=method, data=DEEP, headers={
            **headers, "Content-Type": "application/json"})
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert response.json["error"]["code"] == "too_deeply_nested"
        assert "Traceback" not in response.get_data(as_text=True)


def test_nesting_up_to_the_limit_is_parsed(client: Any, bearer: Bearer) -> None:
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = client.post("/api/v1/events", data=nested, headers={
        **bearer(AVA), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] != "too_deeply_nested"  # refused as not an object


@pytest.mark.parametrize(("method", "path"), [*JSON_ENDPOINTS, ("GET", "/api/v1/context"),
                                              ("POST", "/outlook/pane")])
def test_request_size_limit_is_a_413_envelope(client: Any, bearer: Bearer, method: str,
                                              path: str) -> None:
    big = b'{"subject": "' + b"x" * MAX_REQUEST_BYTES + b'"}'
    response = client.open(path, method=method, data=big, headers={
        **bearer(AVA), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert "_body" in response.json["error"]["fields"]


def test_a_chunked_body_over_the_limit_is_a_413(live_server: str, bearer: Bearer) -> None:
    import requests

    def chunks() -> Any:
        for _ in range(MAX_REQUEST_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = requests.post(f"{live_server}/api/v1/events", data=chunks(), timeout=30,
                             headers={**bearer(AVA), "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(("change", "field"), [
    ({"start": "0001-01-01T00:00:00+01:00"}, "start"),
    ({"end": "9999-12-31T23:59:59-14:00"}, "end"),
    ({"start": "9999-12-31T23:00:00+00:00", "end": "9999-12-31T23:30:00+00:00"}, "start"),
    ({"start": "1699-12-31T23:00:00Z"}, "start"),
    ({"isAllDay": True, "start": "0001-01-01", "end": "0001-01-01"}, "start"),
    ({"isAllDay": True, "start": iso(day(0)), "end": "9999-12-31"}, "end"),
    ({"start": "0001-01-01T00:30:00+00:00", "reminderMinutes": 20160}, "start"),
])
def test_dates_out_of_range_are_a_400_naming_the_field(client: Any, bearer: Bearer,
                                                       clean_sandbox: SandboxRuntime,
                                                       change: dict[str, Any],
                                                       field: str) -> None:
    response = client.post("/api/v1/events", json={**BODY, **change}, headers=bearer(AVA))
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"]
    assert "1700-01-01" in response.json["error"]["fields"][field]
    assert "salesforce" not in clean_sandbox.state.stats.snapshot()


def test_a_google_users_long_description_is_refused_up_front(
        client: Any, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Google Calendar refuses descriptions over 8,192 characters: the Event would never
    be mirrored (it stayed pending forever). The API says so before creating anything."""
    too_long = {**BODY, "description": "d" * 32000}
    response = client.post("/api/v1/events", json=too_long, headers=bearer(CLEO))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"description"}
    assert "8192" in response.json["error"]["fields"]["description"]
    assert "salesforce" not in clean_sandbox.state.stats.snapshot()
    fits = client.post("/api/v1/events", json={**BODY, "description": "d" * 8192},
                       headers=bearer(CLEO))
    assert fits.status_code == 201 and fits.json["sync"]["state"] == "mirrored"
    outlook = client.post("/api/v1/events", json=too_long, headers=bearer(AVA))
    assert outlook.status_code == 201 and outlook.json["sync"]["state"] == "mirrored"
    beyond_salesforce = client.post("/api/v1/events", json={**BODY, "description": "d" * 32001},
                                    headers=bearer(AVA))
    assert beyond_salesforce.status_code == 400
    assert set(beyond_salesforce.json["error"]["fields"]) == {"description"}


def test_attendee_edits_are_checked_field_by_field(client: Any, bearer: Bearer) -> None:
    created = client.post("/api/v1/events", json=BODY, headers=bearer(AVA)).json
    path = f"/api/v1/events/{created['event']['id']}/attendees"
    response = client.put(path, json={"attendees": [{"email": "a@x.example",
                                                     "name": "n" * 256}]},
                          headers=bearer(AVA))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"attendees.0.name"}
    response = client.put(path, json={"attendees": "everyone"}, headers=bearer(AVA))
    assert response.status_code == 400 and "attendees" in response.json["error"]["fields"]
    response = client.put(path, json={"attendees": [{"email": "a@x.example", "extra": 1}]},
                          headers=bearer(AVA))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"attendees.0.extra"}
    response = client.put(path, json={"attendees": [{"email": "not-an-email"}]},
                          headers=bearer(AVA))
    assert response.json["error"]["fields"] == {"attendees.0.email": "not a valid email address"}
