"""One pass per mailbox at a time, across threads and processes (addin/store/mailbox_lock.py):
`addin sync` used to run its pass beside a worker's pass for the same person."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import pytest
from sqlalchemy import select

from addin.services.sync_pass import sync_user
from addin.store.database import make_engine
from addin.store.mailbox_lock import MailboxBusy, exclusive_mailbox
from addin.store.models import User
from tests.web.conftest import AVA

HOLD = 1.0
HOLDER = """
import sys, time
from addin.store.database import make_engine
from addin.store.mailbox_lock import MailboxBusy, exclusive_mailbox
with exclusive_mailbox(make_engine(sys.argv[1]), 7):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    print(repr(time.time()), flush=True)
"""


@contextmanager
def held_by_another_process(database_url: str) -> Iterator[IO[str]]:
    """Mailbox 7 held by another process for HOLD seconds; yields its output, whose next
    line is when it let go."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, database_url, str(HOLD)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        yield holder.stdout
    finally:
        holder.wait(timeout=30)


def test_another_process_waits_for_the_mailbox(database_url: str) -> None:
    engine = make_engine(database_url)
    with held_by_another_process(database_url) as holder:
        with exclusive_mailbox(engine, 7):
            acquired = time.time()
        released = float(holder.readline())
    assert acquired >= released
    started = time.monotonic()
    with exclusive_mailbox(engine, 7):  # free again: no wait
        pass
    assert time.monotonic() - started < HOLD / 2
    engine.dispose()


def test_other_mailboxes_do_not_wait(database_url: str) -> None:
    engine = make_engine(database_url)
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with exclusive_mailbox(engine, 1):
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(10)
        finished = threading.Event()

        def other() -> None:
            with exclusive_mailbox(engine, 2):
                finished.set()

        threading.Thread(target=other, daemon=True).start()
        assert finished.wait(5)  # mailbox 2 went ahead while mailbox 1 is held
    finally:
        leave.set()
        thread.join()
        engine.dispose()


def test_a_pass_waits_while_someone_else_holds_the_mailbox(services: Any) -> None:
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == AVA))
    done = threading.Event()
    passes: list[Any] = []

    def run_pass() -> None:
        passes.append(sync_user(services, user_id, "cli"))
        done.set()

    with exclusive_mailbox(services.db.engine, user_id):
        thread = threading.Thread(target=run_pass)
        thread.start()
        assert not done.wait(HOLD)  # held elsewhere: the pass has not run
    assert done.wait(60)
    thread.join()
    assert passes[0].failed == {}


def test_a_bounded_wait_gives_up_with_mailbox_busy(database_url: str) -> None:
    engine = make_engine(database_url)
    with held_by_another_process(database_url):
        started = time.monotonic()
        with pytest.raises(MailboxBusy), exclusive_mailbox(engine, 7, wait_seconds=0.2):
            pass
        assert time.monotonic() - started < HOLD
        with exclusive_mailbox(engine, 7, wait_seconds=10):  # the holder ends within 1 s
            pass
    engine.dispose()
