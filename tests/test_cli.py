"""End to end: `addin serve` as a subprocess on a free port, driven over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from addin.cli import main
from tests.conftest import free_port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env["ADDIN_INSTANCE_PATH"] = str(tmp_path / "instance")
    process = subprocess.Popen(
        [sys.executable, "-m", "addin", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"addin serve did not start: {process.communicate()[0]}")
    yield base
    process.terminate()
    output, _ = process.communicate(timeout=15)
    assert "SANDBOX mode" in output


@pytest.mark.e2e
def test_serve_runs_the_sandbox(served: str) -> None:
    index = requests.get(f"{served}/sandbox", timeout=5).json()
    assert index["mode"] == "sandbox"
    ca = index["caCertificate"]
    mail = requests.get(index["services"]["mail"], verify=ca, timeout=5)
    assert mail.json() == {"messages": []}
    assert requests.get(f"{served}/readyz", timeout=5).json()["status"] == "ready"


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = CliRunner().invoke(main, ["db", "upgrade"],
                                env={"ADDIN_DATABASE_URL": url,
                                     "ADDIN_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output
