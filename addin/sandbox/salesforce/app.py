"""The sandbox org over HTTP: auth, the daily API request limit, the REST routes, the
composite resource and the sandbox-only Salesforce UI actions."""

from __future__ import annotations

import json
import re
import threading
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Response, g, request

from addin.sandbox.frame import authenticate, emulator_app, operation
from addin.sandbox.salesforce.change_events import ChangeEventBus, change_origin
from addin.sandbox.salesforce.org import Org
from addin.sandbox.salesforce.record_page import record_pages
from addin.sandbox.salesforce.rest import DEFAULT_BATCH, Caller, RestApi
from addin.sandbox.salesforce.ui import InviteeChanges
from addin.sandbox.salesforce.values import SalesforceApiError, bad_request
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

API_PREFIX = re.compile(r"^/services/data/v(?P<version>\d{2}\.\d)(?P<path>/.*)?$")
REFERENCE = re.compile(r"@\{(?P<ref>[A-Za-z_][\w]*)\.(?P<path>[^}]+)\}")
COMPOSITE_LIMIT = 25


def error_body(status: int, message: str, code: str) -> list[dict[str, Any]]:
    codes = {429: "REQUEST_LIMIT_EXCEEDED", 503: "SERVER_UNAVAILABLE",
             500: "UNKNOWN_EXCEPTION"}
    return [{"message": message, "errorCode": codes.get(status, code)}]


class ApiUsage:
    """The org's daily API request counter."""

    def __init__(self, state: SandboxState):
        self._state = state
        self._lock = threading.Lock()
        self._day = datetime.now(UTC).date()
        self.used = 0

    @property
    def limit(self) -> int:
        return int(self._state.setting("salesforce.dailyApiLimit"))

    def spend(self) -> bool:
        """Count one request; False when the day's allowance is already spent."""
        with self._lock:
            today = datetime.now(UTC).date()
            if today != self._day:
                self._day, self.used = today, 0
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def header(self) -> str:
        return f"api-usage={self.used}/{self.limit}"


def _json(status: int, body: Any) -> Response:
    if status == 204:
        return Response(status=204)
    return Response(json.dumps(body), status=status, mimetype="application/json")


def create_app(state: SandboxState, seed: SeedData, base_url: str) -> Flask:
    """The Salesforce emulator. A multi-org seed gets one org app per organization behind
    the same origin (multi_org.py); the first organization's app is the one returned."""
    if not seed.organizations:
        return org_app(state, seed, base_url, "salesforce")
    from addin.sandbox.salesforce.multi_org import dispatch_by_org

    apps = {org.org_id: org_app(state, org, base_url,
                                "salesforce" if index == 0 else f"salesforce@{org.org_id}")
            for index, org in enumerate(seed.organizations)}
    return dispatch_by_org(state, seed, apps)


