"""The leak check (tests/leaks.py): a run that leaves a thread or a process behind fails
and ends, instead of passing and then never exiting."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.leaks import child_processes, lingering_threads

ROOT = Path(__file__).resolve().parent.parent


def test_a_non_daemon_thread_lingers_and_a_daemon_one_does_not() -> None:
    stop = threading.Event()
    plain = threading.Thread(target=stop.wait, name="plain")
    daemon = threading.Thread(target=stop.wait, name="daemon", daemon=True)
    plain.start()
    daemon.start()
    try:
        names = {thread.name for thread in lingering_threads()}
        assert "plain" in names and "daemon" not in names
    finally:
        stop.set()
        plain.join()
        daemon.join()


def test_a_running_child_is_found_and_a_finished_one_is_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in child_processes()
    finally:
        child.kill()
        child.wait()
    assert child.pid not in child_processes()


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_it.py").write_text(textwrap.dedent(body))
    # ROOT first; anything already on the path stays (a moved-clock run's sitecustomize)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "ADDIN_TEST_LEAK_GRACE_SECONDS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.leaks", "-p", "no:cacheprovider",
         "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path / "test_it.py")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_a_run_that_leaves_a_thread_behind_fails_and_ends(tmp_path: Path) -> None:
    """The defect this caught: a sandbox whose start failed kept 160 request threads, and
    the suite printed '1141 passed' and then never exited."""
    result = _run(tmp_path, """
        import threading

        def test_leaves_a_thread():
            threading.Thread(target=threading.Event().wait, name="forgotten").start()
    """)
    assert result.returncode == 1, result.stdout
    assert "1 passed" in result.stdout
    assert "left running after the last test" in result.stdout
    assert "thread 'forgotten' (not a daemon) is still running" in result.stdout


def test_a_run_that_leaves_a_process_behind_fails_and_kills_it(tmp_path: Path) -> None:
    result = _run(tmp_path, """
        import subprocess, sys

        def test_leaves_a_process():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    """)
    assert result.returncode == 1, result.stdout
    assert "child process" in result.stdout and "time.sleep(120)" in result.stdout


def test_a_clean_run_passes(tmp_path: Path) -> None:
    result = _run(tmp_path, """
        def test_nothing_left():
            assert True
    """)
    assert result.returncode == 0, result.stdout
    assert "left running" not in result.stdout
