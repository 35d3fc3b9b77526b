"""The ``addin`` command: serve, db upgrade (more commands register themselves here)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from werkzeug.serving import make_server

from addin.config import Settings


@click.group()
@click.option("--log-level", default=os.environ.get("ADDIN_LOG_LEVEL", "INFO"),
              show_default=True)
def main(log_level: str) -> None:
    """Backend of the Outlook / Gmail sidebar for Salesforce."""
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_until_stopped(block: Callable[[], Any]) -> None:
    """Run ``block`` until Ctrl-C or SIGTERM (a clean stop: the caller's ``finally``
    stops what it started)."""
    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):
        block()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--https", "use_https", is_flag=True,
              help="Serve TLS with a locally generated development CA.")
def serve(host: str, port: int, use_https: bool) -> None:
    """Run the product. With no real credentials configured it runs in SANDBOX mode."""
    from addin.sandbox import SandboxRuntime
    from addin.sandbox.tls import HOSTS, ensure_dev_certificates

    settings = Settings.from_env()
    scheme = "https" if use_https else "http"
    if "ADDIN_PUBLIC_URL" not in os.environ:
        settings = replace(settings, public_url=f"{scheme}://{host}:{port}")
    own_database = not settings.database_url
    settings = settings.resolve()
    sandbox = None
    if settings.sandbox_in_process:
        if own_database:
            start_own_sandbox_database(settings.database_url)
        sandbox = SandboxRuntime(settings.instance_path, host="127.0.0.1",
                                 port_base=settings.sandbox_port_base,
                                 latency_ms=settings.sandbox_latency_ms).start()
    app = _app(settings, sandbox)
    sandbox = app.extensions["addin"].sandbox  # ADDIN_SANDBOX_URL: the standalone one
    worker = start_worker(app.extensions["addin"]) if settings.run_worker else None
    ssl_context = None
    if use_https:
        hosts = tuple(dict.fromkeys((host, *HOSTS)))
        certs = ensure_dev_certificates(Path(settings.instance_path) / "dev-ca", hosts)
        ssl_context = certs.server_context()
    server = make_server(host, port, app, threaded=True, ssl_context=ssl_context)
    base = f"{scheme}://{host}:{server.server_port}"
    lines = [f"addin is running in {settings.mode.upper()} mode at {base}"]
    lines.append(f"  Outlook pane:      {base}/outlook/pane")
    lines.append(f"  sync status:       {base}/status")
    lines.append(f"  API document:      {base}/api/openapi.json")
    lines.append(f"  health:            {base}/healthz")
    if sandbox is not None:
        lines.append(f"  sandbox index:     {base}/sandbox")
        if settings.sandbox_url:
            lines.append(f"  sandbox runs at:   {settings.sandbox_url}")
        for name, url in sandbox.services.items():
            lines.append(f"    {name:<16} {url}")
        lines.append(f"  sandbox CA:        {sandbox.ca_path}")
    if use_https:
        lines.append(f"  trust this CA to sideload over HTTPS: "
                     f"{Path(settings.instance_path) / 'dev-ca' / 'ca.pem'}")
    click.echo("\n".join(lines), err=False)
    sys.stdout.flush()

    try:
        run_until_stopped(server.serve_forever)
    finally:
        server.server_close()
        if worker is not None:
            worker.stop()
        if isinstance(sandbox, SandboxRuntime):
            sandbox.stop()


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address the sandbox listens on and names in its URLs.")
@click.option("--port", default=5050, show_default=True, type=int,
              help="The index and control port; the emulators take the next four "
                   "(0: free ports, the same ones again on a restart with --state-dir).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Keep the sandbox's state (and its CA) in this folder: a restart "
                   "continues the same world. Without it each start is a new world.")
@click.option("--https", "use_https", is_flag=True,
              help="Serve the index over TLS too (the emulators always use TLS).")
@click.option("--orgs", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed this many separate Salesforce orgs (with --users-per-org) instead "
                   "of the demo org (0: the demo org).")
@click.option("--users-per-org", default=0, show_default=True, type=click.IntRange(min=0),
              help="Users of each seeded org, their mailboxes spread over Graph, Google "
                   "and EWS.")
def sandbox_command(host: str, port: int, state_dir: str | None, use_https: bool,
                    orgs: int, users_per_org: int) -> None:
    """Run the emulators on their own, for `addin serve`, `addin worker`, `addin sync` and
    gunicorn to share (ADDIN_SANDBOX_URL)."""
    from addin.sandbox import SandboxRuntime
    from addin.sandbox.durable import StateFileError, read_meta
    from addin.sandbox.runtime import EMULATORS
    from addin.sandbox.seed import DEFAULT_SEED, multi_org_seed

    if bool(orgs) != bool(users_per_org):
        raise click.BadParameter("--orgs and --users-per-org go together",
                                 param_hint="--users-per-org")
    seed = multi_org_seed(orgs, users_per_org) if orgs else DEFAULT_SEED
    from addin.sandbox.tls import HOSTS, ensure_dev_certificates

    settings = Settings.from_env()
    names = ["control", *EMULATORS]
    ports = {name: port + offset for offset, name in enumerate(names)} if port else {}
    try:
        meta = read_meta(Path(state_dir)) if state_dir else None
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    if not port and meta:
        ports = {name: int(origin.rsplit(":", 1)[1])
                 for name, origin in meta["origins"].items() if name in names}
    # `addin serve --https` signs with the development CA of the product's instance folder
    # (made here if missing, so both agree): the emulators' callbacks trust it too
    product_ca = ensure_dev_certificates(Path(settings.instance_path) / "dev-ca", HOSTS)
    try:
        runtime = SandboxRuntime(state_dir or settings.instance_path, host=host, ports=ports,
                                 latency_ms=settings.sandbox_latency_ms,
                                 state_dir=state_dir, control_tls=use_https, seed=seed,
                                 callback_cas=(product_ca.ca_path,)).start()
    except StateFileError as exc:
        raise click.ClickException(str(exc)) from None
    index = runtime.origins["control"]
    world = "continued from" if runtime.restored else "new world, kept in" if state_dir \
        else "new world, in memory (no --state-dir)"
    lines = [f"addin sandbox {runtime.world_id} is running at {index}",
             f"  index:             {index}/sandbox",
             f"  state:             {world} {state_dir or ''}".rstrip()]
    for name, url in runtime.services.items():
        lines.append(f"    {name:<16} {url}")
    lines.append(f"  CA:                {runtime.ca_path}")
    lines.append(f"  use it:            ADDIN_SANDBOX_URL={index} addin serve")
    lines.append("  then the pane:     http://127.0.0.1:5000/outlook/pane "
                 "(addin serve's default address)")
    click.echo("\n".join(lines))
    sys.stdout.flush()

    try:
        run_until_stopped(signal.pause)
    finally:
        runtime.stop()


def _app(settings: Settings, sandbox: Any = None) -> Any:
    """The app, or a one-line reason when the standalone sandbox named by
    ADDIN_SANDBOX_URL does not answer."""
    from addin import create_app
    from addin.devmode.remote import SandboxUnavailable

    try:
        return create_app(settings, sandbox=sandbox)
    except SandboxUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def start_worker(container: Any, concurrency: int | None = None) -> Any:
    """The background jobs of this process: a Procrastinate worker on PostgreSQL, the
    in-process runner on SQLite (the same job functions either way: addin/jobs/tasks.py).
    Either has ``stop()``."""
    concurrency = concurrency or container.settings.worker_concurrency
    if container.settings.uses_procrastinate:
        from addin.jobs.procrastinate_jobs import WorkerThread

        engine = WorkerThread(container, concurrency).start()
    else:
        engine = in_process_runner(container).start()
    return BackgroundWork(engine, start_change_listeners(container))


def start_change_listeners(container: Any) -> Any:
    """Salesforce change events (Pub/Sub API): a change made in Salesforce asks the job
    engine for its owners' passes at once (addin/services/change_events.py)."""
    from addin.jobs import job_queue
    from addin.services.change_events import start_listeners

    queue = job_queue(container)
    return start_listeners(container,
                           on_handled=lambda users: queue.sync_requested() if users else None)


