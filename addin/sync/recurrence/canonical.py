"""The product's repeat rules (RFC 5545 RRULE): the subset all three sides can hold, in one
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

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule

from addin.sync.recurrence.exchange import from_rrule
from addin.sync.recurrence.model import CODES, UnsupportedRecurrence, refuse
from addin.sync.recurrence.rrule import Rule, Until, parse_rrule

MAX_INTERVAL = 99
MAX_COUNT = 999
# Salesforce keeps at most this many occurrences of a Lightning event series (the rest of a
# longer or endless rule is never created there): a longer rule is written on BOTH sides
# as COUNT=<limit>, so the calendar never shows occurrences Salesforce does not have.
SALESFORCE_OCCURRENCE_LIMITS = {"DAILY": 100, "WEEKLY": 53, "MONTHLY": 59, "YEARLY": 9}
ORDINALS = (1, 2, 3, 4, -1)  # first..fourth and last: what Graph's ``index`` can say


def normalize(text: str, start: datetime | date, time_zone: str) -> str:
    """The canonical RRULE value (without ``RRULE:``) for a series starting at ``start``
    (an aware datetime, or a date for an all-day series) shown in ``time_zone``. Raises
    UnsupportedRecurrence with the reason for a rule the product cannot keep on every
    side."""
    zone = ZoneInfo(time_zone)
    all_day = not isinstance(start, datetime)
    parsed = parse_rrule(text)
    first_day = _day_of(start.astimezone(zone) if isinstance(start, datetime) else start)
    rule = replace(_pattern(parsed, first_day), **_bounds(parsed, all_day, zone))
    _check_start(rule, start, time_zone)
    rule = _within_salesforce_limit(rule, start, time_zone)
    try:  # Outlook and Exchange can hold it (e.g. no "the 31st, skipping short months")
        from_rrule(rule.text(), _as_moment(start, zone), time_zone, all_day=all_day)
    except UnsupportedRecurrence as exc:
        raise refuse(exc.part, f"Outlook cannot repeat this way ({exc}).") from None
    return rule.text()


# -- the pattern: explicit, filled in from the start -----------------------------------------
def _pattern(parsed: Rule, start: date) -> Rule:
    """The frequency's own parts, explicit (filled from the start where left out)."""
    if len(parsed.by_month_day) > 1 or len(parsed.by_month) > 1:
        raise refuse("BYMONTHDAY", "A monthly or yearly rule repeats on ONE day of ONE "
                     "month.")
    if any(day < 1 for day in parsed.by_month_day):
        raise refuse("BYMONTHDAY", "BYMONTHDAY must be from 1 to 31.")
    if len(parsed.by_set_pos) > 1 or any(p not in ORDINALS for p in parsed.by_set_pos):
        raise refuse("BYSETPOS", "BYSETPOS must be 1 to 4 or -1.")
    return PATTERNS[parsed.freq](parsed, start)


def _daily(parsed: Rule, start: date) -> Rule:
    if parsed.by_day or parsed.by_month_day or parsed.by_month or parsed.by_set_pos:
        raise refuse("BYDAY", "A daily rule takes no BYDAY, BYMONTHDAY, BYMONTH or BYSETPOS "
                     "(weekdays only: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR).")
    return Rule("DAILY")


def _weekly(parsed: Rule, start: date) -> Rule:
    if parsed.by_month_day or parsed.by_month or parsed.by_set_pos or \
            any(n is not None for n, _ in parsed.by_day):
        raise refuse("BYDAY", "A weekly rule takes only plain weekdays in BYDAY.")
    chosen = {d for _, d in parsed.by_day} or {CODES[start.weekday()]}
    return Rule("WEEKLY", by_day=tuple((None, d) for d in CODES if d in chosen))


def _monthly(parsed: Rule, start: date) -> Rule:
    if parsed.by_month:
        raise refuse("BYMONTH", "A monthly rule takes no BYMONTH.")
    return _on_a_day(parsed, start, Rule("MONTHLY"))


def _yearly(parsed: Rule, start: date) -> Rule:
    month = parsed.by_month or (start.month,)
    return _on_a_day(parsed, start, Rule("YEARLY", by_month=month))


