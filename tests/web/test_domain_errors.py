"""The one mapping of domain errors to HTTP: status, code, message, fields, Retry-After."""

import inspect
from typing import Any

import pytest
from flask import Flask

from addin import errors as api
from addin.accounts.identity import IdentityConflict, TenantNotAllowed
from addin.domain import errors as domain
from addin.web.errors import HTTP_OF, api_error_of, as_api_errors

CASES: list[tuple[domain.DomainError, int, dict[str, Any], dict[str, str]]] = [
    (domain.InvalidInput("Too many attendees.", field="attendees", reason="at most 100"),
     400, {"code": "validation_failed", "message": "Too many attendees.",
           "fields": {"attendees": "at most 100"}}, {}),
    (domain.MalformedRequest("Idempotency-Key must be 1 to 255 characters.",
                             field="Idempotency-Key", reason="1 to 255 characters"),
     400, {"code": "bad_request", "message": "Idempotency-Key must be 1 to 255 characters.",
           "fields": {"Idempotency-Key": "1 to 255 characters"}}, {}),
    (domain.IdempotencyKeyReused("Used.", field="Idempotency-Key", reason="already used"),
     422, {"code": "idempotency_key_reused", "message": "Used.",
           "fields": {"Idempotency-Key": "already used"}}, {}),
    (domain.NotFound("No such event.", fields={"eventId": "not one of this user's"}),
     404, {"code": "not_found", "message": "No such event.",
           "fields": {"eventId": "not one of this user's"}}, {}),
    (domain.Conflict("This meeting was cancelled.", code="cancelled",
                     fields={"itemId": "cancelled"}),
     409, {"code": "cancelled", "message": "This meeting was cancelled.",
           "fields": {"itemId": "cancelled"}}, {}),
    (domain.InProgress("Still being created.", retry_after=5),
     409, {"code": "in_progress", "message": "Still being created."}, {"Retry-After": "5"}),
    (domain.AccountNotConnected("Connect your Salesforce account first.", "salesforce"),
     409, {"code": "not_connected", "message": "Connect your Salesforce account first.",
           "fields": {"salesforce": "not connected"}}, {}),
    (IdentityConflict("joined elsewhere"),
     409, {"code": "conflict", "message": "joined elsewhere"}, {}),
    (domain.NotPermitted("No."), 403, {"code": "forbidden", "message": "No."}, {}),
    (TenantNotAllowed("Not set up."),
     403, {"code": "tenant_not_allowed", "message": "Not set up."}, {}),
]


@pytest.mark.parametrize(("error", "status", "body", "headers"), CASES,
                         ids=[type(c[0]).__name__ for c in CASES])
def test_mapping(app: Flask, error: domain.DomainError, status: int, body: dict[str, Any],
                 headers: dict[str, str]) -> None:
    @app.get("/api/test-domain-error")
    def _raise() -> None:
        raise error

    response = app.test_client().get("/api/test-domain-error")
    assert response.status_code == status
    assert response.json == {"error": body}
    for name, value in headers.items():
        assert response.headers[name] == value


def test_upstream_unavailable_is_a_503_with_a_reference(app: Flask) -> None:
    @app.get("/api/test-domain-upstream")
    def _raise() -> None:
        raise domain.UpstreamUnavailable("Your calendar is not available; try again.")

    response = app.test_client().get("/api/test-domain-upstream")
    assert response.status_code == 503
    error = response.json["error"]
    assert error["code"] == "upstream_unavailable"
    assert error["message"] == (f"Your calendar is not available; try again "
                                f"(reference {error['reference']}).")


def test_every_domain_error_is_in_the_table_as_the_api_error_views_catch() -> None:
    classes = {v for v in vars(domain).values()
               if inspect.isclass(v) and issubclass(v, domain.DomainError)}
    assert classes == set(HTTP_OF)
    assert isinstance(api_error_of(domain.InvalidInput("x")), api.ValidationFailed)
    assert isinstance(api_error_of(domain.UpstreamUnavailable("x")), api.UpstreamUnavailable)
    assert not isinstance(api_error_of(domain.MalformedRequest("x")), api.ValidationFailed)


def test_views_that_answer_errors_themselves_get_the_api_error() -> None:
    with pytest.raises(api.NotFound) as raised, as_api_errors():
        raise domain.NotFound("No such operation.", fields={"id": "not one of this user's"})
    assert (raised.value.status, raised.value.code, raised.value.fields) == (
        404, "not_found", {"id": "not one of this user's"})
    assert isinstance(raised.value.__cause__, domain.NotFound)
