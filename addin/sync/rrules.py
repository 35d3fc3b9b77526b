"""Repeat rules of a series (RFC 5545 RRULE): the subset all three sides can hold, in one
canonical spelling, and their bounded expansion. Pure: nothing here does I/O.

Salesforce (Lightning ``Recurrence2PatternText``), Google (``recurrence``), Microsoft
Graph (``recurrence.pattern``/``range``) and EWS (``Recurrence``) agree on daily, weekly on
chosen days, monthly on a day or on the n-th weekday, yearly on a date or on the n-th
weekday of a month, with an interval, ending never, on a date or after N occurrences. A rule
outside that (hourly, several month days, BYHOUR, ...) is refused with the reason, since
one side would drop or change it.

The canonical rule is explicit: a weekly rule names its days, a monthly one its day, so
every side reads the same occurrences; and the series' start must be one of them (RFC 5545
counts DTSTART as the first occurrence, Graph does not: they would disagree otherwise).
``UNTIL`` of a timed series is a UTC instant (RFC 5545 3.3.10), the end of the chosen day
in the series' zone when a date is given; of an all-day series, a date. A rule longer than
Salesforce keeps (an endless one too) becomes COUNT=<Salesforce's limit> on both sides.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

from addin.sync.recurrence import UnsupportedRecurrence, rrule_to_graph

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
KEYS = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT",
        "UNTIL")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 99
MAX_COUNT = 999
# Salesforce keeps at most this many occurrences of a Lightning event series (the rest of a
# longer or endless rule is never created there): a longer rule is written on BOTH sides
# as COUNT=<limit>, so the calendar never shows occurrences Salesforce does not have.
SALESFORCE_OCCURRENCE_LIMITS = {"DAILY": 100, "WEEKLY": 53, "MONTHLY": 59, "YEARLY": 9}
ORDINALS = (1, 2, 3, 4, -1)  # first..fourth and last: what Graph's ``index`` can say
DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


class RuleError(ValueError):
    """The rule cannot be accepted; the message says why, for a person."""


def _parts(text: str) -> dict[str, str]:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or "\r" in body:
        raise RuleError("Give one RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10.")
    parts: dict[str, str] = {}
    for chunk in body.strip().strip(";").split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not value:
            raise RuleError(f"{chunk!r} is not NAME=VALUE.")
        if name not in KEYS:
            raise RuleError(f"{name} is not supported: Outlook, Google and Salesforce "
                            "cannot all hold it.")
        if name in parts:
            raise RuleError(f"{name} is given twice.")
        parts[name] = value
    return parts


def _number(parts: dict[str, str], name: str, low: int, high: int) -> int | None:
    if name not in parts:
        return None
    try:
        value = int(parts[name])
    except ValueError:
        raise RuleError(f"{name} must be a whole number.") from None
    if not low <= value <= high:
        raise RuleError(f"{name} must be from {low} to {high}.")
    return value


def _days(value: str) -> list[tuple[int | None, str]]:
    days = []
    for chunk in value.split(","):
        match = DAY.match(chunk.strip())
        if not match:
            raise RuleError(f"BYDAY {chunk!r} is not a weekday (MO, TU, ... or 2TU).")
        days.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    if len({d for _, d in days}) != len(days):
        raise RuleError("BYDAY names a weekday twice.")
    return days


def _pattern(parts: dict[str, str], start: date) -> dict[str, str]:
    """The frequency's own parts, explicit (filled from the start where left out)."""
    freq = parts.get("FREQ")
    if freq is None:
        raise RuleError("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq not in FREQUENCIES:
        raise RuleError(f"FREQ={freq} is not supported: a series repeats at most daily "
                        "(DAILY, WEEKLY, MONTHLY or YEARLY).")
    weekday = WEEKDAYS[start.weekday()]
    out: dict[str, str] = {"FREQ": freq}
    by_day = _days(parts["BYDAY"]) if "BYDAY" in parts else None
    if "," in parts.get("BYMONTHDAY", "") or "," in parts.get("BYMONTH", ""):
        raise RuleError("A monthly or yearly rule repeats on ONE day of ONE month.")
    month_day = _number(parts, "BYMONTHDAY", 1, 31)
    month = _number(parts, "BYMONTH", 1, 12)
    position = _number(parts, "BYSETPOS", -1, 4)
    if position == 0:
        raise RuleError("BYSETPOS must be 1 to 4 or -1.")
    if freq == "DAILY":
        if by_day or month_day or month or position:
            raise RuleError("A daily rule takes no BYDAY, BYMONTHDAY, BYMONTH or BYSETPOS "
                            "(weekdays only: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR).")
    elif freq == "WEEKLY":
        if month_day or month or position or any(n is not None for n, _ in by_day or []):
            raise RuleError("A weekly rule takes only plain weekdays in BYDAY.")
        chosen = [d for _, d in by_day] if by_day else [weekday]
        out["BYDAY"] = ",".join(d for d in WEEKDAYS if d in chosen)
    else:
        if freq == "MONTHLY" and month:
            raise RuleError("A monthly rule takes no BYMONTH.")
        if freq == "YEARLY":
            out["BYMONTH"] = str(month or start.month)
        if by_day:
            if month_day:
                raise RuleError("Give either BYMONTHDAY or BYDAY, not both.")
            if len(by_day) != 1:
                raise RuleError("A monthly or yearly rule repeats on ONE weekday "
                                "(e.g. BYDAY=2TU).")
            ordinal, name = by_day[0]
            if ordinal is not None and position is not None:
                raise RuleError("Give the week either in BYDAY (2TU) or in BYSETPOS.")
            ordinal = ordinal if ordinal is not None else position
            if ordinal not in ORDINALS:
                raise RuleError("The week must be the 1st to 4th or the last (-1).")
            out["BYDAY"] = f"{ordinal}{name}"
        else:
            if position is not None:
                raise RuleError("BYSETPOS needs BYDAY.")
            out["BYMONTHDAY"] = str(month_day or start.day)
    return out


def _until(value: str, all_day: bool, zone: ZoneInfo) -> str:
    try:
        if "T" in value:
            moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
            instant = moment.replace(tzinfo=UTC if value.endswith("Z") else zone)
            if all_day:
                return instant.astimezone(zone).strftime("%Y%m%d")
            return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise RuleError("UNTIL must be a date (20261231) or a UTC time "
                        "(20261231T235959Z).") from None
    if all_day:
        return day.strftime("%Y%m%d")
    last = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    return last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def normalize(text: str, start: datetime | date, time_zone: str) -> str:
    """The canonical RRULE value (without ``RRULE:``) for a series starting at ``start``
    (an aware datetime, or a date for an all-day series) shown in ``time_zone``. Raises
    RuleError with the reason for a rule the product cannot keep on every side."""
    zone = ZoneInfo(time_zone)
    all_day = not isinstance(start, datetime)
    local_start = start.astimezone(zone) if isinstance(start, datetime) else start
    first_day = _day_of(local_start)
    parts = _parts(text)
    out = _pattern(parts, first_day)
    interval = _number(parts, "INTERVAL", 1, MAX_INTERVAL)
    if interval and interval > 1:
        out = {"FREQ": out["FREQ"], "INTERVAL": str(interval),
               **{k: v for k, v in out.items() if k != "FREQ"}}
    if "WKST" in parts:
        if parts["WKST"] not in WEEKDAYS:
            raise RuleError("WKST must be a weekday (MO ... SU).")
        if out["FREQ"] == "WEEKLY" and interval and interval > 1:  # only then it matters
            out["WKST"] = parts["WKST"]
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Give COUNT or UNTIL, not both.")
    count = _number(parts, "COUNT", 1, MAX_COUNT)
    if count is not None:
        out["COUNT"] = str(count)
    if "UNTIL" in parts:
        out["UNTIL"] = _until(parts["UNTIL"], all_day, zone)
    rule = ";".join(f"{k}={v}" for k, v in out.items())
    first = next(iter(_rule(rule, start, time_zone)), None)
    if first is None:
        raise RuleError("The series ends before its start.")
    if _day_of(first) != first_day or (not all_day and first != local_start):
        raise RuleError("The start must be one of the repeats (e.g. a Tuesday for a weekly "
                        "rule on Tuesdays).")
    rule = _within_salesforce_limit(rule, out, start, time_zone)
    try:  # Outlook and Exchange can hold it (e.g. no "the 31st, skipping short months")
        rrule_to_graph(rule, _as_moment(start, zone), time_zone, all_day=all_day)
    except UnsupportedRecurrence as exc:
        raise RuleError(f"Outlook cannot repeat this way ({exc}).") from None
    return rule


def _within_salesforce_limit(rule: str, out: dict[str, str], start: datetime | date,
                             time_zone: str) -> str:
    limit = SALESFORCE_OCCURRENCE_LIMITS[out["FREQ"]]
    if "COUNT" in out and int(out["COUNT"]) <= limit:
        return rule
    beyond = sum(1 for _ in zip(range(limit + 1), _rule(rule, start, time_zone),
                                strict=False)) > limit
    if not beyond:
        return rule
    capped = {k: v for k, v in out.items() if k not in ("COUNT", "UNTIL")}
    capped["COUNT"] = str(limit)
    return ";".join(f"{k}={v}" for k, v in capped.items())


def _as_moment(start: datetime | date, zone: ZoneInfo) -> datetime:
    return start if isinstance(start, datetime) else datetime.combine(start, time(),
                                                                        tzinfo=zone)


def _day_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _rule(rule: str, start: datetime | date, time_zone: str) -> rrule | rruleset:
    """dateutil's rrule for the canonical ``rule``; a timed series is expanded in wall-clock
    time of its zone (09:00 stays 09:00 across a DST change, as every calendar does)."""
    zone = ZoneInfo(time_zone)
    if isinstance(start, datetime):
        return rrulestr(rule, dtstart=start.astimezone(zone))
    floating = datetime.combine(start, time())
    text = rule
    if "UNTIL=" in rule:  # a date UNTIL against a floating start: the end of that day
        text = re.sub(r"UNTIL=(\d{8})(?!T)", r"UNTIL=\1T235959", rule)
    return rrulestr(text, dtstart=floating)


def occurrences(rule: str, start: datetime | date, time_zone: str, window_start: datetime,
                window_end: datetime, limit: int = MAX_COUNT) -> list[datetime | date]:
    """The occurrence starts of a series inside [window_start, window_end): never more
    than ``limit``, never past the window (an endless series is not expanded to 2046).
    Timed: aware datetimes in the series' zone; all-day: dates."""
    found: list[datetime | date] = []
    zone = ZoneInfo(time_zone)
    for moment in _rule(rule, start, time_zone):
        instant = moment if isinstance(start, datetime) else moment.replace(tzinfo=zone)
        if instant >= window_end or len(found) >= limit:
            break
        if instant < window_start:
            continue
        found.append(moment if isinstance(start, datetime) else moment.date())
    return found


def with_prefix(rule: str) -> str:
    return f"RRULE:{rule}"


def window(now: datetime, back_days: int, ahead_days: int) -> tuple[datetime, datetime]:
    return now - timedelta(days=back_days), now + timedelta(days=ahead_days)
