"""RFC 5545 RRULE text: the one parser (:func:`parse_rrule`, to a :class:`Rule`), its
canonical spelling (:meth:`Rule.text`) and its expansion by python-dateutil.

The parser accepts the parts every side can hold (FREQ daily to yearly, INTERVAL, BYDAY,
BYMONTHDAY, BYMONTH, BYSETPOS, WKST, COUNT or UNTIL) and refuses anything else naming the
part at fault, with a sentence for a person. What a given side can represent of a valid
rule is checked by its converter (:mod:`.exchange`, :mod:`.canonical`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, Literal

from dateutil import rrule as du

from addin.sync.recurrence.model import CODES, refuse, zone_of

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RFC_FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", *FREQUENCIES)
KEYS = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT",
        "UNTIL")
DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
DATEUTIL_DAYS = (du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU)
ONE_RULE = "Give one RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10."
BAD_UNTIL = "UNTIL must be a date (20261231) or a UTC time (20261231T235959Z)."

Until = date | datetime  # a DATE, a UTC instant (aware) or a floating time (naive)
ByDay = tuple[tuple[int | None, str], ...]  # (ordinal or None, day code)


@dataclass(frozen=True)
class Rule:
    """One parsed RRULE; the parts left out are empty (``interval`` 1)."""

    freq: str
    interval: int = 1
    by_month: tuple[int, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_day: ByDay = ()
    by_set_pos: tuple[int, ...] = ()
    wkst: str | None = None
    count: int | None = None
    until: Until | None = None

    def text(self) -> str:
        """The rule without ``RRULE:``, its parts in a stable order (INTERVAL=1 left out)."""
        parts = [("FREQ", self.freq), ("INTERVAL", str(self.interval) if self.interval > 1
                                       else ""),
                 ("BYMONTH", _numbers(self.by_month)),
                 ("BYMONTHDAY", _numbers(self.by_month_day)),
                 ("BYDAY", ",".join(f"{'' if n is None else n}{d}" for n, d in self.by_day)),
                 ("BYSETPOS", _numbers(self.by_set_pos)), ("WKST", self.wkst or ""),
                 ("COUNT", "" if self.count is None else str(self.count)),
                 ("UNTIL", "" if self.until is None else until_text(self.until))]
        return ";".join(f"{name}={value}" for name, value in parts if value)

    def to_dateutil(self, dtstart: datetime, zone: tzinfo) -> du.rrule:
        """dateutil's rule from ``dtstart`` (aware: a wall time in ``zone``, or naive: a
        floating time); a date UNTIL is the end of that day."""
        return du.rrule(FREQ_CONSTANTS[self.freq], dtstart=dtstart, interval=self.interval,
                        wkst=None if self.wkst is None else CODES.index(self.wkst),
                        count=self.count, until=_until_for(self.until, dtstart, zone),
                        bysetpos=self.by_set_pos or None, bymonth=self.by_month or None,
                        bymonthday=self.by_month_day or None,
                        byweekday=[DATEUTIL_DAYS[CODES.index(d)](n) if n else
                                   DATEUTIL_DAYS[CODES.index(d)] for n, d in self.by_day]
                        or None)


FREQ_CONSTANTS: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}


def _numbers(values: tuple[int, ...]) -> str:
    return ",".join(str(v) for v in values)


def until_text(until: Until) -> str:
    if not isinstance(until, datetime):
        return until.strftime("%Y%m%d")
    if until.tzinfo is None:
        return until.strftime("%Y%m%dT%H%M%S")
    return until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _until_for(until: Until | None, dtstart: datetime, zone: tzinfo) -> datetime | None:
    if until is None:
        return None
    if not isinstance(until, datetime):
        until = datetime.combine(until, time(23, 59, 59))
    if dtstart.tzinfo is None:  # floating: the UNTIL's wall time in the series' zone
        return until.astimezone(zone).replace(tzinfo=None) if until.tzinfo else until
    return until if until.tzinfo else until.replace(tzinfo=zone)


# -- parsing ---------------------------------------------------------------------------------
def parse_rrule(text: str) -> Rule:
    """The one RRULE parser: with or without ``RRULE:``, any case, parts in any order.
    Raises UnsupportedRecurrence naming the part at fault (``RRULE`` for text that is no
    valid rule) with a sentence for a person."""
    parts = _tokens(text)
    freq = parts.get("FREQ")
    if freq is None:
        raise refuse("FREQ", "FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq not in FREQUENCIES:
        raise refuse("FREQ" if freq in RFC_FREQUENCIES else "RRULE",
                      f"FREQ={freq} is not supported: a series repeats at most daily "
                      "(DAILY, WEEKLY, MONTHLY or YEARLY).")
    if "COUNT" in parts and "UNTIL" in parts:
        raise refuse("UNTIL", "Give COUNT or UNTIL, not both.")
    values = {name: READERS[name](name, parts[name]) for name in KEYS[1:] if name in parts}
    return replace(Rule(freq), **{FIELDS[name]: value for name, value in values.items()})


def _tokens(text: str) -> dict[str, str]:
    body = text.strip() if isinstance(text, str) else ""
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):].strip()
    if not body or any(c in body for c in "\r\n:"):
        raise refuse("RRULE", ONE_RULE)
    parts: dict[str, str] = {}
    for chunk in body.strip(";").split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise refuse("RRULE", f"{chunk!r} is not NAME=VALUE.")
        if name not in KEYS:
            raise refuse(name, f"{name} is not supported: Outlook, Google and Salesforce "
                         "cannot all hold it.")
        if name in parts:
            raise refuse(name, f"{name} is given twice.")
        parts[name] = value
    return parts


def _whole(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise refuse(name, f"{name} must be a whole number.") from None


def _positive(name: str, value: str) -> int:
    number = _whole(name, value)
    if number < 1:
        raise refuse(name, f"{name} must be from 1 upwards.")
    return number


def _ranged(low: int, high: int) -> Callable[[str, str], tuple[int, ...]]:
    def read(name: str, value: str) -> tuple[int, ...]:
        numbers = tuple(_whole(name, v) for v in value.split(","))
        if any(not low <= n <= high or n == 0 for n in numbers):
            raise refuse(name, f"{name} must be from {low} to {high} (not 0).")
        return numbers
    return read


def _by_day(name: str, value: str) -> ByDay:
    days: list[tuple[int | None, str]] = []
    for chunk in value.split(","):
        match = DAY.match(chunk.strip())
        if not match or (match.group(1) and not 1 <= abs(int(match.group(1))) <= 53):
            raise refuse(name, f"BYDAY {chunk!r} is not a weekday (MO, TU, ... or 2TU).")
        days.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    if len({d for _, d in days}) != len(days):
        raise refuse(name, "BYDAY names a weekday twice.")
    return tuple(days)


def _wkst(name: str, value: str) -> str:
    if value not in CODES:
        raise refuse(name, "WKST must be a weekday (MO ... SU).")
    return value


def _until(name: str, value: str) -> Until:
    try:
        if "T" not in value:
            return datetime.strptime(value, "%Y%m%d").date()
        moment = datetime.strptime(value.removesuffix("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise refuse("RRULE", BAD_UNTIL) from None
    return moment.replace(tzinfo=UTC) if value.endswith("Z") else moment


READERS: dict[str, Callable[[str, str], Any]] = {
    "INTERVAL": _positive, "COUNT": _positive, "BYMONTH": _ranged(1, 12),
    "BYMONTHDAY": _ranged(-31, 31), "BYDAY": _by_day, "BYSETPOS": _ranged(-366, 366),
    "WKST": _wkst, "UNTIL": _until}
FIELDS = {"INTERVAL": "interval", "COUNT": "count", "BYMONTH": "by_month",
          "BYMONTHDAY": "by_month_day", "BYDAY": "by_day", "BYSETPOS": "by_set_pos",
          "WKST": "wkst", "UNTIL": "until"}


def normalize_rrule(text: str) -> str:
    """The rule without its ``RRULE:`` prefix, parts upper-cased, in a stable order."""
    return parse_rrule(text).text()


# -- expansion -----------------------------------------------------------------------------
def to_dateutil(rule: str, start: datetime, time_zone: str = "UTC") -> du.rrule:
    """The dateutil rule of ``rule`` whose first candidate is ``start`` (aware, or a wall
    time in ``time_zone``); occurrences keep their wall-clock time across DST changes."""
    parsed = parse_rrule(rule)
    zone = zone_of(time_zone)
    local = start.astimezone(zone) if start.tzinfo else start.replace(tzinfo=zone)
    return parsed.to_dateutil(local, zone)


def expand(rule: str, start: datetime, time_zone: str = "UTC", *,
           window: tuple[datetime, datetime] | None = None, limit: int = 1000
           ) -> list[datetime]:
    """Occurrence starts of ``rule`` (at most ``limit``), those starting within
    ``window`` [start, end) when one is given: the sync window bounds an endless series."""
    found: list[datetime] = []
    for moment in to_dateutil(rule, start, time_zone):
        if window is not None and moment >= window[1]:
            break
        if window is None or moment >= window[0]:
            found.append(moment)
        if len(found) >= limit:
            break
    return found
