"""The Flask frame every emulator is built on.

Each emulator is its own Flask app served on its own origin. The frame adds, before each
request: the configured latency, an injected fault if one is pending for the service (in
that service's own error-body shape), and after it: a count in the stats, labelled with
the view's operation name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from addin.sandbox.limits import guard
from addin.sandbox.state import Fault, IssuedToken, SandboxState

# The WSGI environ key marking a request an emulator runs as one step of a batch it
# received (Graph ``$batch``, Google's batch endpoint): the vendors count the batch as one
# HTTP request, so the step is not counted again (faults apply to the batch as a whole).
BATCH_STEP = "addin.sandbox.batch_step"

# An error-body builder: (status, message, code) -> JSON-able body in the vendor's shape.
ErrorBody = Callable[[int, str, str], Any]

FAULT_MESSAGES = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def emulator_app(
    service: str,
    state: SandboxState,
    error_body: ErrorBody,
    *,
    exempt_paths: tuple[str, ...] = (),
    fault_response: Callable[[Fault], Response] | None = None,
) -> Flask:
    """A Flask app for one emulated service, wired to the shared sandbox state.

    ``exempt_paths`` (prefixes) are not counted in stats and never get faults: sandbox-only
    helpers such as ``/sandbox-ui``. ``fault_response`` builds an injected fault's whole
    answer, for a service whose errors are not JSON (EWS answers SOAP faults).
    """
    app = Flask(f"addin.sandbox.{service}")
    app.config["SANDBOX_SERVICE"] = service
    app.extensions["sandbox_state"] = state
    app.json.sort_keys = False  # type: ignore[attr-defined]
    guard(app, error_body)  # body size and JSON depth, before faults and views

    def exempt() -> bool:
        return bool(request.environ.get(BATCH_STEP)) or any(
            request.path.startswith(prefix) for prefix in exempt_paths)

    @app.before_request
    def _latency_and_faults() -> Any:
        if request.environ.get(BATCH_STEP):  # the batch paid the latency
            step_fault = state.faults.take(service, batch_step=True)
            if step_fault is None or step_fault.status < 400:
                return None
            return _fault_answer(step_fault)  # not counted: the batch is the request
        latency = int(state.setting("latencyMs") or 0)
        if latency:
            state.sleep(latency / 1000)
        if exempt():
            return None
        fault = state.faults.take(service)
        if fault is None:
            return None
        if fault.delay_ms:
            state.sleep(fault.delay_ms / 1000)
        if fault.status < 400:  # a pure delay
            return None
        if fault.applied:  # carried out; the answer is replaced after the request
            g.applied_fault = fault
            return None
        return _fault_response(fault)

    def _fault_response(fault: Fault) -> Response:
        g.fault = True
        state.stats.count(service, f"fault {fault.status}")
        return _fault_answer(fault)

    def _fault_answer(fault: Fault) -> Response:
        if fault_response is not None:
            response = fault_response(fault)
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        message = FAULT_MESSAGES.get(fault.status, "Injected fault")
        code = {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(fault.status, "Fault")
        response = jsonify(error_body(fault.status, message, code))
        response.status_code = fault.status
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    @app.after_request
    def _count(response: Response) -> Response:
        if not exempt() and not getattr(g, "fault", False):
            operation = getattr(g, "operation", None) or request.endpoint or "unmatched"
            state.stats.count(service, operation)
        applied = getattr(g, "applied_fault", None)
        if applied is not None:
            return _fault_response(applied)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        """Unknown routes and methods answer the service's JSON error body, never HTML."""
        status = exc.code or 500
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "BadRequest")
        response = jsonify(error_body(status, str(exc.description or exc.name), code))
        response.status_code = status
        return response

    return app


def operation(name: str) -> None:
    """Label the current request in the stats (default: the view function's name)."""
    g.operation = name


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(state: SandboxState, service: str) -> IssuedToken | None:
    """The token the request carries, if the service issued it and it is still valid."""
    token = bearer_token()
    if token is None:
        return None
    return state.tokens.lookup(service, token)