def org_app(state: SandboxState, seed: SeedData, base_url: str, keys: str) -> Flask:
    """One Salesforce org: its records, daily API counter, change events, row locks; what
    it keeps for a restart is named ``<keys>.<what>``."""
    app = emulator_app("salesforce", state, error_body, exempt_paths=("/sandbox-ui",))
    org = state.keep(f"{keys}.org", Org(seed, state.setting, 1000 + state.world["idBase"]
                                        + seed.record_number_offset))
    api = RestApi(org)
    state.keep(f"{keys}.queryCursors", api.cursors)
    usage = state.keep(f"{keys}.apiUsage", ApiUsage(state), counter=True)
    api.usage = lambda: {"Max": usage.limit, "Remaining": max(0, usage.limit - usage.used)}
    app.extensions["salesforce_org"] = org
    org.changes = ChangeEventBus(org.spec, state.setting)
    app.extensions["salesforce_changes"] = org.changes

    @app.before_request
    def _change_origin() -> None:
        """Who writes, as change events name it: the API, its version and the client the
        caller named in ``Sforce-Call-Options: client=...``."""
        match = re.match(r"/services/data/v([\d.]+)/", request.path)
        client = re.search(r"client=([^,;\s]+)", request.headers.get("Sforce-Call-Options", ""))
        origin = f"com/salesforce/api/rest/{match.group(1)}" if match else ""
        if origin and client:
            origin += f";client={client.group(1)}"
        change_origin.set(origin)
    ui = InviteeChanges(org, state)
    app.register_blueprint(record_pages(org))  # "Open in Salesforce"
    # the next N writes find their row locked (contention)
    row_locks = state.keep(f"{keys}.rowLocks", {"remaining": 0})
    locks_guard = threading.Lock()

    def locked_row() -> bool:
        with locks_guard:
            if row_locks["remaining"] > 0:
                row_locks["remaining"] -= 1
                return True
            return False

    @app.errorhandler(SalesforceApiError)
    def _salesforce_error(exc: SalesforceApiError) -> Response:
        return _json(exc.status, exc.errors)

    @app.after_request
    def _limit_header(response: Response) -> Response:
        # every REST answer tells the org's daily use, except the versions list, which
        # is free (Salesforce's REST API Developer Guide, "Limit Info Header")
        if request.path.startswith("/services/data/v"):
            response.headers["Sforce-Limit-Info"] = usage.header()
        return response

    def caller(version: str) -> Caller:
        token = authenticate(state, "salesforce")
        user = org.user_by_email(token.subject) if token else None
        if user is None:
            raise SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if not usage.spend():
            raise SalesforceApiError(403, "REQUEST_LIMIT_EXCEEDED",
                                     "TotalRequests Limit exceeded.")
        batch = DEFAULT_BATCH
        options = request.headers.get("Sforce-Query-Options", "")
        match = re.search(r"batchSize=(\d+)", options)
        if match:
            batch = max(200, min(2000, int(match.group(1))))
        g.caller = Caller(user_id=user["Id"], version=version, batch_size=batch)
        return g.caller

    @app.get("/services/data/")
    @app.get("/services/data")
    def versions() -> Response:
        return _json(200, [{"label": "Winter '25", "url": "/services/data/v62.0",
                            "version": "62.0"}])

    @app.route("/services/data/v<version>/", methods=["GET"])
    @app.route("/services/data/v<version>/<path:rest>",
               methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
    def rest_api(version: str, rest: str = "") -> Response:
        if not re.fullmatch(r"\d{2}\.\d", version) or float(version) < 31.0:
            raise SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")
        who = caller(version)
        path = "/" + rest.rstrip("/") if rest else ""
        body = _body()
        if request.method in ("POST", "PATCH", "DELETE") and locked_row():
            raise bad_request("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to "
                              "this record or 1 records")
        if path == "/composite" and request.method == "POST":
            operation("composite")
            return _json(200, composite(who, body))
        name, _ = api.route(request.method, path)
        operation(f"{name} {path.split('/')[2]}" if path.startswith("/sobjects/")
                  and name in ("create", "read", "update", "delete") else name)
        status, payload = api.handle(who, request.method, path, request.args.to_dict(), body)
        return _json(status, payload)

    def composite(who: Caller, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
            raise bad_request("JSON_PARSER_ERROR", "compositeRequest is required")
        subrequests = body["compositeRequest"]
        if not subrequests or len(subrequests) > COMPOSITE_LIMIT:
            raise bad_request("INVALID_API_INPUT", f"a composite request takes 1 to "
                              f"{COMPOSITE_LIMIT} subrequests")
        all_or_none = bool(body.get("allOrNone", False))
        results: list[dict[str, Any]] = []
        outputs: dict[str, Any] = {}
        halted = {"errorCode": "PROCESSING_HALTED",
                  "message": "The transaction was rolled back since another operation in "
                             "the same transaction failed."}
        failed = False
        try:
            with org.transaction() if all_or_none else nullcontext():
                for sub in subrequests:
                    ref = str(sub.get("referenceId", ""))
                    try:
                        status, payload = run_sub(who, sub, outputs)
                    except SalesforceApiError as exc:
                        status, payload = exc.status, exc.errors
                    results.append({"body": payload, "httpHeaders": {},
                                    "httpStatusCode": status, "referenceId": ref})
                    if status < 300:
                        outputs[ref] = payload
                    elif all_or_none:
                        failed = True
                        raise _Halt
        except _Halt:
            pass
        if failed:
            done = len(results)
            results = [r if r["httpStatusCode"] >= 300 else
                       {**r, "body": [halted], "httpStatusCode": 400} for r in results]
            results += [{"body": [halted], "httpHeaders": {}, "httpStatusCode": 400,
                         "referenceId": str(s.get("referenceId", ""))}
                        for s in subrequests[done:]]
        return {"compositeResponse": results}

    def run_sub(who: Caller, sub: dict[str, Any], outputs: dict[str, Any]) -> tuple[int, Any]:
        method = str(sub.get("method", "")).upper()
        url = _substitute(str(sub.get("url", "")), outputs)
        match = API_PREFIX.match(url.split("?", 1)[0])
        if not match:
            raise bad_request("INVALID_API_INPUT", f"unsupported composite url {url}")
        params = dict(parse_qsl(url.split("?", 1)[1])) if "?" in url else {}
        path = (match.group("path") or "").rstrip("/")
        body = _substitute_json(sub.get("body"), outputs)
        return api.handle(who, method, path, params, body)

    @app.post("/sandbox-ui/lock-rows")
    def lock_rows() -> Response:
        body = request.get_json(silent=True) or {}
        times = body.get("times", 1)
        if not isinstance(times, int) or times < 0:
            return _json(400, [{"message": "times must be a non-negative integer",
                                "errorCode": "JSON_PARSER_ERROR"}])
        with locks_guard:
            row_locks["remaining"] = times
        return _json(200, {"lockedWrites": times})

    @app.post("/sandbox-ui/events/<event_id>/invitees")
    def ui_invitees(event_id: str) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json(400, [{"message": "a JSON object with add/remove is required",
                                "errorCode": "JSON_PARSER_ERROR"}])
        return _json(200, ui.change(event_id, body.get("add") or [], body.get("remove") or [],
                                    str(body.get("scope") or "series")))

    @app.post("/sandbox-ui/events/<event_id>/edit")
    def ui_edit(event_id: str) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return _json(400, [{"message": "a JSON object with fields is required",
                                "errorCode": "JSON_PARSER_ERROR", "fields": ["fields"]}])
        return _json(200, ui.edit(event_id, body["fields"],
                                  str(body.get("scope") or "occurrence")))

    @app.post("/sandbox-ui/events/<event_id>/delete")
    def ui_delete(event_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        return _json(200, ui.delete_event(event_id, str(body.get("scope") or "occurrence")))

    return app


class _Halt(Exception):
    pass


def _body() -> Any:
    if request.method in ("GET", "DELETE") or not request.data:
        return None
    try:
        return json.loads(request.data)
    except ValueError:
        raise bad_request("JSON_PARSER_ERROR", "Unexpected character: the request body is "
                          "not valid JSON") from None


def _lookup(outputs: dict[str, Any], ref: str, path: str) -> Any:
    if ref not in outputs:
        raise bad_request("PROCESSING_HALTED", f"Invalid reference specified. No value for "
                          f"{ref}.{path} found in {ref}.")
    value: Any = outputs[ref]
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        try:
            value = value[int(part[1:-1])] if part.startswith("[") else value[part]
        except (KeyError, IndexError, TypeError):
            raise bad_request("PROCESSING_HALTED", f"Invalid reference specified. No value "
                              f"for {ref}.{path} found in {ref}.") from None
    return value


def _substitute(text: str, outputs: dict[str, Any]) -> str:
    return REFERENCE.sub(lambda m: str(_lookup(outputs, m.group("ref"), m.group("path"))), text)


def _substitute_json(value: Any, outputs: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        if whole:
            return _lookup(outputs, whole.group("ref"), whole.group("path"))
        return _substitute(value, outputs)
    if isinstance(value, list):
        return [_substitute_json(v, outputs) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_json(v, outputs) for k, v in value.items()}
    return value
