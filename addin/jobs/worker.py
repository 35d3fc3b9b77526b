"""The in-process job runner (SQLite, the zero-setup default): a thread inside `addin serve`
by default, or alone as `addin worker`. On PostgreSQL Procrastinate runs the same job
functions instead (addin/jobs/).

Each pass: (1) sync the users whose push notifications arrived (sync_requests), (2) poll
every user whose poll interval elapsed (the fallback when a notification is lost, and the
only way to see Salesforce-side changes), (3) complete pending outbox operations, (4) keep
push subscriptions alive. A failing user never stops the others; the error is logged and
the user is retried on the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from addin.container import Container
from addin.providers.salesforce import budget
from addin.services.change_events import poll_reason
from addin.services.org_settings import load_org_settings
from addin.services.push import RESUBSCRIBE, take_sync_requests
from addin.store.models import User

log = logging.getLogger(__name__)

# A job run for one user: (services, user_id, reason) -> None; raises on failure.
UserJob = Callable[[Container, int, str], None]
# A job run once a pass for everybody (the outbox): (services) -> number of items done.
PassJob = Callable[[Container], int]

SUBSCRIPTION_CHECK_EVERY = timedelta(hours=1)


@dataclass
class WorkerPass:
    synced: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    pass_jobs_done: int = 0


@dataclass
class Worker:
    container: Container
    sync_user: UserJob | None = None  # the two-way sync; without it only pass jobs run
    pass_jobs: list[PassJob] = field(default_factory=list)
    keep_subscribed: UserJob | None = None
    idle_seconds: float = 1.0
    _last_poll: dict[int, datetime] = field(default_factory=dict)
    _last_subscription_check: dict[int, datetime] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    # -- one pass ---------------------------------------------------------------------
    def run_pass(self, now: datetime | None = None) -> WorkerPass:
        now = now or datetime.now(UTC)
        result = WorkerPass()
        wanted: dict[int, str] = dict(take_sync_requests(self.container)) \
            if self.sync_user is not None else {}
        intervals: dict[int, timedelta] = {}
        for user_id, organization_id in self._users():
            if organization_id not in intervals:
                seconds = self._poll_interval(organization_id)
                intervals[organization_id] = timedelta.max if seconds == float("inf") \
                    else timedelta(seconds=seconds)
            interval = intervals[organization_id]
            last = self._last_poll.get(user_id)
            if self.sync_user is not None and user_id not in wanted and (
                    last is None or now - last >= interval):
                wanted[user_id] = poll_reason(self.container, user_id, organization_id, now)
            if self.keep_subscribed is not None:
                checked = self._last_subscription_check.get(user_id)
                if checked is None or now - checked >= SUBSCRIPTION_CHECK_EVERY:
                    self._run(self.keep_subscribed, user_id, "subscribe", result)
                    self._last_subscription_check[user_id] = now
        for user_id, reason in wanted.items():
            assert self.sync_user is not None
            if reason.startswith(RESUBSCRIBE) and self.keep_subscribed is not None:
                # a lifecycle notification: renew or recreate before catching up
                self._run(self.keep_subscribed, user_id, "subscribe", result)
                self._last_subscription_check[user_id] = now
            if self._run(self.sync_user, user_id, reason, result):
                result.synced.append(user_id)
            self._last_poll[user_id] = now
        for job in self.pass_jobs:
            try:
                result.pass_jobs_done += job(self.container)
            except Exception:
                log.exception("worker job %s failed", getattr(job, "__name__", job))
        return result

    def _run(self, job: UserJob, user_id: int, reason: str, result: WorkerPass) -> bool:
        try:
            job(self.container, user_id, reason)
            return True
        except Exception as exc:  # one user's failure must not stop the others
            log.exception("%s for user %s failed", getattr(job, "__name__", "job"), user_id)
            result.failed[user_id] = f"{exc.__class__.__name__}: {exc}"
            return False

    def _users(self) -> list[tuple[int, int]]:
        with self.container.db.session() as session:
            # people still onboarding (Salesforce not connected yet) have nothing to sync
            return [(row.id, row.organization_id) for row in session.execute(
                select(User.id, User.organization_id)
                .where(User.salesforce_user_id.is_not(None)).order_by(User.id))]

    def _poll_interval(self, organization_id: int) -> float:
        """The organization's interval, spaced out while its Salesforce budget is tight
        (effectively never while it is nearly spent)."""
        configured = load_org_settings(self.container, organization_id).poll_interval_seconds
        interval = budget.poll_interval(self.container, organization_id, configured)
        return float("inf") if interval is None else interval

    # -- the loop ---------------------------------------------------------------------
    def wake(self) -> None:
        """Run the next pass now (a push notification arrived)."""
        self._wake.set()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.run_pass()
            except Exception:
                log.exception("worker pass failed")
            elapsed = time.monotonic() - started
            self._wake.wait(timeout=max(0.0, self.idle_seconds - elapsed))
            self._wake.clear()

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self.run_forever, name="addin-worker",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
