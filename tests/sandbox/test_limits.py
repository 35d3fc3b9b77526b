"""The sandbox's own HTTP services (control and every emulator) refuse too deeply nested
JSON and oversized bodies in their own error shapes, never with a 500."""

from __future__ import annotations

import pytest
import requests

from addin.sandbox import SandboxRuntime
from addin.sandbox.limits import MAX_BODY_BYTES, json_depth

DEEP = "[" * 1000 + "]" * 1000


def test_json_depth() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth(b'"[[["') == 0 and json_depth(DEEP.encode()) == 1000


@pytest.mark.parametrize(("service", "method", "path"), [
    ("faults", "POST", ""), ("settings", "PATCH", ""), ("graph", "POST", "/me/events"),
    ("google", "POST", "/calendar/v3/calendars/primary/events"),
    ("salesforce", "POST", "/services/data/v62.0/composite"),
])
def test_deep_json_is_a_400_in_the_services_shape(clean_sandbox: SandboxRuntime,
                                                  upstream: requests.Session, service: str,
                                                  method: str, path: str) -> None:
    base = clean_sandbox.origins[service] if service in ("google", "salesforce") else \
        clean_sandbox.services[service]  # control URLs, and Graph's /v1.0 root
    url = base + path
    answer = upstream.request(method, url, data=DEEP,
                              headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text[:300]
    body = answer.json()
    error = body[0] if isinstance(body, list) else body["error"]  # Salesforce: an array
    assert "nests deeper" in str(error)


def test_an_oversized_body_is_a_413(clean_sandbox: SandboxRuntime,
                                    upstream: requests.Session) -> None:
    answer = upstream.post(clean_sandbox.services["faults"], data=b"x" * (MAX_BODY_BYTES + 1),
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"]["code"]
