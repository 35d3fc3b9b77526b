"""What holding a mailbox costs (addin/store/mailbox_lock.py): every sync pass and every
sidebar write takes and releases it once. Prints the time of one take + release, free,
on a SQLite file and on PostgreSQL (when a URL is given).

    .venv/bin/python bench/mailbox_lock.py [--postgres postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from addin.store.database import make_engine
from addin.store.mailbox_lock import exclusive_mailbox


def measure(url: str, rounds: int) -> list[float]:
    engine = make_engine(url)
    with exclusive_mailbox(engine, 1):  # the first connection and the lock file
        pass
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        with exclusive_mailbox(engine, n % 50):
            pass
        times.append(time.perf_counter() - started)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = {"sqlite file": f"sqlite:///{Path(folder) / 'bench.sqlite3'}"}
        if args.postgres:
            urls["postgresql"] = args.postgres
        for name, url in urls.items():
            times = sorted(measure(url, args.rounds))
            print(f"{name}: take + release p50 {statistics.median(times) * 1e6:.0f} us, "
                  f"p99 {times[int(len(times) * 0.99)] * 1e6:.0f} us ({args.rounds} rounds)")


if __name__ == "__main__":
    main()