def _on_a_day(parsed: Rule, start: date, rule: Rule) -> Rule:
    """A monthly or yearly rule: on the n-th weekday, or on a day of the month."""
    position = parsed.by_set_pos[0] if parsed.by_set_pos else None
    if not parsed.by_day:
        if position is not None:
            raise refuse("BYSETPOS", "BYSETPOS needs BYDAY.")
        return replace(rule, by_month_day=parsed.by_month_day or (start.day,))
    if parsed.by_month_day:
        raise refuse("BYDAY", "Give either BYMONTHDAY or BYDAY, not both.")
    if len(parsed.by_day) != 1:
        raise refuse("BYDAY", "A monthly or yearly rule repeats on ONE weekday "
                     "(e.g. BYDAY=2TU).")
    ordinal, name = parsed.by_day[0]
    if ordinal is not None and position is not None:
        raise refuse("BYSETPOS", "Give the week either in BYDAY (2TU) or in BYSETPOS.")
    ordinal = ordinal if ordinal is not None else position
    if ordinal not in ORDINALS:
        raise refuse("BYDAY", "The week must be the 1st to 4th or the last (-1).")
    return replace(rule, by_day=((ordinal, name),))


PATTERNS: dict[str, Callable[[Rule, date], Rule]] = {
    "DAILY": _daily, "WEEKLY": _weekly, "MONTHLY": _monthly, "YEARLY": _yearly}


# -- interval, week start, end ---------------------------------------------------------------
def _bounds(parsed: Rule, all_day: bool, zone: ZoneInfo) -> dict[str, Any]:
    if parsed.interval > MAX_INTERVAL:
        raise refuse("INTERVAL", f"INTERVAL must be from 1 to {MAX_INTERVAL}.")
    if parsed.count is not None and parsed.count > MAX_COUNT:
        raise refuse("COUNT", f"COUNT must be from 1 to {MAX_COUNT}.")
    weekly_interval = parsed.freq == "WEEKLY" and parsed.interval > 1
    return {"interval": parsed.interval, "count": parsed.count,
            "wkst": parsed.wkst if weekly_interval else None,  # only then it matters
            "until": None if parsed.until is None else _until(parsed.until, all_day, zone)}


def _until(until: Until, all_day: bool, zone: ZoneInfo) -> Until:
    """A timed series ends at a UTC instant (a date: the end of that day in its zone); an
    all-day one on a date."""
    if isinstance(until, datetime):
        instant = until if until.tzinfo else until.replace(tzinfo=zone)
        return instant.astimezone(zone).date() if all_day else instant.astimezone(UTC)
    if all_day:
        return until
    return datetime.combine(until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def _check_start(rule: Rule, start: datetime | date, time_zone: str) -> None:
    first = next(iter(_expansion(rule, start, time_zone)), None)
    if first is None:
        raise refuse("UNTIL", "The series ends before its start.")
    if isinstance(start, datetime):
        matches = first == start.astimezone(ZoneInfo(time_zone))
    else:
        matches = first.date() == start
    if not matches:
        raise refuse("RRULE", "The start must be one of the repeats (e.g. a Tuesday for a "
                     "weekly rule on Tuesdays).")


def _within_salesforce_limit(rule: Rule, start: datetime | date, time_zone: str) -> Rule:
    limit = SALESFORCE_OCCURRENCE_LIMITS[rule.freq]
    if rule.count is not None and rule.count <= limit:
        return rule
    if len(list(islice(_expansion(rule, start, time_zone), limit + 1))) <= limit:
        return rule
    return replace(rule, count=limit, until=None)


def _as_moment(start: datetime | date, zone: ZoneInfo) -> datetime:
    return start if isinstance(start, datetime) else datetime.combine(start, time(),
                                                                        tzinfo=zone)


def _day_of(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


# -- expansion -----------------------------------------------------------------------------
def _expansion(rule: Rule, start: datetime | date, time_zone: str) -> rrule:
    """dateutil's rrule for the canonical ``rule``; a timed series is expanded in wall-clock
    time of its zone (09:00 stays 09:00 across a DST change, as every calendar does), an
    all-day one in floating dates."""
    zone = ZoneInfo(time_zone)
    if isinstance(start, datetime):
        return rule.to_dateutil(start.astimezone(zone), zone)
    return rule.to_dateutil(datetime.combine(start, time()), zone)


def occurrences(rule: str, start: datetime | date, time_zone: str, window_start: datetime,
                window_end: datetime, limit: int = MAX_COUNT) -> list[datetime | date]:
    """The occurrence starts of a series inside [window_start, window_end): never more
    than ``limit``, never past the window (an endless series is not expanded to 2046).
    Timed: aware datetimes in the series' zone; all-day: dates."""
    found: list[datetime | date] = []
    zone = ZoneInfo(time_zone)
    for moment in _expansion(parse_rrule(rule), start, time_zone):
        instant = moment if isinstance(start, datetime) else moment.replace(tzinfo=zone)
        if instant >= window_end or len(found) >= limit:
            break
        if instant < window_start:
            continue
        found.append(moment if isinstance(start, datetime) else moment.date())
    return found
