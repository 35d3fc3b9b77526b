"""The jobs on Procrastinate (PostgreSQL).

Every job on a mailbox carries ``lock="mailbox:<user id>"``: Procrastinate starts a job only
when no other job with its lock is running, in any worker process, so one mailbox is never
synced by two workers at once (nor synced while one of its outbox operations runs).
``queueing_lock`` keeps at most one queued pass, renewal or run of an operation per
mailbox / operation: a burst of notifications queues one pass. A failing pass is retried
with exponential backoff (:data:`SYNC_RETRY`).

Periodic tasks (each deferred once per tick whatever the number of workers):
``dispatch`` every 10 s (sync requests from notifications, polls whose interval passed,
outbox operations due or whose holder's lease ended, push subscriptions not checked for an
hour: new users are subscribed at once), ``recover_stalled`` every 10 s (the running jobs
of workers that stopped sending heartbeats, e.g. after ``kill -9``, go back to the queue:
sync passes and outbox operations are idempotent), ``housekeeping`` every 5 minutes
(stranded mirrors, old run records).

The schema is Procrastinate's own (``procrastinate.schema.SchemaManager.get_schema()`` of
the pinned version), applied by the product's migration 0005 (``addin db upgrade``, or any
process's start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status

from addin.container import Container
from addin.jobs import tasks

log = logging.getLogger(__name__)



class BackgroundRetry(procrastinate.RetryStrategy):
    """Exponential backoff, the retry queued with a lower priority: Procrastinate runs the
    jobs of one lock in priority order, then queueing order, and a waiting retry of higher
    or equal priority would hold back every later job of its mailbox until it is due."""

    def get_retry_decision(self, *, exception: BaseException, job: Any
                           ) -> procrastinate.RetryDecision | None:
        decision = super().get_retry_decision(exception=exception, job=job)
        if decision is not None:
            decision.priority = min(job.priority, 0) - 1
        return decision


# 7 attempts: the pass runs again after 2, 4, 8, 16, 32, 64 seconds (then the next poll)
SYNC_RETRY = BackgroundRetry(max_attempts=7, exponential_wait=2)
RENEW_RETRY = BackgroundRetry(max_attempts=5, exponential_wait=5)
DISPATCH_EVERY = "* * * * * */10"  # cron with seconds: every 10 s

app = procrastinate.App(connector=procrastinate.PsycopgConnector())
_bound: dict[str, Container] = {}


def conninfo(database_url: str) -> str:
    """libpq's URL from SQLAlchemy's (``postgresql+psycopg://`` -> ``postgresql://``)."""
    scheme, _, rest = database_url.partition("://")
    return f"{scheme.split('+')[0]}://{rest}"


def connect_worker_app(container: Container) -> procrastinate.App:
    """The tasks below, on an asynchronous pool to the product's database (the worker)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(container.settings.database_url), min_size=1, max_size=8)
    app.connector = connector
    app.job_manager.connector = connector
    return app


def deferring_app(container: Container) -> procrastinate.App:
    """An app that only defers jobs, by task name, through a synchronous pool of its own:
    usable from any thread (web requests, the jobs' own threads)."""
    return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(
        conninfo=conninfo(container.settings.database_url), min_size=1, max_size=4))


def bind(container: Container) -> None:
    """The services the tasks of this process use."""
    _bound["services"] = container


def _services() -> Container:
    container = _bound.get("services")
    if container is None:
        raise RuntimeError("addin jobs: no services bound in this process")
    return container


def mailbox_lock(user_id: int) -> str:
    return f"mailbox:{user_id}"


# -- the jobs ---------------------------------------------------------------------------
@app.task(name="addin.sync_mailbox", retry=SYNC_RETRY)
def sync_mailbox(user_id: int, reason: str) -> str:
    return tasks.sync_mailbox(_services(), user_id, reason)


@app.task(name="addin.outbox_operation")
def outbox_operation(op_id: int) -> str:
    """One outbox operation; when it is not claimable yet (its backoff, or a lease held by a
    request or by a worker that died) it is looked at again when that ends."""
    container = _services()
    outcome = tasks.run_outbox_operation(container, op_id)
    if outcome == "not_due":
        from addin.services.outbox.queue import load

        op = load(container, op_id)
        if op is not None and op.state in ("pending", "running"):
            _queue(container).outbox_queued(op_id, op.user_id, op.next_attempt_at)
    return outcome


@app.task(name="addin.outbox_timer")
def outbox_timer(op_id: int, user_id: int) -> int:
    """An outbox operation's backoff or lease has ended: queue its job (under the mailbox
    lock) now. The wait itself carries no lock, so it holds back nothing of the mailbox."""
    return _queue(_services()).outbox(op_id, user_id, None)


@app.task(name="addin.renew_subscription", retry=RENEW_RETRY)
def renew_subscription(user_id: int) -> str:
    return tasks.renew_subscription(_services(), user_id)


# -- periodic ---------------------------------------------------------------------------
@app.periodic(cron=DISPATCH_EVERY, periodic_id="dispatch")
@app.task(name="addin.dispatch", queueing_lock="addin.dispatch")
def dispatch(timestamp: int) -> int:
    """Queue what is due: notified mailboxes, polls, outbox operations."""
    container = _services()
    queue = _queue(container)
    queued = queue.drain_sync_requests()
    for user_id, reason in tasks.due_polls(container):
        queued += queue.sync(user_id, reason)
    for op_id, user_id in tasks.due_outbox_operations(container):
        queued += queue.outbox(op_id, user_id, None)
    for user_id in tasks.due_renewals(container):
        queued += queue.renew(user_id)
    return queued


@app.periodic(cron=DISPATCH_EVERY, periodic_id="recover_stalled")
@app.task(name="addin.recover_stalled", queueing_lock="addin.recover_stalled")
async def recover_stalled(timestamp: int) -> int:
    """Jobs left ``doing`` by workers that stopped sending heartbeats go back to the queue."""
    seconds = _services().settings.worker_stalled_seconds
    stalled = list(await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=seconds))
    for job in stalled:
        log.warning("job %s (%s) of a stalled worker goes back to the queue", job.id,
                    job.task_name)
        try:
            await app.job_manager.retry_job(job)
        except ConnectorException:
            # the same pass / operation is queued again already (its queueing lock): that
            # job does the work (passes and operations are idempotent); this one ends
            log.info("job %s: a queued job of the same lock covers it", job.id)
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
    return len(stalled)


