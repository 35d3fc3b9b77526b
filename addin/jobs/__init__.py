"""Background jobs: what runs them, behind one small interface.

- On PostgreSQL, Procrastinate (addin/jobs/procrastinate_jobs.py): every sync pass, outbox
  operation and subscription renewal is a job; ``lock="mailbox:<user id>"`` serialises the
  jobs of one mailbox across every worker process, ``queueing_lock`` keeps one queued pass
  per mailbox, failed passes are retried with backoff, periodic tasks poll, renew and
  recover the jobs of workers that died.
- On SQLite (the zero-setup default), the in-process runner (addin/jobs/worker.py), a thread of
  `addin serve` or `addin worker`, runs the same job functions (addin/jobs/tasks.py).

The web tier only tells the engine that something is to be done (:class:`JobQueue`).

May import: addin.services, addin.accounts, addin.providers, addin.sync, addin.store and
the root modules. The services never import this package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from addin.container import JobQueue

__all__ = ["InProcessQueue", "JobQueue", "job_queue"]


class InProcessQueue:
    """The runner in this process polls the tables; a notification only wakes it."""

    def __init__(self, container: Any):
        self.container = container

    def sync_requested(self) -> None:
        self._wake()

    def outbox_queued(self, op_id: int, user_id: int, when: datetime) -> None:
        return None  # the runner's next round finds it (and, after a backoff, when due)

    def _wake(self) -> None:
        worker = self.container.caches.get("worker")
        if worker is not None:
            worker.wake()


def job_queue(container: Any) -> JobQueue:
    """This process's way to hand work to the job engine."""
    queue = container.caches.get("jobs")
    if queue is None:
        if container.settings.uses_procrastinate:
            from addin.jobs.procrastinate_jobs import ProcrastinateQueue

            queue = ProcrastinateQueue.for_web(container)
        else:
            queue = InProcessQueue(container)
        container.caches["jobs"] = queue
    return queue
