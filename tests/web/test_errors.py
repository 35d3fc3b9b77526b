import logging
import traceback
from dataclasses import replace
from typing import Any

import pytest
import requests
from flask import Flask

from addin.errors import ValidationFailed, scrub
from tests.clock import day, ymd
from tests.conftest import free_port
from tests.web.conftest import AVA
from tests.web.test_api_events import BODY


def test_unknown_api_path_gets_the_envelope(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_api_error_and_unexpected_error_envelopes(app: Flask) -> None:
    @app.get("/api/test-validation")
    def _validation() -> None:
        raise ValidationFailed("bad", fields={"end": "must be after start"})

    @app.get("/api/test-crash")
    def _crash() -> None:
        raise RuntimeError("secret internals")

    client = app.test_client()
    response = client.get("/api/test-validation")
    assert response.status_code == 400
    assert response.json == {"error": {"code": "validation_failed", "message": "bad",
                                       "fields": {"end": "must be after start"}}}
    response = client.get("/api/test-crash")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.json["error"]["code"] == "internal_error"


INTERNALS = ("127.0.0.1", "localhost", "HTTPSConnectionPool", "/v1.0/", "/services/data",
             "port=", "host=", "https://")


def _no_internals(text: str) -> None:
    for internal in INTERNALS:
        assert internal not in text, (internal, text)


@pytest.mark.parametrize(("text", "kept"), [
    ("the calendar could not be reached: HTTPSConnectionPool(host='127.0.0.1', port=41233): "
     "Max retries exceeded with url: /v1.0/me/events", "the calendar could not be reached"),
    ("Salesforce said: https://acme.my.salesforce.com/services/data/v62.0/sobjects failed",
     "Salesforce said"),
    ("upstream graph.sandbox.test:8443 refused", "upstream"),
    (f"Meet at 10:30 on {ymd(day(0))}, agenda a/b", f"Meet at 10:30 on {ymd(day(0))}, agenda a/b"),
])
def test_scrub_takes_out_hosts_ports_urls_and_paths(text: str, kept: str) -> None:
    cleaned = scrub(text)
    _no_internals(cleaned)
    assert kept in cleaned


def test_an_unreachable_calendar_shows_no_internals(client: Any, services: Any, bearer: Any,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """sync.detail of a pending mirror, stored from the transport's error, showed the
    emulator's host, port and URL path."""
    services.settings = replace(services.settings, upstream_urls={
        **services.settings.upstream_urls, "graph": f"https://127.0.0.1:{free_port()}"})
    response = client.post("/api/v1/events", json=BODY, headers=bearer(AVA))
    assert response.status_code == 201
    assert response.json["sync"]["state"] == "pending"
    assert "could not be reached" in response.json["sync"]["detail"]
    _no_internals(response.json["sync"]["detail"])  # (event.url links to Salesforce: fine)
    again = client.get(f"/api/v1/events/{response.json['event']['id']}", headers=bearer(AVA))
    assert again.json["sync"]["state"] == "pending"
    _no_internals(again.json["sync"]["detail"])


def test_an_upstream_failure_is_logged_under_the_reference_the_client_sees(
        client: Any, services: Any, bearer: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def unreachable(*_: Any, **__: Any) -> Any:
        raise requests.ConnectionError(
            "HTTPSConnectionPool(host='127.0.0.1', port=40123): Max retries exceeded with "
            "url: /services/data/v62.0/search/?q=FIND")

    monkeypatch.setattr(services.session_for("salesforce"), "request", unreachable)
    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/records?q=Acme", headers=bearer(AVA))
    assert response.status_code == 503
    error = response.json["error"]
    _no_internals(response.get_data(as_text=True))
    reference = error["reference"]
    assert len(reference) == 12 and reference in error["message"]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "40123" in "".join(traceback.format_exception(*logged[0].exc_info))


def test_a_crash_has_a_reference_in_the_envelope(app: Flask,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    @app.get("/api/test-crash-reference")
    def _crash() -> None:
        raise RuntimeError("connect to db.internal:5432 failed")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/test-crash-reference")
    assert response.status_code == 500
    reference = response.json["error"]["reference"]
    assert reference in response.json["error"]["message"]
    assert "db.internal" not in response.get_data(as_text=True)
    assert any(reference in r.getMessage() for r in caplog.records)