class BackgroundWork:
    """The job engine of this process and the change-event listeners beside it; stops
    both. Other attributes are the engine's."""

    def __init__(self, engine: Any, listeners: Any):
        self.engine, self.listeners = engine, listeners

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("engine", "listeners"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.engine, name, value)

    def stop(self, timeout: float = 10.0) -> None:
        self.listeners.stop()
        self.engine.stop(timeout)


def in_process_runner(container: Any) -> Any:
    from addin.jobs import tasks
    from addin.jobs.worker import Worker
    from addin.services.events import requeue_stranded_mirrors

    def sync(container: Any, user_id: int, reason: str) -> None:
        tasks.sync_mailbox(container, user_id, reason)

    def keep_subscribed(container: Any, user_id: int, reason: str) -> None:
        tasks.renew_subscription(container, user_id)

    worker = Worker(container, sync_user=sync,
                    pass_jobs=[requeue_stranded_mirrors, tasks.run_due_outbox,
                               tasks.prune_runs],
                    keep_subscribed=keep_subscribed)
    container.caches["worker"] = worker  # webhooks wake it at once
    return worker


SANDBOX_WORKER = ("In sandbox mode the emulators live inside `addin serve`, whose worker "
                  "already syncs; a separate process would see an empty sandbox. Run the "
                  "sandbox on its own (`addin sandbox`) and set ADDIN_SANDBOX_URL to share it.")


