"""bench/jobs_scale.py, small: every mailbox backfilled by two worker processes, every
calendar edit propagated under load, no two jobs on one mailbox at once (counts only)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]
SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "jobs_scale.py"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("jobs_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["jobs_scale"] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


def test_the_scale_bench_counts_up(tmp_path: Path, jobs_database: str) -> None:
    bench = _bench()
    figures = bench.run(jobs_database, events=2, workers=2, changes=3, folder=tmp_path)
    assert figures.mailboxes == 6 or figures.mailboxes == 7
    assert figures.events == 2 * figures.mailboxes
    assert len(figures.propagation) == 3  # every edit reached Salesforce
    assert figures.overlaps == 0
    assert figures.jobs["sync:done"] >= figures.mailboxes
    assert figures.jobs["subscribe:done"] >= figures.mailboxes
    assert figures.backfill_requests.get("salesforce", 0) > 0


def test_the_scale_bench_over_several_orgs(tmp_path: Path, jobs_database: str) -> None:
    figures = _bench().run(jobs_database, events=2, workers=2, changes=4, folder=tmp_path,
                           orgs=2, users_per_org=2)
    assert (figures.organizations, figures.mailboxes, figures.events) == (2, 4, 8)
    assert len(figures.propagation) == 4  # every calendar edit reached Salesforce
    assert len(figures.salesforce_propagation) == 4  # every Salesforce edit was taken in
    assert figures.overlaps == 0
    assert figures.jobs["sync:done"] >= figures.mailboxes
    assert figures.jobs["subscribe:done"] >= figures.mailboxes
    assert figures.backfill_requests.get("salesforce", 0) > 0
