"""One writer per mailbox at a time, whoever writes.

A sync pass saves the agreed state before its writes go out, so anything else that changes
the same mailbox meanwhile (another pass, a sidebar edit) would be overwritten by a base read
before it. The job engine keeps two jobs on one mailbox apart (Procrastinate's ``lock``, or
the in-process runner's single thread), but passes also start outside the queue (`addin
sync`, Retry on the status page) and sidebar edits run in web requests. Each of them holds
the mailbox for its whole length:

- on PostgreSQL, a session advisory lock per mailbox, on a pooled connection of its own
  (PostgreSQL frees it if the process dies);
- on a SQLite file, an ``flock`` on a file beside the database, one per mailbox (the kernel
  frees it if the process dies);
- within one process (SQLite in memory too), a plain lock per mailbox.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

POLL_SECONDS = 0.05
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


class MailboxBusy(Exception):
    """Someone else held the mailbox for longer than the caller would wait."""


def advisory_key(user_id: int) -> int:
    """The 64-bit advisory lock key of a mailbox (apart from the change-event leases)."""
    return int.from_bytes(hashlib.sha256(f"addin-mailbox:{user_id}".encode()).digest()[:8],
                          "big", signed=True)


@contextmanager
def exclusive_mailbox(engine: Engine, user_id: int, wait_seconds: float | None = None
                      ) -> Iterator[None]:
    """Hold the mailbox of ``user_id``, waiting while someone else holds it: for ever, or
    at most ``wait_seconds`` (then :class:`MailboxBusy`)."""
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    with _in_process(engine, user_id, deadline):
        if engine.dialect.name == "postgresql":
            with _advisory(engine, user_id, deadline):
                yield
        elif engine.url.database and engine.url.database != ":memory:":
            with _file_lock(Path(engine.url.database), user_id, deadline):
                yield
        else:
            yield


def _left(deadline: float | None) -> float:
    return -1 if deadline is None else max(0.0, deadline - time.monotonic())


@contextmanager
def _in_process(engine: Engine, user_id: int, deadline: float | None) -> Iterator[None]:
    name = f"{engine.url.render_as_string(hide_password=True)}#{user_id}"
    with _local_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    if not lock.acquire(timeout=_left(deadline)):
        raise MailboxBusy(user_id)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _advisory(engine: Engine, user_id: int, deadline: float | None) -> Iterator[None]:
    key = {"key": advisory_key(user_id)}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if deadline is None:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        else:
            while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                         key).scalar():
                if time.monotonic() >= deadline:
                    raise MailboxBusy(user_id)
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _file_lock(database: Path, user_id: int, deadline: float | None) -> Iterator[None]:
    folder = database.with_name(database.name + ".locks")
    folder.mkdir(exist_ok=True)
    with open(folder / f"mailbox-{user_id}.lock", "a") as handle:
        if deadline is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise MailboxBusy(user_id) from None
                    time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
