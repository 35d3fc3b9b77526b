"""Real processes for end-to-end tests: `addin sandbox`, `addin serve`, `addin worker`,
gunicorn. Each runs with a clean ``ADDIN_*`` environment plus what the test gives it, logs
to a file (read it with ``.log()``), and can be stopped, killed with SIGKILL and restarted
with the same command line.

    with SandboxProcess(tmp_path / "state") as sandbox:
        with ServeProcess(tmp_path, sandbox.url, f"sqlite:///{tmp_path / 'db.sqlite3'}") as serve:
            ...
            sandbox.fault("salesforce", status=0, delay_ms=2000)  # the next call hangs
            ...                 # start a request in a thread, then:
            serve.kill()        # SIGKILL, mid-request
            serve.start()       # the same port, database and environment
            sandbox.mail()      # what the emulated services sent: nothing twice
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from addin.sandbox.runtime import EMULATORS

START_SECONDS = 30.0
# `addin sandbox --port P`: the index on P, then one port per emulator
SANDBOX_PORTS = 1 + len(EMULATORS)


def ports_free(base: int, count: int) -> bool:
    for port in range(base, base + count):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive free ports (an `addin sandbox --port P` takes P
    and one port per emulator after it), below Linux's ephemeral range (where servers on
    port 0 and outgoing connections take theirs)."""
    for _ in range(200):
        base = random.randrange(10000, 32000 - count)
        if ports_free(base, count):
            return base
    raise RuntimeError(f"no {count} consecutive free ports")


