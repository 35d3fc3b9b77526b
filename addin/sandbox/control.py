"""The sandbox control service: the mail log, request statistics, fault injection and
behaviour settings, shared by every emulator of the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from addin.sandbox.limits import guard
from addin.sandbox.state import Fault, SandboxState


def _error(status: int, message: str, field: str | None = None) -> Any:
    body: dict[str, Any] = {"code": "bad_request", "message": message}
    if field:
        body["fields"] = {field: message}
    response = jsonify({"error": body})
    response.status_code = status
    return response


def create_app(state: SandboxState, services: dict[str, str],
               describe: Callable[[], dict[str, Any]] | None = None) -> Flask:
    app = Flask("addin.sandbox.control")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    guard(app, lambda status, message, code: {"error": {"code": code, "message": message}})

    @app.get("/")
    def index() -> Any:
        return jsonify({"services": services, "settings": state.settings})

    @app.get("/sandbox")
    def sandbox_index() -> Any:
        """The sandbox's own index (services, seeded users and their upstream tokens, the
        CA): what `addin serve` reads when ADDIN_SANDBOX_URL points here."""
        if describe is None:
            return _error(404, "this sandbox has no index")
        return jsonify(describe())

    @app.get("/healthz")
    def health() -> Any:
        return jsonify({"status": "ok", "sandboxId": state.world["id"]})

    @app.get("/mail")
    def mail_list() -> Any:
        return jsonify({"messages": state.mail.messages()})

    @app.delete("/mail")
    def mail_clear() -> Any:
        state.mail.clear()
        return "", 204

    @app.get("/stats")
    def stats_get() -> Any:
        return jsonify(state.stats.snapshot())

    @app.delete("/stats")
    def stats_reset() -> Any:
        state.stats.reset()
        return "", 204

    @app.get("/faults")
    def faults_list() -> Any:
        return jsonify({"faults": state.faults.pending()})

    @app.post("/faults")
    def faults_add() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "a JSON object is required")
        service = body.get("service")
        known = sorted(k for k in services if k not in {"mail", "stats", "faults", "settings"})
        if service not in known:
            return _error(400, f"service must be one of {', '.join(known)}", "service")
        status = body.get("status", 503)
        times = body.get("times", 1)
        retry_after = body.get("retryAfter")
        delay_ms = body.get("delayMs", 0)
        for name, value, low in (("status", status, 0), ("times", times, 1),
                                 ("delayMs", delay_ms, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                return _error(400, f"{name} must be an integer >= {low}", name)
        if status and not 100 <= status <= 599:
            return _error(400, "status must be an HTTP status or 0 for a pure delay", "status")
        if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
            return _error(400, "retryAfter must be a non-negative integer", "retryAfter")
        applied = body.get("applied", False)
        if not isinstance(applied, bool):
            return _error(400, "applied must be true or false", "applied")
        batch_step = body.get("batchStep", False)
        if not isinstance(batch_step, bool):
            return _error(400, "batchStep must be true or false", "batchStep")
        state.faults.add(Fault(service, status, times, retry_after, delay_ms, applied,
                               batch_step))
        return jsonify({"faults": state.faults.pending()}), 201

    @app.delete("/faults")
    def faults_clear() -> Any:
        state.faults.clear()
        return "", 204

    @app.get("/settings")
    def settings_get() -> Any:
        return jsonify(state.settings)

    @app.patch("/settings")
    def settings_update() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "a JSON object is required")
        try:
            return jsonify(state.update_settings(body))
        except KeyError as exc:
            return _error(400, f"unknown setting: {exc.args[0]}", str(exc.args[0]))

    return app
