"""The model <-> Google Calendar's ``recurrence`` lines (``["RRULE:...", "EXDATE:..."]``).
Google keeps the RRULE as written; its EXDATE lines are a series' cancelled occurrences,
read through its instances, not part of the rule. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from addin.sync.recurrence.exchange import from_rrule, to_rrule
from addin.sync.recurrence.model import Recurrence

PREFIX = "RRULE:"


def with_prefix(rule: str) -> str:
    """An RRULE value as a recurrence line (and as Salesforce's pattern text)."""
    return f"{PREFIX}{rule}"


def rule_of_lines(lines: Iterable[object] | None) -> str | None:
    """The RRULE value (without ``RRULE:``) of a series' lines; None when there is none."""
    for line in lines or []:
        if str(line).upper().startswith(PREFIX):
            return str(line)[len(PREFIX):]
    return None


def to_google(recurrence: Recurrence, *, all_day: bool = False) -> list[str]:
    """The model as Google's recurrence lines."""
    return [with_prefix(to_rrule(recurrence, all_day=all_day))]


def from_google(lines: Iterable[object] | None, start: datetime | date, time_zone: str, *,
                all_day: bool = False) -> Recurrence | None:
    """Google's recurrence lines of a series starting at ``start`` in ``time_zone`` as the
    model; None for lines without an RRULE."""
    rule = rule_of_lines(lines)
    if rule is None:
        return None
    return from_rrule(rule, start, time_zone, all_day=all_day)