def _shared_settings(command: str) -> Settings:
    """A separate process cannot see an in-process sandbox: its emulators live in memory
    inside `addin serve` (syncing against a fresh one would take every Event for
    deleted). A standalone sandbox (ADDIN_SANDBOX_URL) is shared by every process."""
    settings = Settings.from_env()
    if settings.resolve().sandbox_in_process:
        raise click.ClickException(f"`addin {command}` runs against real services or a "
                                   "standalone sandbox. " + SANDBOX_WORKER)
    return settings


def _print_report(email: str, checked: int, reconciled: int, deleted: dict[str, str],
                  failed: dict[str, str]) -> None:
    click.echo(f"{email}: {checked} mirrored, {reconciled} reconciled, {len(deleted)} "
               f"deleted, {len(failed)} failed")
    for event_id, outcome in deleted.items():
        click.echo(f"  {event_id}: {outcome}")
    for event_id, error in failed.items():
        click.echo(f"  {event_id}: {error}")


def _sync_through_server(settings: Settings, email: str | None) -> None:
    """Sandbox mode: ask the running `addin serve` to run the pass where the sandbox is."""
    import requests

    url = f"{settings.public_url.rstrip('/')}/sandbox/sync"
    try:
        answer = requests.post(url, json={"email": email} if email else {}, timeout=300)
    except requests.RequestException as exc:
        raise click.ClickException(f"`addin serve` does not answer at {url} ({exc}). "
                                   + SANDBOX_WORKER) from None
    if answer.status_code == 404 and email:
        raise click.UsageError(f"no user {email}")
    if answer.status_code != 200:
        raise click.ClickException(f"{url} answered {answer.status_code}: {answer.text}")
    for report in answer.json()["users"]:
        _print_report(report["email"], report["checked"], len(report["reconciled"]),
                      report["deleted"], report["failed"])


@main.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Jobs one worker process runs at once (PostgreSQL; default "
                   "ADDIN_WORKER_CONCURRENCY).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes to run (PostgreSQL only).")
def worker(concurrency: int | None, processes: int) -> None:
    """Run the background jobs on their own (against the configured database; in sandbox
    mode against the standalone sandbox named by ADDIN_SANDBOX_URL). On PostgreSQL any
    number of these may run, on any number of hosts."""
    settings = _shared_settings("worker")
    if processes > 1:
        if not settings.uses_procrastinate:
            raise click.UsageError("--processes needs PostgreSQL (ADDIN_DATABASE_URL): the "
                                   "SQLite runner keeps one mailbox to one process by being "
                                   "the only one")
        _run_worker_processes(processes, concurrency)
        return
    app = _app(settings)
    container = app.extensions["addin"]
    if settings.uses_procrastinate:
        import asyncio

        from addin.jobs.procrastinate_jobs import run_worker

        number = concurrency or settings.worker_concurrency
        click.echo(f"addin worker is running (Procrastinate, {number} at once); "
                   "Ctrl-C stops it")
        sys.stdout.flush()
        asyncio.run(run_worker(container, number))  # stops on SIGINT / SIGTERM
        return
    running = in_process_runner(container).start()
    click.echo("addin worker is running (in-process runner, SQLite); Ctrl-C stops it")
    sys.stdout.flush()
    try:
        run_until_stopped(signal.pause)
    finally:
        running.stop()