@app.periodic(cron="*/5 * * * *", periodic_id="housekeeping")
@app.task(name="addin.housekeeping", queueing_lock="addin.housekeeping")
def housekeeping(timestamp: int) -> int:
    from addin.services.events import requeue_stranded_mirrors

    container = _services()
    tasks.prune_runs(container)
    return requeue_stranded_mirrors(container)


# -- deferring --------------------------------------------------------------------------
class ProcrastinateQueue:
    """Defers jobs; used by the web tier (a synchronous connection pool of its own) and by
    the jobs themselves (the worker's pool)."""

    def __init__(self, container: Container, procrastinate_app: procrastinate.App):
        self.container = container
        self.app = procrastinate_app

    @classmethod
    def for_web(cls, container: Container) -> ProcrastinateQueue:
        web_app = deferring_app(container)
        web_app.open()  # opened in this process (after gunicorn forks)
        return cls(container, web_app)

    def _defer(self, task: Any, lock: str | None, queueing_lock: str | None,
               schedule_at: datetime | None = None, **arguments: Any) -> int:
        options: dict[str, Any] = {"lock": lock, "queueing_lock": queueing_lock}
        if schedule_at is not None and schedule_at > datetime.now(UTC):
            options["schedule_at"] = schedule_at
        try:
            self.app.configure_task(task.name, allow_unknown=True, **options).defer(
                **arguments)
        except AlreadyEnqueued:
            return 0  # one is queued already: it will see this change too
        return 1

    def sync(self, user_id: int, reason: str) -> int:
        return self._defer(sync_mailbox, mailbox_lock(user_id), f"sync:{user_id}",
                           user_id=user_id, reason=reason)

    def outbox(self, op_id: int, user_id: int, when: datetime | None) -> int:
        when = _aware(when)
        if when is not None and when > datetime.now(UTC):  # a timer, without the lock
            return self._defer(outbox_timer, None, f"outbox-timer:{op_id}",
                               schedule_at=when, op_id=op_id, user_id=user_id)
        return self._defer(outbox_operation, mailbox_lock(user_id), f"outbox:{op_id}",
                           op_id=op_id)

    def renew(self, user_id: int) -> int:
        return self._defer(renew_subscription, mailbox_lock(user_id), f"renew:{user_id}",
                           user_id=user_id)

    def drain_sync_requests(self) -> int:
        """Turn the recorded sync requests into jobs; a request whose job could not be
        queued is recorded again (the next dispatch retries it)."""
        from addin.services.push import request_sync, take_sync_requests

        queued = 0
        while True:
            taken = take_sync_requests(self.container, limit=200)
            for position, (user_id, reason) in enumerate(taken):
                try:
                    queued += self.sync(user_id, reason)
                except Exception:
                    for left_user, left_reason in taken[position:]:
                        request_sync(self.container, left_user, left_reason)
                    raise
            if len(taken) < 200:
                return queued

    # JobQueue
    def sync_requested(self) -> None:
        self.drain_sync_requests()

    def outbox_queued(self, op_id: int, user_id: int, when: datetime) -> None:
        self.outbox(op_id, user_id, when)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- running ----------------------------------------------------------------------------
def _queue(container: Container) -> ProcrastinateQueue:
    from addin.jobs import job_queue

    queue = job_queue(container)
    assert isinstance(queue, ProcrastinateQueue)
    return queue


def worker_options(container: Container, concurrency: int) -> dict[str, Any]:
    settings = container.settings
    return {"concurrency": concurrency, "name": tasks.WORKER_NAME,
            "update_heartbeat_interval": settings.worker_heartbeat_seconds,
            "stalled_worker_timeout": settings.worker_stalled_seconds,
            "delete_jobs": "successful", "fetch_job_polling_interval": 2.0,
            # a stop waits this long for running jobs; the rest end and are queued again
            "shutdown_graceful_timeout": 30.0}


async def run_worker(container: Container, concurrency: int,
                     install_signal_handlers: bool = True) -> None:
    """Run a Procrastinate worker in this process until it is stopped."""
    worker_app = connect_worker_app(container)
    bind(container)
    async with worker_app.open_async():
        await worker_app.run_worker_async(install_signal_handlers=install_signal_handlers,
                                          **worker_options(container, concurrency))


class WorkerThread:
    """A Procrastinate worker inside another process (`addin serve` on PostgreSQL)."""

    def __init__(self, container: Container, concurrency: int):
        self.container = container
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=self._run, name="addin-jobs", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._task = self.loop.create_task(run_worker(self.container, self.concurrency,
                                                      install_signal_handlers=False))
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self._task)

    def start(self) -> WorkerThread:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._task is not None:
            self.loop.call_soon_threadsafe(self._task.cancel)
        self.thread.join(timeout)
