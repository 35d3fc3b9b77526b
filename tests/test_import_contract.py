"""The import contract ([tool.importlinter] in pyproject.toml), run the way CI runs it.

It holds for the real tree, and it is not a contract that holds for any tree: a copy of
the package with one back-arrow added breaks the contract that forbids that arrow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.timeout(600)


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports against the package found first on the path from ``project``."""
    environment = {**os.environ, "PYTHONPATH": str(project), "NO_COLOR": "1",
                   "COLUMNS": "200"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config",
                           str(project / "pyproject.toml")], cwd=project, env=environment,
                          capture_output=True, text=True, timeout=540)


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(ROOT / "addin", project / "addin",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return project


def test_the_tree_keeps_every_contract() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _contract_names() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        contracts = tomllib.load(handle)["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract["name"] for contract in contracts}


def test_the_contract_names_what_the_architecture_says() -> None:
    assert set(_contract_names()) == {"layers", "services-without-jobs",
                                      "web-through-services", "pure-sync",
                                      "independent-sandbox", "store-at-the-bottom"}


@pytest.mark.parametrize(("module", "arrow", "contract"), [
    ("store/database.py", "addin.web", "layers"),
    ("services/mirrors.py", "addin.jobs.tasks", "services-without-jobs"),
    ("web/health.py", "addin.store.models", "web-through-services"),
    ("sync/fields.py", "addin.providers.http", "pure-sync"),
    ("sandbox/limits.py", "addin.store.models", "independent-sandbox"),
])
def test_a_back_arrow_breaks_its_contract(tmp_path: Path, module: str, arrow: str,
                                          contract: str) -> None:
    project = _copy(tmp_path)
    source = project / "addin" / module
    lines = len(source.read_text().splitlines())
    with source.open("a") as handle:
        handle.write(f"import {arrow}  # the back-arrow under test\n")
    done = _lint(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{_contract_names()[contract]} BROKEN" in done.stdout, done.stdout
    importer = "addin." + module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {arrow} (l.{lines + 1})" in done.stdout, done.stdout
