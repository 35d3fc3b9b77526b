"""Scale-out: every seeded mailbox with --events mirrored events, --workers `addin worker`
processes (Procrastinate) on PostgreSQL, gunicorn (2 processes) receiving the push
notifications, the sandbox as its own process. Prints:

- backfill: from the workers' start until every mailbox has had its first pass (cursors
  set, push subscribed), with the upstream requests it took per mirrored event;
- propagation under load: --changes attendees added in the calendars (Outlook / Google /
  Exchange UI actions), spread over the mailboxes while every mailbox is also asked for a
  pass every 100 ms, until each is an invitee of its Salesforce Event (p50 / p95);
- overlaps: jobs on one mailbox that ran at the same time (must be 0), and the jobs run.

    ADDIN_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/jobs_scale.py [--events 50] [--workers 4] [--changes 40]

The database named is emptied first. By default the sandbox seeds its 7 demo people in one
Salesforce org; ``--orgs 5 --users-per-org 40`` seeds 5 separate orgs of 40 users each
(`addin sandbox --orgs --users-per-org`), the issue's 200 users, and then also measures
Salesforce-side changes: --changes Event subjects edited through the REST API by their
owners, until the product has taken each in (the fields its mirrored row agreed with the
calendar carry the new subject), p50 / p95.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from sqlalchemy import func, select, text

from addin import create_app
from addin.config import Settings
from addin.store.database import make_engine
from addin.store.models import MailboxRun, MirroredEvent, PushSubscription, User
from tests.processes import GunicornProcess, SandboxProcess, WorkerProcess

SECRET = "bench-secret-shared-by-every-process"
GUESTS = ["o'brien@acme.example", "noah.smith@acme.example", "liam.jones@globex.example",
          "emma.brown@initech.example", "pat.kim@globex.example", "ruth@initech.example"]


@dataclass
class Figures:
    mailboxes: int = 0
    events: int = 0
    backfill_seconds: float = 0.0
    backfill_requests: dict[str, int] = field(default_factory=dict)
    propagation: list[float] = field(default_factory=list)
    salesforce_propagation: list[float] = field(default_factory=list)
    changes: int = 0
    organizations: int = 0
    jobs: Counter[str] = field(default_factory=Counter)
    overlaps: int = 0

    def lines(self, workers: int) -> list[str]:
        total = sum(self.backfill_requests.values())
        out = [f"{self.mailboxes} mailboxes in {self.organizations} Salesforce orgs x "
               f"{self.events // max(1, self.mailboxes)} events ({self.events}), {workers} "
               "worker processes on PostgreSQL",
               f"backfill: {self.backfill_seconds:.1f} s, {total} upstream requests "
               f"({total / max(1, self.events):.2f} per event: "
               + ", ".join(f"{k} {v}" for k, v in sorted(self.backfill_requests.items())) + ")"]
        if self.propagation:
            ordered = sorted(self.propagation)
            p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
            out.append(f"propagation under load ({len(ordered)} of {self.changes} calendar "
                       f"edits): p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, "
                       f"max {ordered[-1]:.2f} s")
        if self.salesforce_propagation:
            ordered = sorted(self.salesforce_propagation)
            p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
            out.append(f"Salesforce-side changes under load ({len(ordered)} of {self.changes}"
                       f" Event edits): p50 {statistics.median(ordered):.2f} s, p95 "
                       f"{p95:.2f} s, max {ordered[-1]:.2f} s")
        out.append(f"jobs: {dict(self.jobs)}; overlapping runs on one mailbox: "
                   f"{self.overlaps}")
        return out


def _empty(database: str) -> None:
    engine = make_engine(database)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def _edit_url(origins: dict[str, str], provider: str, email: str, item_id: str
              ) -> tuple[str, dict[str, Any]]:
    if provider == "graph":
        return (f"{origins['graph']}/sandbox-ui/mailboxes/{email}/events/{item_id}/edit",
                {"attendees": [{"emailAddress": {"address": "{guest}"}}]})
    if provider == "ews":
        return (f"{origins['ews']}/sandbox-ui/mailboxes/{email}/items/{item_id}/edit",
                {"attendees": ["{guest}"]})
    return (f"{origins['google']}/sandbox-ui/calendars/{email}/events/{item_id}/edit",
            {"attendees": [{"email": "{guest}"}]})


def run(database: str, events: int, workers: int, changes: int, folder: Path,
        orgs: int = 0, users_per_org: int = 0) -> Figures:
    _empty(database)
    figures = Figures()
    seed_args = ("--orgs", str(orgs), "--users-per-org", str(users_per_org)) if orgs else ()
    with SandboxProcess(folder / "sandbox", seed_args=seed_args) as world:
        settings = Settings.from_env({
            "ADDIN_INSTANCE_PATH": str(folder / "instance"), "ADDIN_DATABASE_URL": database,
            "ADDIN_SANDBOX_URL": world.url, "ADDIN_RUN_WORKER": "false",
            "ADDIN_SECRET_KEY": SECRET})
        app = create_app(settings)  # migrates, connects the seeded people
        services, client = app.extensions["addin"], app.test_client()
        with services.db.session() as session:
            people = list(session.execute(select(User.id, User.email, User.calendar_provider)
                                          .where(User.salesforce_user_id.is_not(None))))
        items: dict[int, list[tuple[str, str]]] = {}
        for user_id, _email, _provider in people:
            headers = {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}
            items[user_id] = []
            for number in range(events):
                answer = client.post("/api/v1/events", headers=headers, json={
                    "subject": f"Scale {user_id}-{number}",
                    "start": f"2026-12-{1 + number % 28:02d}T{8 + number % 9:02d}:00:00Z",
                    "end": f"2026-12-{1 + number % 28:02d}T{8 + number % 9:02d}:30:00Z"})
                body = answer.get_json()
                assert answer.status_code == 201, body
                items[user_id].append((body["event"]["id"], body["mirror"]["itemId"]))
        figures.mailboxes, figures.events = len(people), len(people) * events
        with services.db.session() as session:
            figures.organizations = session.scalar(select(func.count(func.distinct(
                User.organization_id))).where(User.salesforce_user_id.is_not(None))) or 0
        http = requests.Session()
        http.trust_env = False
        http.delete(f"{world.url}/stats", timeout=10)
        web = GunicornProcess(folder / "web", world.url, database, workers=2,
                              ADDIN_SECRET_KEY=SECRET)
        web.env["ADDIN_PUBLIC_URL"] = web.url
        pool = [WorkerProcess(folder / f"worker{n}", world.url, database,
                              ADDIN_SECRET_KEY=SECRET, ADDIN_PUBLIC_URL=web.url)
                for n in range(workers)]
        with web:
            started = time.monotonic()
            for worker in pool:
                worker.start()
            try:
                def backfilled() -> bool:
                    with services.db.session() as session:
                        synced = session.scalar(select(func.count(func.distinct(
                            MailboxRun.user_id))).where(MailboxRun.job == "sync",
                                                        MailboxRun.outcome == "done"))
                        subscribed = session.scalar(select(func.count(
                            PushSubscription.id)))
                    return synced == len(people) and subscribed == len(people)

                _wait(backfilled, 600, "the first pass of every mailbox")
                figures.backfill_seconds = time.monotonic() - started
                stats = http.get(f"{world.url}/stats", timeout=10).json()
                figures.backfill_requests = {name: body["requests"]
                                             for name, body in stats.items()
                                             if isinstance(body, dict) and "requests" in body}
                figures.changes = changes
                figures.propagation = _propagation(world, services, people, items, changes)
                if orgs:
                    figures.salesforce_propagation = _salesforce_propagation(
                        world, services, people, items, changes)
            finally:
                for worker in pool:
                    worker.stop()
        with services.db.session() as session:
            runs = list(session.scalars(select(MailboxRun).order_by(MailboxRun.started_at)))
            figures.jobs = Counter(f"{r.job}:{r.outcome}" for r in runs)
            mirrored = session.scalar(select(func.count(MirroredEvent.id)).where(
                MirroredEvent.state == "mirrored"))
        assert mirrored == figures.events, (mirrored, figures.events)
        figures.overlaps = _overlaps(runs)
        services.db.dispose()
    return figures


def _propagation(world: SandboxProcess, services: Any, people: list[Any],
                 items: dict[int, list[tuple[str, str]]], changes: int) -> list[float]:
    """Calendar edits spread over the mailboxes while every mailbox is asked for passes."""
    from addin.jobs import job_queue
    from addin.jobs.procrastinate_jobs import ProcrastinateQueue

    index = world.index()
    origins = {name: url for name, url in index["origins"].items()} \
        if "origins" in index else {}
    upstream = world.upstream()
    queue = job_queue(services)
    assert isinstance(queue, ProcrastinateQueue)
    stop = threading.Event()

    def load() -> None:  # passes asked for every mailbox, all the time
        while not stop.is_set():
            for user_id, _email, _provider in people:
                queue.sync(user_id, "load")
            time.sleep(0.1)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    salesforce = index["services"]["salesforce"]
    tokens = {u["email"]: u["upstreamTokens"]["salesforce"] for u in index["users"]}
    pending: list[tuple[float, str, str, str]] = []  # started, event id, guest, owner
    try:
        for number in range(changes):
            user_id, email, provider = people[number % len(people)]
            event_id, item_id = items[user_id][number // len(people) % len(items[user_id])]
            guest = _guests(email)[number % len(_guests(email))]
            url, body = _edit_url(origins, provider, email, item_id)
            payload = _fill(body, guest)
            answer = upstream.post(url, json=payload, timeout=10)
            answer.raise_for_status()
            pending.append((time.monotonic(), event_id, guest, email))
            time.sleep(0.2)
        seen: list[float] = []
        deadline = time.monotonic() + 180
        while pending and time.monotonic() < deadline:
            for entry in list(pending):
                started, event_id, guest, owner = entry
                query = ("SELECT Relation.Email FROM EventRelation WHERE EventId = "
                         f"'{event_id}'")
                found = upstream.get(f"{salesforce}/services/data/v62.0/query", timeout=10,
                                     params={"q": query},
                                     headers={"Authorization": f"Bearer {tokens[owner]}"})
                emails = {(r.get("Relation") or {}).get("Email", "").lower()
                          for r in found.json().get("records", [])}
                if guest in emails:
                    seen.append(time.monotonic() - started)
                    pending.remove(entry)
            time.sleep(0.2)
        return seen
    finally:
        stop.set()
        loader.join(5)


def _guests(owner: str) -> list[str]:
    """Contacts of the owner's org: the demo org's, or those multi_org_seed gives an org
    (contact<n>@customer<1|2>.<the org's domain>)."""
    domain = owner.rsplit("@", 1)[1]
    if domain == "acme-sales.example":
        return GUESTS
    return [f"contact{n + 1}@customer{n % 2 + 1}.{domain}" for n in range(4)]


def _salesforce_propagation(world: SandboxProcess, services: Any, people: list[Any],
                            items: dict[int, list[tuple[str, str]]], changes: int
                            ) -> list[float]:
    """Event subjects edited in Salesforce by their owners (REST), spread over the
    mailboxes and so over the orgs, while every mailbox is asked for passes: seconds until
    the product's mirrored row (the fields agreed with the calendar) has the new subject."""
    from addin.jobs import job_queue

    index = world.index()
    upstream = world.upstream()
    salesforce = index["services"]["salesforce"] + "/services/data/v62.0"
    tokens = {u["email"]: u["upstreamTokens"]["salesforce"] for u in index["users"]}
    queue = job_queue(services)
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            for user_id, _email, _provider in people:
                queue.sync(user_id, "load")
            time.sleep(0.1)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    pending: dict[str, tuple[float, str]] = {}  # event id -> (started, new subject)
    try:
        for number in range(changes):
            user_id, email, _provider = people[number % len(people)]
            event_id, _item = items[user_id][-1 - number // len(people) % len(items[user_id])]
            subject = f"Edited in Salesforce {number}"
            started = time.monotonic()
            edited = upstream.patch(f"{salesforce}/sobjects/Event/{event_id}",
                                    headers={"Authorization": f"Bearer {tokens[email]}"},
                                    json={"Subject": subject}, timeout=10)
            edited.raise_for_status()
            pending[event_id] = (started, subject)
            time.sleep(0.2)
        seen: list[float] = []
        deadline = time.monotonic() + 180
        while pending and time.monotonic() < deadline:
            with services.db.session() as session:
                rows = session.execute(select(
                    MirroredEvent.salesforce_event_id, MirroredEvent.base_fields).where(
                    MirroredEvent.salesforce_event_id.in_(list(pending))))
                for event_id, fields in rows:
                    started, wanted = pending[event_id]
                    if (fields or {}).get("subject") == wanted:
                        seen.append(time.monotonic() - started)
                        del pending[event_id]
            time.sleep(0.2)
        return seen
    finally:
        stop.set()
        loader.join(5)


def _fill(body: Any, guest: str) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, guest) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, guest) for v in body]
    return guest if body == "{guest}" else body


def _overlaps(runs: list[MailboxRun]) -> int:
    count, ended = 0, {}
    for run in runs:
        previous = ended.get(run.user_id)
        if previous is not None and run.started_at < previous:
            count += 1
        if run.finished_at is not None:
            ended[run.user_id] = max(run.finished_at, previous or run.finished_at)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--orgs", type=int, default=0,
                        help="separate Salesforce orgs to seed (0: the demo org)")
    parser.add_argument("--users-per-org", type=int, default=0)
    parser.add_argument("--database", default=os.environ.get("ADDIN_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    if not args.database:
        parser.error("name an empty PostgreSQL database: --database or "
                     "ADDIN_BENCH_POSTGRES_URL")
    figures = run(args.database, args.events, args.workers, args.changes,
                  Path(tempfile.mkdtemp(prefix="jobs-scale-")), args.orgs,
                  args.users_per_org)
    print("\n".join(figures.lines(args.workers)))


if __name__ == "__main__":
    main()
