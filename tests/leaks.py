"""What a test run leaves behind: threads that keep the interpreter from exiting and child
processes still running once every fixture is torn down.

A non-daemon thread alive at the end (an emulator's request pool that nobody stopped, say)
makes Python wait for it forever after pytest printed its summary: CI then sees a run that
never ends rather than a failure. This plugin waits a little for such threads and children
to end, reports each one that does not (with where it is stuck), fails the run, and ends the
process so that a leak costs a red run instead of a timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

# how long threads and children get to end on their own once the last test is done
GRACE_SECONDS = float(os.environ.get("ADDIN_TEST_LEAK_GRACE_SECONDS", "10"))


def lingering_threads() -> list[threading.Thread]:
    """Threads, other than this one, that the interpreter would wait for at exit."""
    return [thread for thread in threading.enumerate()
            if thread is not threading.current_thread() and not thread.daemon
            and thread.is_alive()]


def child_processes(pid: int | None = None) -> list[int]:
    """The running (not zombie) children of ``pid`` (this process by default)."""
    parent = pid or os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if ppid == parent and state != "Z":
            found.append(int(entry.name))
    return sorted(found)


def wait_for_leftovers(seconds: float = GRACE_SECONDS) -> tuple[list[threading.Thread],
                                                                list[int]]:
    deadline = time.monotonic() + seconds
    while True:
        threads, children = lingering_threads(), child_processes()
        if (not threads and not children) or time.monotonic() >= deadline:
            return threads, children
        time.sleep(0.1)


def describe(threads: list[threading.Thread], children: list[int]) -> str:
    frames = sys._current_frames()
    lines = []
    for thread in threads:
        lines.append(f"thread {thread.name!r} (not a daemon) is still running:")
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            lines.extend("    " + line.rstrip()
                         for line in traceback.format_stack(frame)[-6:])
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            command = "?"
        lines.append(f"child process {pid} is still running: {command.strip()}")
    return "\n".join(lines)


class LeakCheck:
    """Runs in every process that runs tests: pytest alone, or each pytest-xdist worker (which
    hands its report to the controller, where the run fails and the report is printed)."""

    def __init__(self) -> None:
        self.report = ""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Controller side of pytest-xdist: a worker's leftovers fail the whole run."""
        report = getattr(node, "workeroutput", {}).get("leaks")
        if report:
            self.report += f"on worker {node.gateway.id}:\n{report}\n"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        threads, children = wait_for_leftovers()
        if threads or children:
            self.report += describe(threads, children)
            for pid in children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            worker_output = getattr(session.config, "workeroutput", None)
            if worker_output is not None:
                worker_output["leaks"] = self.report
        if self.report:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report:
            terminalreporter.section("left running after the last test", red=True)
            terminalreporter.write_line(self.report)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.report and lingering_threads():
            # Python would wait for these threads forever: end here, with the failure
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(pytest.ExitCode.TESTS_FAILED))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(LeakCheck(), "leak-check")
