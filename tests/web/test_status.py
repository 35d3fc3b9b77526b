"""The sync status API: a user's passes, pending work, errors with their Retry, the
propagation times; the admin's view of the organization; the status pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from addin.providers.salesforce.client import SalesforceError
from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from addin.store.models import OutboxOperation, SyncPassRecord, User
from tests.clock import at, day, z
from tests.web.conftest import AVA, BEN, CLEO

Bearer = Callable[[str], dict[str, str]]
START = at(day(9), "10:00")  # Wednesday of the week after the test week
BODY = {"subject": "Status check", "start": z(START),
        "end": z(START + timedelta(minutes=30))}


def _user_id(services: Any, email: str) -> int:
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    return int(user_id)


def test_a_new_user_has_an_empty_status(client: Any, bearer: Bearer) -> None:
    view = client.get("/api/v1/status", headers=bearer(BEN)).json
    assert view["user"]["email"] == BEN
    assert view["passes"] == [] and view["pending"] == [] and view["errors"] == []
    assert view["propagation"] == {"samples": [], "count": 0, "medianSeconds": None,
                                   "maxSeconds": None}
    assert client.get("/api/v1/status").status_code == 401


def test_passes_are_recorded_with_what_they_did_and_propagation_is_measured(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: Any) -> None:
    created = client.post("/api/v1/events", json=BODY, headers=bearer(CLEO)).json
    user_id = _user_id(services, CLEO)
    first = sync_user(services, user_id, "poll")
    assert first.propagations == []  # nothing changed: nothing to measure
    edit = upstream.post(
        f"{clean_sandbox.origins['google']}/sandbox-ui/calendars/{CLEO}/events/"
        f"{created['mirror']['itemId']}/edit", json={"summary": "Status check (moved)"})
    assert edit.status_code == 200, edit.text
    report = sync_user(services, user_id, "push")
    assert report.reconciled == [created["event"]["id"]]
    view = client.get("/api/v1/status", headers=bearer(CLEO)).json
    assert [p["reason"] for p in view["passes"]] == ["push", "poll"]  # newest first
    newest = view["passes"][0]
    assert newest["checked"] == 1 and newest["reconciled"] == 1 and newest["failed"] == 0
    assert newest["durationMs"] >= 0 and newest["error"] is None
    samples = view["propagation"]["samples"]
    assert len(samples) == 1 and view["propagation"]["count"] == 1
    assert samples[0]["eventId"] == created["event"]["id"]
    assert samples[0]["side"] == "calendar" and samples[0]["seconds"] >= 0
    assert view["propagation"]["medianSeconds"] == samples[0]["seconds"]


def test_a_pass_that_fails_is_recorded_with_its_error_and_a_retry(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: Any) -> None:
    client.post("/api/v1/events", json=BODY, headers=bearer(AVA))
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 500, "times": 10})
    with pytest.raises(SalesforceError):  # the pass's own failure is what is recorded
        sync_user(services, _user_id(services, AVA), "poll")
    upstream.delete(clean_sandbox.services["faults"])
    view = client.get("/api/v1/status", headers=bearer(AVA)).json
    assert view["passes"][0]["error"]
    assert "://" not in view["passes"][0]["error"]
    error = view["errors"][0]
    assert error["type"] == "pass" and error["retry"] == "/api/v1/status/sync"
    retried = client.post(error["retry"], headers=bearer(AVA))
    assert retried.status_code == 200 and retried.json["failed"] == []
    after = client.get("/api/v1/status", headers=bearer(AVA)).json
    assert after["passes"][0]["reason"] == "retry" and after["passes"][0]["error"] is None
    assert [e for e in after["errors"] if e["type"] == "pass"] == []


def test_a_refused_mirror_is_an_error_whose_retry_adds_it(
        client: Any, bearer: Bearer, clean_sandbox: SandboxRuntime, upstream: Any) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "graph", "status": 400, "times": 1})
    created = client.post("/api/v1/events", json=BODY, headers=bearer(AVA)).json
    assert created["sync"]["state"] == "failed"
    event_id = created["event"]["id"]
    errors = client.get("/api/v1/status", headers=bearer(AVA)).json["errors"]
    assert [(e["type"], e["id"], e["subject"]) for e in errors] == [
        ("mirror", event_id, "Status check")]
    assert client.post(f"/api/v1/status/mirrors/{event_id}/retry",
                       headers=bearer(BEN)).status_code == 404  # not Ben's
    retried = client.post(errors[0]["retry"], headers=bearer(AVA))
    assert retried.status_code == 200 and retried.json["state"] == "mirrored"
    assert client.get("/api/v1/status", headers=bearer(AVA)).json["errors"] == []
    view = client.get(f"/api/v1/events/{event_id}", headers=bearer(AVA)).json
    assert view["mirror"]["itemId"]


def test_pending_operations_are_listed_and_a_dead_one_runs_again_on_retry(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: Any) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "graph", "status": 500, "times": 1})
    created = client.post("/api/v1/events", json=BODY, headers=bearer(AVA)).json
    assert created["sync"]["state"] == "pending"
    pending = client.get("/api/v1/status", headers=bearer(AVA)).json["pending"]
    assert [(op["kind"], op["state"]) for op in pending] == [("mirror_event", "pending")]
    op_id = pending[0]["id"]
    with services.db.session() as session:  # the worker gave up on it
        op = session.get(OutboxOperation, op_id)
        op.state, op.attempts, op.last_error = "dead", 20, "CalendarUnavailable: 503"
    errors = client.get("/api/v1/status", headers=bearer(AVA)).json["errors"]
    assert [(e["type"], e["id"], e["state"]) for e in errors] == [("outbox", op_id, "dead")]
    assert client.post(f"/api/v1/status/outbox/{op_id}/retry",
                       headers=bearer(BEN)).status_code == 404
    clean_sandbox.state.stats.reset()
    retried = client.post(errors[0]["retry"], headers=bearer(AVA))
    assert retried.status_code == 200
    assert retried.json["ran"] is True and retried.json["operation"]["state"] == "done"
    assert retried.json["operation"]["attempts"] == 1
    assert clean_sandbox.state.stats.snapshot()["graph"]["requests"] >= 1
    view = client.get("/api/v1/status", headers=bearer(AVA)).json
    assert view["pending"] == [] and view["errors"] == []
    again = client.post(f"/api/v1/status/outbox/{op_id}/retry", headers=bearer(AVA))
    assert again.json["ran"] is False  # done: nothing to run
    assert client.post("/api/v1/status/outbox/999999/retry",
                       headers=bearer(AVA)).status_code == 404


def test_admins_see_every_user_of_their_organization(
        client: Any, services: Any, bearer: Bearer) -> None:
    client.post("/api/v1/events", json=BODY, headers=bearer(BEN))
    ben = _user_id(services, BEN)
    sync_user(services, ben, "poll")
    assert client.get("/api/v1/admin/status", headers=bearer(BEN)).status_code == 403
    view = client.get("/api/v1/admin/status", headers=bearer(AVA)).json
    assert view["settings"]["syncDirection"] == "two_way"
    people = {p["email"]: p for p in view["users"]}
    assert {AVA, BEN, CLEO} <= set(people)
    assert people[BEN]["lastPass"]["reason"] == "poll"
    assert people[BEN]["statusUrl"] == f"/status?user={ben}"
    assert people[AVA]["lastPass"] is None and people[AVA]["isAdmin"] is True
    # the admin reads a colleague's page; a colleague cannot read anyone else's
    colleague = client.get(f"/api/v1/status?user={ben}", headers=bearer(AVA))
    assert colleague.status_code == 200 and colleague.json["user"]["email"] == BEN
    ava = _user_id(services, AVA)
    refused = client.get(f"/api/v1/status?user={ava}", headers=bearer(BEN))
    assert refused.status_code == 403
    bad = client.get("/api/v1/status?user=abc", headers=bearer(AVA))
    assert bad.status_code == 400 and "user" in bad.json["error"]["fields"]
    assert client.get("/api/v1/status?user=999999", headers=bearer(AVA)).status_code == 404


def test_passes_are_pruned_to_the_newest(services: Any, bearer: Bearer) -> None:
    from addin.services import sync_history

    user_id = _user_id(services, BEN)
    for _ in range(sync_history.KEEP_PER_USER + 3):
        sync_user(services, user_id, "poll")
    with services.db.session() as session:
        kept = session.scalars(select(SyncPassRecord.id).where(
            SyncPassRecord.user_id == user_id)).all()
    assert len(kept) == sync_history.KEEP_PER_USER


def test_the_status_pages_are_served(client: Any) -> None:
    for path, script in (("/status", "/static/status/user.js"),
                         ("/status/admin", "/static/status/admin.js")):
        page = client.get(path)
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert script.encode() in page.data and b'id="auth-config"' in page.data
