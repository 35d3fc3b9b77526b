"""The OData query options Graph's event lists take: ``$filter`` clauses joined by ``and``
(``subject eq|ne 'x'``, ``type eq|ne 'seriesMaster'`` and the other event types,
``contains(subject,'x')``, ``startswith(subject,'x')``,
``start/dateTime|end/dateTime eq|ne|gt|ge|lt|le 'wall time in UTC'``, and the extended
property ``Any`` clause) and ``$orderby`` (``start/dateTime``, ``end/dateTime``, ``subject``,
``createdDateTime``, ``lastModifiedDateTime``; ``asc`` / ``desc``). Anything else is 400
ErrorInvalidUrlQueryFilter, as Graph answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from addin.sandbox.graph.resources import EXTENDED_FILTER, bad

Row = dict[str, Any]  # the stored resource
Predicate = Callable[[Row], bool]

_STRING = r"'((?:[^']|'')*)'"
_COMPARE = re.compile(r"^(subject|type|start/dateTime|end/dateTime)\s+(eq|ne|gt|ge|lt|le)\s+"
                      + _STRING + r"$", re.IGNORECASE)
_FUNCTION = re.compile(r"^(contains|startswith)\(\s*subject\s*,\s*" + _STRING + r"\s*\)$",
                       re.IGNORECASE)
_AND = re.compile(r"\s+and\s+(?=(?:[^']*'[^']*')*[^']*$)", re.IGNORECASE)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}
ORDER_FIELDS: dict[str, Callable[[Row], Any]] = {
    "start/datetime": lambda r: r["start_utc"], "end/datetime": lambda r: r["end_utc"],
    "subject": lambda r: str(r.get("subject") or "").lower(),
    "createddatetime": lambda r: r.get("createdDateTime") or "",
    "lastmodifieddatetime": lambda r: r.get("lastModified") or ""}


def _invalid(text: str) -> Exception:
    return bad(f"Invalid filter clause: {text}", "ErrorInvalidUrlQueryFilter")


def event_type(resource: Row) -> str:
    """The event's ``type`` as Graph names it."""
    return str(resource.get("_type") or ("seriesMaster" if resource.get("recurrence")
                                          else "singleInstance"))


def _instant(value: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(text) from None
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def parse_filter(text: str | None) -> list[Predicate]:
    if not text or not text.strip():
        return []
    predicates: list[Predicate] = []
    if EXTENDED_FILTER.match(text.strip()):  # a value may hold " and "
        clauses = [text.strip()]
    else:
        clauses = [c.strip() for c in _AND.split(text.strip())]
    for clause in clauses:
        predicates.append(_clause(clause, text))
    return predicates


def _clause(clause: str, text: str) -> Predicate:
    extended = EXTENDED_FILTER.match(clause)
    if extended:
        prop, value = extended.group("id").lower(), extended.group("value").replace("''", "'")
        return lambda r: ((r.get("extended") or {}).get(prop) or {}).get("value") == value
    function = _FUNCTION.match(clause)
    if function:
        name, needle = function.group(1).lower(), function.group(2).replace("''", "'").lower()
        if name == "contains":
            return lambda r: needle in str(r.get("subject") or "").lower()
        return lambda r: str(r.get("subject") or "").lower().startswith(needle)
    compare = _COMPARE.match(clause)
    if not compare:
        raise _invalid(text)
    field, op = compare.group(1).lower(), _OPS[compare.group(2).lower()]
    literal = compare.group(3).replace("''", "'")
    if field == "subject":
        return lambda r: bool(op(str(r.get("subject") or "").lower(), literal.lower()))
    if field == "type":  # singleInstance, seriesMaster, occurrence, exception
        return lambda r: bool(op(event_type(r), literal))
    wanted = _instant(literal, text)  # Graph compares wall times in UTC
    key = "start_utc" if field.startswith("start") else "end_utc"
    return lambda r: bool(op(datetime.fromisoformat(r[key]).replace(tzinfo=None), wanted))


def order(rows: list[Any], text: str | None, resource: Callable[[Any], Row]) -> list[Any]:
    """``rows`` sorted by ``$orderby`` (stable, last key first)."""
    if not text:
        return rows
    keys = []
    for part in text.split(","):
        words = part.strip().split()
        if not words or len(words) > 2 or words[0].lower() not in ORDER_FIELDS or (
                len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad(f"Invalid $orderby: {text}", "BadRequest")
        keys.append((ORDER_FIELDS[words[0].lower()], len(words) == 2 and
                     words[1].lower() == "desc"))
    for key, descending in reversed(keys):
        rows = sorted(rows, key=_by(key, resource), reverse=descending)
    return rows


def _by(key: Callable[[Row], Any], resource: Callable[[Any], Row]) -> Callable[[Any], Any]:
    return lambda row: key(resource(row))