def _run_worker_processes(processes: int, concurrency: int | None) -> None:
    """N `addin worker` processes; SIGTERM / Ctrl-C stops them all."""
    import subprocess

    args = [sys.executable, "-m", "addin", "worker"]
    if concurrency:
        args += ["--concurrency", str(concurrency)]
    children = [subprocess.Popen(args) for _ in range(processes)]
    click.echo(f"addin worker: {processes} processes "
               f"({', '.join(str(child.pid) for child in children)})")
    sys.stdout.flush()
    try:
        run_until_stopped(lambda: [child.wait() for child in children])
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait(timeout=30)


@main.command("sync")
@click.option("--user", "email", default=None, help="Only this user (email).")
def sync_command(email: str | None) -> None:
    """Run one sync pass (every user, or one) and show what it did. With an in-process
    sandbox the running `addin serve` (ADDIN_PUBLIC_URL) runs it, where the sandbox lives;
    with ADDIN_SANDBOX_URL it runs here."""
    from sqlalchemy import select

    from addin.services.sync_pass import sync_user
    from addin.store.models import User

    settings = Settings.from_env()
    if settings.resolve().sandbox_in_process:
        _sync_through_server(settings, email)
        return
    app = _app(settings)
    container = app.extensions["addin"]
    with container.db.session() as session:
        query = select(User.id, User.email).order_by(User.id)
        if email:
            query = query.where(User.email == email.lower())
        users = list(session.execute(query))
    if email and not users:
        raise click.UsageError(f"no user {email}")
    for user_id, address in users:
        report = sync_user(container, user_id, "cli")
        _print_report(address, report.checked, len(report.reconciled), report.deleted,
                      report.failed)


@main.command("outbox")
def outbox_command() -> None:
    """Complete due outbox operations once and report how many were done."""
    from addin.jobs.tasks import run_due_outbox

    app = _app(Settings.from_env())
    done = run_due_outbox(app.extensions["addin"])
    click.echo(f"{done} outbox operation(s) completed")


@main.command()
@click.argument("kind", type=click.Choice(["outlook", "outlook-json", "gmail"]))
@click.option("--public-url", required=True, help="The https origin the add-in is served from.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True)
def manifest(kind: str, public_url: str, out: str) -> None:
    """Write a manifest for sideloading (the same file /manifests/... serves)."""
    from addin.web.manifest_render import ManifestError, render

    settings = Settings.from_env()
    try:
        text = render(kind, public_url,
                      google_service_account=settings.google_addon_service_account,
                      microsoft_client_id=settings.microsoft_client_id)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    Path(out).write_text(text)
    click.echo(f"wrote {out}")


OWNER_SUFFIX = ".owner"


def start_own_sandbox_database(url: str) -> None:
    """The in-process sandbox lives in memory, so its database starts fresh each run, as
    a new world: `addin serve` deletes the SQLite file it created at its previous start,
    and only that. It creates the file itself and brands it: a random number in the
    file's SQLite header (``PRAGMA application_id``, meant for telling whose file it is),
    recorded in a marker beside it. A file at that path without the brand was not made
    here, so it is kept and used as it is (rows of earlier runs stay dormant: see
    sandbox_accounts.py). A database named by ADDIN_DATABASE_URL is never touched."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    marker = path.with_name(path.name + OWNER_SUFFIX)
    if path.exists():
        if not _made_here(path, marker):
            logging.getLogger(__name__).warning(
                "keeping %s: this sandbox did not create it (no matching %s); delete it "
                "for a fresh sandbox database", path, marker.name)
            return
        for suffix in ("-wal", "-shm", ""):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    elif marker.exists():  # the file went away: its journal must not outlive it
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    brand = secrets.randbits(31) | 1
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"PRAGMA application_id = {brand}")
        connection.commit()
    finally:
        connection.close()
    marker.write_text(json.dumps({
        "createdBy": "addin serve (in-process sandbox); deleted at its next start",
        "database": str(path), "applicationId": brand}) + "\n")


def _made_here(path: Path, marker: Path) -> bool:
    try:
        recorded = json.loads(marker.read_text())["applicationId"]
        with open(path, "rb") as handle:
            header = handle.read(72)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    found = int.from_bytes(header[68:72], "big") if len(header) == 72 else 0
    return header.startswith(b"SQLite format 3\x00") and found == recorded


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from addin.store import Database, current_revision, upgrade_to_head

    settings = Settings.from_env().resolve()
    database = Database(settings.database_url)
    upgrade_to_head(database.engine)
    click.echo(f"database at revision {current_revision(database.engine)}")
