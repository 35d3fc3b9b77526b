"""Propagation time: an attendee added in the calendar (Outlook / Google Calendar) until
the Salesforce Event has them as an invitee, with push notifications, the worker and the
sandbox over real HTTP.

    .venv/bin/python bench/propagation.py [--runs 10]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time

import harness
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from addin import create_app
from addin.cli.commands import start_worker
from addin.config import settings_for_tests
from addin.sandbox import SandboxRuntime
from addin.sandbox.runtime import QuietRequestHandler
from addin.store.models import PushSubscription, User

USERS = harness.USERS
GUESTS = ["o'brien@acme.example", "noah.smith@acme.example", "liam.jones@globex.example",
          "emma.brown@initech.example"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    sandbox = SandboxRuntime(folder).start()
    port = free_port()
    settings = settings_for_tests(folder + "/instance", public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, sandbox=sandbox)
    services = app.extensions["addin"]
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = start_worker(services)
    worker.idle_seconds = 5.0  # push wakes it; polling alone would take this long
    http = requests.Session()
    http.verify, http.trust_env = sandbox.ca_path, False
    org = sandbox.apps["salesforce"].extensions["salesforce_org"]
    print(f"runs per provider: {args.runs}; worker idle poll 5 s, woken by push")
    for provider, email in USERS.items():
        with services.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.email == email))
        headers = {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with services.db.session() as session:
                if session.scalar(select(PushSubscription).where(
                        PushSubscription.user_id == user_id)):
                    break
            time.sleep(0.1)
        samples = []
        for run in range(args.runs):
            view = requests.post(f"http://127.0.0.1:{port}/api/v1/events", headers=headers,
                                 json={"subject": f"Propagation {run}",
                                       "start": "2026-12-09T10:00:00Z",
                                       "end": "2026-12-09T10:30:00Z"}, timeout=30).json()
            event_id, item_id = view["event"]["id"], view["mirror"]["itemId"]
            guest = GUESTS[run % len(GUESTS)]
            edit = harness.calendar_edit(sandbox.origins, provider, email, item_id, guest)
            started = time.monotonic()
            http.post(edit[0], json=edit[1]).raise_for_status()
            while time.monotonic() - started < 60:
                if any(r["EventId"] == event_id and r["IsInvitee"]
                       for r in org.records["EventRelation"].values()):
                    break
                time.sleep(0.02)
            samples.append(time.monotonic() - started)
        ordered = sorted(samples)
        print(f"{provider:<7} calendar -> Salesforce: p50 {statistics.median(samples):.2f} s, "
              f"p95 {ordered[max(0, int(len(ordered) * 0.95) - 1)]:.2f} s, "
              f"max {ordered[-1]:.2f} s")
    worker.stop()
    server.shutdown()
    sandbox.stop()


if __name__ == "__main__":
    main()
