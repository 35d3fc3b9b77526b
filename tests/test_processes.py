"""The process helpers of the end-to-end tests: a free port someone else takes before the
process binds it is not a test failure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import processes
from tests.processes import SandboxProcess, free_port_block, ports_free


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port_block(1)))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_port_blocks_are_free_and_below_the_ephemeral_range() -> None:
    base = free_port_block(4)
    assert ports_free(base, 4) and 10000 <= base < 32000 - 4


@pytest.mark.e2e
def test_a_port_taken_before_the_first_start_is_replaced(
        tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = processes.free_port_block
    offered = iter([taken_port - 1])  # the block's second port (the first emulator) is taken
    monkeypatch.setattr(processes, "free_port_block", lambda count: next(offered, None)
                        or real(count))
    with SandboxProcess(tmp_path) as sandbox:
        assert sandbox.port != taken_port - 1
        assert requests.get(f"{sandbox.url}/healthz", timeout=5).status_code == 200
        assert "in use" in sandbox.log()
