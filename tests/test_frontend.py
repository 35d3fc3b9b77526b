"""The browser code in static/ checked by its own tools, run as subprocesses: ESLint
(tests/node/eslint.config.js), TypeScript's checkJs (tests/node/tsconfig.json, JSDoc types
and static/types.d.ts) and the unit tests of the pure modules (Node's test runner,
tests/node/*.test.js). ESLint and TypeScript are pinned in tests/node/package-lock.json
(bash .ci/test installs them). Skipped only where Node.js itself is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "node"
MODULES = NODE_DIR / "node_modules"
NODE = shutil.which("node")
TIMEOUT_S = 180  # each tool takes a few seconds; a loaded machine may take far longer

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed: the "
                                "browser code's lint, type check and unit tests need it")


def _run(*args: str) -> None:
    """Runs Node with ``args`` from the repository's root; fails with the tool's output."""
    assert NODE is not None
    try:
        done = subprocess.run([NODE, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"node {' '.join(args)} took over {TIMEOUT_S} s:\n{error.stdout or ''}")
    if done.returncode != 0:
        pytest.fail(f"node {' '.join(args)} exited with {done.returncode}:\n"
                    f"{done.stdout}\n{done.stderr}", pytrace=False)


def _tool(package: str, script: str) -> str:
    path = MODULES / package / script
    if not path.exists():
        pytest.fail(f"{package} is not installed in tests/node: run "
                    "`cd tests/node && npm ci` (bash .ci/test does)", pytrace=False)
    return str(path)


def test_eslint_finds_nothing_in_static() -> None:
    _run(_tool("eslint", "bin/eslint.js"), "--max-warnings", "0",
         "-c", "tests/node/eslint.config.js", "static", "tests/node")


def test_typescript_checks_static_clean() -> None:
    _run(_tool("typescript", "bin/tsc"), "-p", "tests/node/tsconfig.json")


def test_unit_tests_of_the_pure_modules() -> None:
    tests = sorted(str(path.relative_to(ROOT)) for path in NODE_DIR.glob("*.test.js"))
    assert tests, "no tests/node/*.test.js"
    _run("--test", *tests)
