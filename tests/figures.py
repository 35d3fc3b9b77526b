"""Figures the suite measures (crash suite, fault soak), printed at the end of the run by
``pytest_terminal_summary`` in tests/conftest.py and copied into docs/reliability.md."""

from __future__ import annotations

FIGURES: list[str] = []


def record(line: str) -> None:
    FIGURES.append(line)
