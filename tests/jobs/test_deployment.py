"""The documented deployment, as real processes: gunicorn with two worker processes (the
stateless web tier), one `addin worker` (Procrastinate), PostgreSQL, and the sandbox as its
own process (ADDIN_SANDBOX_URL). A create answered by one gunicorn process is mirrored at
once; an edit in Outlook reaches gunicorn as a Graph notification and the worker process
syncs it into Salesforce."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.store.models import PushSubscription
from tests.clock import at, day, z
from tests.jobs.conftest import SECRET_KEY, mail_to, upstream_token
from tests.processes import GunicornProcess, SandboxProcess, WorkerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

AVA = "ava.martin@acme-sales.example"
GUEST = "noah.smith@acme.example"


def _wait(condition: Any, seconds: float, why: Any) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(why())


def test_gunicorn_and_a_worker_process_on_postgresql(
        tmp_path: Path, world: SandboxProcess, jobs_database: str, product: Any) -> None:
    web = GunicornProcess(tmp_path / "web", world.url, jobs_database, workers=2,
                          ADDIN_SECRET_KEY=SECRET_KEY)
    web.env["ADDIN_PUBLIC_URL"] = web.url  # where the emulators send push notifications
    worker = WorkerProcess(tmp_path / "worker", world.url, jobs_database,
                           ADDIN_SECRET_KEY=SECRET_KEY, ADDIN_PUBLIC_URL=web.url)
    http = requests.Session()
    http.trust_env = False
    with web, worker:
        index = http.get(f"{web.url}/sandbox", timeout=10).json()
        token = next(u["token"] for u in index["users"] if u["email"] == AVA)
        headers = {"Authorization": f"Bearer {token}"}
        services = product.extensions["addin"]

        def subscribed() -> bool:
            with services.db.session() as session:
                return session.scalar(select(PushSubscription.id)) is not None

        _wait(subscribed, 60, lambda: "the worker subscribed nobody:\n" + worker.log())
        created = http.post(f"{web.url}/api/v1/events", headers=headers, timeout=30, json={
            "subject": "Deployed", "start": z(at(day(18), "09:00")),
            "end": z(at(day(18), "09:30"))})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["sync"]["state"] == "mirrored", body
        item_id, event_id = body["mirror"]["itemId"], body["event"]["id"]
        graph = world.index()["services"]["graph"].split("/v1.0")[0]
        edit = world.upstream().post(
            f"{graph}/sandbox-ui/mailboxes/{AVA}/events/{item_id}/edit", timeout=10,
            json={"attendees": [{"emailAddress": {"address": GUEST}}]})
        assert edit.status_code == 200, edit.text
        salesforce = world.index()["services"]["salesforce"]

        def related() -> list[str]:
            answer = world.upstream().get(
                f"{salesforce}/services/data/v62.0/query", timeout=10,
                headers=upstream_token(world, AVA, "salesforce"),
                params={"q": f"SELECT Relation.Email FROM EventRelation WHERE EventId = "
                             f"'{event_id}'"})
            return [r["Relation"]["Email"].lower() for r in answer.json()["records"]
                    if r.get("Relation")]

        _wait(lambda: GUEST in related(), 60,
              lambda: f"not synced to Salesforce: {related()}\n{worker.log()[-4000:]}")
    assert mail_to(world, GUEST, "Deployed") == ["invitation"]  # Outlook's, once


def test_addin_serve_alone_on_postgresql_runs_the_jobs_in_a_thread(
        tmp_path: Path, world: SandboxProcess, jobs_database: str, product: Any) -> None:
    """`addin serve` with no worker process: its own Procrastinate worker thread subscribes
    the mailboxes and carries an Outlook edit into Salesforce."""
    from tests.processes import ServeProcess

    with ServeProcess(tmp_path / "serve", world.url, jobs_database,
                      ADDIN_SECRET_KEY=SECRET_KEY) as serve:
        headers = serve.bearer(AVA)
        http = requests.Session()
        http.trust_env = False
        services = product.extensions["addin"]

        def subscribed() -> bool:
            with services.db.session() as session:
                return session.scalar(select(PushSubscription.id)) is not None

        _wait(subscribed, 60, lambda: "nobody subscribed:\n" + serve.log())
        created = http.post(f"{serve.url}/api/v1/events", headers=headers, timeout=30, json={
            "subject": "Served alone", "start": z(at(day(18), "11:00")),
            "end": z(at(day(18), "11:30"))}).json()
        graph = world.index()["services"]["graph"].split("/v1.0")[0]
        world.upstream().post(
            f"{graph}/sandbox-ui/mailboxes/{AVA}/events/{created['mirror']['itemId']}/edit",
            timeout=10, json={"subject": "Renamed in Outlook"}).raise_for_status()

        def subject() -> str:
            answer = http.get(f"{serve.url}/api/v1/events/{created['event']['id']}",
                              headers=headers, timeout=10)
            return str(answer.json()["event"]["subject"])

        _wait(lambda: subject() == "Renamed in Outlook", 60,
              lambda: f"{subject()}\n{serve.log()[-4000:]}")
        assert "Traceback" not in serve.log()
