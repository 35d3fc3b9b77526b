"""Loaded by every Python process of a moved-clock run (.ci/test puts this folder on
PYTHONPATH beside libfaketime, which moves the wall clock and leaves the monotonic one real
so that timed waits on locks end). libfaketime 0.9.10 turns an absolute monotonic
clock_nanosleep, which time.sleep uses, into an invalid request (EINVAL); sleeping through
select() waits the same relative time without it."""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