def clean_env(instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env["ADDIN_INSTANCE_PATH"] = str(instance)
    env.update(extra)
    return env


class Process:
    """One long-running command, restartable with the same arguments and environment."""

    name = "process"

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path,
                 ready_url: str, verify: str | bool = True):
        self.args = args
        self.env = env
        self.log_path = log_path
        self.ready_url = ready_url
        self.verify = verify
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, wait: bool = True) -> Process:
        """Start (again); a first start whose free port was taken meanwhile by someone
        else tries other ports."""
        for attempt in range(3):
            try:
                return self._start(wait)
            except RuntimeError as exc:
                taken = "in use" in str(exc)
                if not (taken and self.starts == 1 and attempt < 2 and self.other_ports()):
                    raise
                self.starts = 0
        raise AssertionError("unreachable")

    def other_ports(self) -> bool:
        """Move to other free ports (before the first successful start only)."""
        return False

    def _start(self, wait: bool) -> Process:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child writes to it)
        log.write(f"--- start {self.starts + 1}: {' '.join(self.args)}\n".encode())
        log.flush()
        self.process = subprocess.Popen(self.args, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, seconds: float = START_SECONDS) -> None:
        assert self.process is not None
        session = requests.Session()
        session.trust_env = False
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   + self.log())
            try:
                if session.get(self.ready_url, timeout=1, verify=self.verify).status_code == 200:
                    return
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} did not answer {self.ready_url}:\n" + self.log())

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, as in a crash."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def restart(self, *, kill: bool = False) -> Process:
        if kill:
            self.kill()
        else:
            self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> Any:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SandboxProcess(Process):
    """`addin sandbox` on four consecutive free ports (index, then the emulators);
    ``state_dir`` None runs it in memory (each start a new world)."""

    name = "addin sandbox"

    def __init__(self, folder: Path, state_dir: Path | None = None, *, port: int | None = None,
                 https: bool = False, seed_args: tuple[str, ...] = (), **env: str):
        self.port = port or free_port_block(SANDBOX_PORTS)
        self.chosen_port = port is None
        self.folder = folder
        self.state_dir = state_dir
        self.https = https
        instance = folder / "sandbox-instance"
        # the dev CA the sandbox creates (in its state folder, else its instance folder)
        self.ca_path = (state_dir or instance) / "dev-ca" / "ca.pem"
        args = [sys.executable, "-m", "addin", "sandbox", "--port", str(self.port)]
        if state_dir is not None:
            args += ["--state-dir", str(state_dir)]
        if https:
            args.append("--https")
        args += seed_args  # e.g. ("--orgs", "5", "--users-per-org", "40")
        super().__init__(args, clean_env(instance, **env), folder / f"sandbox-{self.port}.log",
                         f"{self.url}/healthz", str(self.ca_path) if https else True)

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    def other_ports(self) -> bool:
        if not self.chosen_port:
            return False
        self.port = free_port_block(SANDBOX_PORTS)
        self.args[self.args.index("--port") + 1] = str(self.port)
        self.ready_url = f"{self.url}/healthz"
        return True

    def index(self) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/sandbox", timeout=5, verify=self.verify)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def fault(self, service: str, *, status: int = 503, times: int = 1, delay_ms: int = 0
              ) -> None:
        """Fail (or with ``status=0`` only delay) the next ``times`` requests to a service:
        a delay holds a request of `addin serve` in flight, to kill it mid-request. (The
        product's worker may take a fault meant for a request: run `addin serve` with
        ADDIN_RUN_WORKER=false when that matters.)"""
        answer = requests.post(f"{self.url}/faults", timeout=5, verify=self.verify, json={
            "service": service, "status": status, "times": times, "delayMs": delay_ms})
        assert answer.status_code == 201, answer.text

    def mail(self) -> list[dict[str, Any]]:
        """Every email the emulated services sent (to count invitations)."""
        messages: list[dict[str, Any]] = requests.get(
            f"{self.url}/mail", timeout=5, verify=self.verify).json()["messages"]
        return messages

    def stats(self) -> dict[str, Any]:
        """Requests per service and operation."""
        body: dict[str, Any] = requests.get(f"{self.url}/stats", timeout=5,
                                            verify=self.verify).json()
        return body

    def upstream(self) -> requests.Session:
        """A client that trusts the sandbox's CA, for talking to the emulators directly."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.index()["caCertificate"]
        return session


class ServeProcess(Process):
    """`addin serve` on a free port against ``sandbox_url`` (None: its own in-process
    sandbox) and ``database_url`` (None: the default one), with extra ``ADDIN_*`` env."""

    name = "addin serve"

    def __init__(self, folder: Path, sandbox_url: str | None, database_url: str | None = None,
                 *, port: int | None = None, command: str = "serve", **env: str):
        self.port = port or free_port_block(1)
        self.chosen_port = port is None
        self.folder = folder
        extra = dict(env)
        if sandbox_url:
            extra["ADDIN_SANDBOX_URL"] = sandbox_url
        if database_url:
            extra["ADDIN_DATABASE_URL"] = database_url
        args = [sys.executable, "-m", "addin", command, "--port", str(self.port)]
        super().__init__(args, clean_env(folder / "instance", **extra),
                         folder / f"serve-{self.port}.log", f"{self.url}/healthz")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def other_ports(self) -> bool:
        if not self.chosen_port:
            return False
        self.port = free_port_block(1)
        self.args[self.args.index("--port") + 1] = str(self.port)
        self.ready_url = f"{self.url}/healthz"
        return True

    def sandbox_index(self) -> dict[str, Any]:
        answer = requests.get(f"{self.url}/sandbox", timeout=10)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def bearer(self, email: str) -> dict[str, str]:
        user = next(u for u in self.sandbox_index()["users"] if u["email"] == email)
        return {"Authorization": f"Bearer {user['token']}"}


class WorkerProcess(Process):
    """`addin worker` (no port: ready once its log says it runs)."""

    name = "addin worker"

    def __init__(self, folder: Path, sandbox_url: str | None, database_url: str, **env: str):
        extra = dict(env, ADDIN_DATABASE_URL=database_url)
        if sandbox_url:
            extra["ADDIN_SANDBOX_URL"] = sandbox_url
        super().__init__([sys.executable, "-m", "addin", "worker"],
                         clean_env(folder / "instance", **extra),
                         folder / f"worker-{id(self)}.log", "")

    def wait_ready(self, seconds: float = START_SECONDS) -> None:
        assert self.process is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"addin worker exited with {self.process.returncode}:\n"
                                   + self.log())
            if "addin worker is running" in self.log():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("addin worker did not start:\n" + self.log())


class GunicornProcess(Process):
    """gunicorn serving `addin:create_app()` with ``workers`` worker processes."""

    name = "gunicorn"

    def __init__(self, folder: Path, sandbox_url: str | None, database_url: str, *,
                 workers: int = 2, **env: str):
        self.port = free_port_block(1)
        extra = dict(env, ADDIN_DATABASE_URL=database_url)
        if sandbox_url:
            extra["ADDIN_SANDBOX_URL"] = sandbox_url
        args = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "addin:create_app()"]
        super().__init__(args, clean_env(folder / "instance", **extra),
                         folder / f"gunicorn-{self.port}.log", f"{self.url}/healthz")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def other_ports(self) -> bool:
        self.port = free_port_block(1)
        self.args[self.args.index("-b") + 1] = f"127.0.0.1:{self.port}"
        self.ready_url = f"{self.url}/healthz"
        return True
