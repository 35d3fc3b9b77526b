"""The one recurrence model: a pattern and a range, in Exchange's terms (which Microsoft
Graph's ``patternedRecurrence`` and EWS's ``Recurrence`` spell out, and which every RRULE
the product keeps can be written as), and the one error a refused recurrence raises.

The model holds only what a pattern type means: ``days`` for weekly and relative patterns,
``day_of_month`` for absolute ones, ``month`` for yearly ones, ``index`` for relative ones
(the others keep their defaults). The converters live beside it: RRULE text
(:mod:`.exchange`), Graph (:mod:`.graph`), EWS (:mod:`.ews`), Google (:mod:`.google`),
Salesforce (:mod:`.salesforce`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
INDEX_OF = {n: name for name, n in INDEXES.items()}
WEEKDAYS = frozenset(DAYS[:5])
WEEKEND = frozenset(DAYS[5:])
GROUPS = (WEEKDAYS, WEEKEND, frozenset(DAYS))  # what a relative pattern may name at once
PATTERNS = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly",
            "relativeYearly")
RANGES = ("endDate", "noEnd", "numbered")
LONGEST_MONTH = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}  # others: 31
NO_DATE = "0001-01-01"  # Graph's "no end date"


class RecurrenceError(ValueError):
    """Any recurrence that is malformed or that a side cannot hold."""


class UnsupportedRecurrence(RecurrenceError):
    """A rule or pattern that is malformed or that a side cannot represent; ``part`` names
    the RRULE part or the field at fault (``BYSETPOS``, ``pattern.dayOfMonth``, ...).
    ``str()`` is ``"part: message"``, or the message alone when it is a whole sentence
    meant for a person (``sentence=True``: the RRULE parser's and the product's checks)."""

    def __init__(self, part: str, message: str, *, sentence: bool = False):
        super().__init__(message if sentence else f"{part}: {message}")
        self.part = part


def refuse(part: str, sentence: str) -> UnsupportedRecurrence:
    """The error for a rule a person typed: the message alone is shown to them."""
    return UnsupportedRecurrence(part, sentence, sentence=True)


@dataclass(frozen=True)
class Pattern:
    """How often: Graph's pattern ``type`` and the fields that type uses."""

    kind: str  # one of PATTERNS
    interval: int = 1
    days: tuple[str, ...] = ()  # DAYS names, in week order
    first_day: str = "monday"  # the week's first day (weekly patterns; WKST's default)
    day_of_month: int = 0  # absolute patterns: 1..31, beyond a month's end = its last day
    month: int = 0  # yearly patterns: 1..12
    index: str = "first"  # relative patterns: first..fourth, last

    @property
    def frequency(self) -> str:
        if self.kind in ("daily", "weekly"):
            return self.kind.upper()
        return "MONTHLY" if self.kind.endswith("Monthly") else "YEARLY"


@dataclass(frozen=True)
class Range:
    """How long: from ``start`` (a date in ``time_zone``) never ending, up to ``end`` (a
    date in ``time_zone``) or ``count`` occurrences."""

    kind: str  # one of RANGES
    start: date
    end: date | None = None  # endDate ranges
    count: int = 0  # numbered ranges
    time_zone: str = "UTC"  # an IANA or Windows name, as given


@dataclass(frozen=True)
class Recurrence:
    pattern: Pattern
    range: Range


def in_week_order(days: object) -> tuple[str, ...]:
    chosen = set(days) if isinstance(days, list | tuple | set | frozenset) else set()
    return tuple(d for d in DAYS if d in chosen)


def zone_of(name: str) -> tzinfo:
    """An IANA or Windows time zone name as a tzinfo."""
    iana = "UTC" if name in ("UTC", "tzone://Microsoft/Utc") else win_tz.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnsupportedRecurrence("recurrenceTimeZone",
                                    f"unknown time zone '{name}'") from None
