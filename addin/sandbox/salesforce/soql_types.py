"""SOQL literals typed as Salesforce types them: each value in a WHERE clause must have the
type of the field it is compared with, or the query fails with INVALID_QUERY_FILTER_OPERATOR
(never a silent non-match). Relative date literals become concrete ranges in the querying
user's time zone.

The typed condition tree uses these literal kinds, which ``soql.matches`` evaluates:
``("string", str)``, ``("id", lower-case 18-character id)``, ``("number", float)``,
``("bool", bool)``, ``("datetime", aware datetime)``, ``("date", date)``,
``("range", (low, high))`` (half-open; datetimes in UTC for datetime fields, dates for
date fields) and ``("null", None)``; semi-joins become ``in_set`` / ``not_in_set``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from addin.sandbox.salesforce.values import ID_PATTERN, SalesforceApiError, bad_request, to_18

STRING_TYPES = frozenset({"string", "email", "textarea", "picklist", "combobox", "phone",
                          "url", "multipicklist"})
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = {"int": "integer", "double": "double", "currency": "double",
                "percent": "double"}
MAX_OFFSET = 2000

FieldType = Callable[[tuple[str, ...]], str]
SemiJoin = Callable[[tuple[str, ...], Any], frozenset[str]]


def _mismatch(path: tuple[str, ...], expected: str, quoted: bool) -> SalesforceApiError:
    hint = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return bad_request("INVALID_QUERY_FILTER_OPERATOR",
                       f"value of filter criterion for field '{'.'.join(path)}' must be of "
                       f"type {expected} and {hint}")


def date_literal_days(text: str, today: date, week_starts: int = 6) -> tuple[date, date]:
    """A relative date literal as the half-open [first, after-last) days it covers.
    ``week_starts`` is the weekday a week begins on (6 = Sunday, the en_US locale)."""
    upper = text.upper()
    one = timedelta(days=1)
    if upper == "TODAY":
        return today, today + one
    if upper == "YESTERDAY":
        return today - one, today
    if upper == "TOMORROW":
        return today + one, today + 2 * one
    if upper.endswith("_WEEK"):
        since_start = (today.weekday() - week_starts) % 7
        first = today - timedelta(days=since_start)
        shift = {"THIS": 0, "LAST": -7, "NEXT": 7}[upper.split("_")[0]]
        first += timedelta(days=shift)
        return first, first + timedelta(days=7)
    if upper.endswith("_MONTH"):
        first = today.replace(day=1)
        if upper.startswith("LAST"):
            first = (first - one).replace(day=1)
        elif upper.startswith("NEXT"):
            first = (first + timedelta(days=32)).replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    kind, _, count = upper.partition(":")
    days = int(count)
    if kind == "LAST_N_DAYS":  # today and the n days before it
        return today - timedelta(days=days), today + one
    return today + one, today + timedelta(days=days + 1)  # NEXT_N_DAYS: from tomorrow


class LiteralTyper:
    """Types the literals of one query for one user (``zone``: their TimeZoneSidKey)."""

    def __init__(self, field_type: FieldType, zone: ZoneInfo, now: datetime | None = None,
                 semi_join: SemiJoin | None = None):
        self.field_type = field_type
        self.zone = zone
        self.today = (now or datetime.now(UTC)).astimezone(zone).date()
        self.semi_join = semi_join

    def condition(self, condition: Any) -> Any:
        from addin.sandbox.salesforce.soql import Condition

        if condition is None:
            return None
        op, args = condition.op, condition.args
        if op in ("and", "or"):
            return Condition(op, tuple(self.condition(part) for part in args))
        if op == "not":
            return Condition(op, (self.condition(args[0]),))
        path = args[0]
        kind = self.field_type(path)
        if op == "like":
            if kind not in STRING_TYPES and kind not in ID_TYPES:
                raise bad_request("INVALID_QUERY_FILTER_OPERATOR",
                                  f"invalid operator on {kind} field: LIKE "
                                  f"({'.'.join(path)})")
            return condition
        if op in ("semi_join", "anti_join"):
            if kind not in ID_TYPES:
                raise bad_request("INVALID_QUERY_FILTER_OPERATOR",
                                  f"semi join sub-selects are only allowed on id fields, not "
                                  f"'{'.'.join(path)}'")
            if self.semi_join is None:
                raise bad_request("MALFORMED_QUERY", "nested semi join sub-selects are not "
                                  "supported")
            ids = self.semi_join(path, args[1])
            return Condition("in_set" if op == "semi_join" else "not_in_set", (path, ids))
        if op in ("in", "not_in"):
            return Condition(op, (path, tuple(self.literal(path, kind, v) for v in args[1])))
        _, operator, value = args
        if kind == "boolean" and operator not in ("=", "!="):
            raise bad_request("INVALID_QUERY_FILTER_OPERATOR",
                              f"invalid operator on boolean field: {'.'.join(path)}")
        return Condition(op, (path, operator, self.literal(path, kind, value)))

    def literal(self, path: tuple[str, ...], kind: str, literal: tuple[str, Any]
                ) -> tuple[str, Any]:
        given, value = literal
        if given == "null":
            return literal
        if kind in ID_TYPES:
            if given != "string":
                raise _mismatch(path, "id", quoted=True)
            if not ID_PATTERN.match(value):
                raise bad_request("INVALID_QUERY_FILTER_OPERATOR",
                                  f"invalid ID field: {value}")
            return ("id", to_18(value).lower())
        if kind in STRING_TYPES:
            if given != "string":
                raise _mismatch(path, "string", quoted=True)
            return literal
        if kind == "boolean":
            if given != "bool":
                raise _mismatch(path, "boolean", quoted=False)
            return literal
        if kind in NUMBER_TYPES:
            if given != "number":
                raise _mismatch(path, NUMBER_TYPES[kind], quoted=False)
            return literal
        if kind == "datetime":
            if given == "datetime":
                return literal
            if given == "date_literal":
                first, after = date_literal_days(value, self.today)
                return ("range", (self._midnight(first), self._midnight(after)))
            raise _mismatch(path, "dateTime", quoted=False)
        if kind == "date":
            if given == "date":
                return literal
            if given == "date_literal":
                return ("range", date_literal_days(value, self.today))
            raise _mismatch(path, "date", quoted=False)
        return literal

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.zone).astimezone(UTC)


def check_offset(offset: int) -> None:
    if offset > MAX_OFFSET:
        raise bad_request("NUMBER_OUTSIDE_VALID_RANGE",
                          f"Maximum SOQL offset allowed is {MAX_OFFSET}")
