"""SOQL: the subset an email sidebar and a reasonable integration use, parsed with a lark
grammar and evaluated over the org's records.

Supported: field lists with parent relationship fields one level up (Owner.Email, Who.Name,
Relation.Email), child relationship sub-selects (``(SELECT RelationId FROM EventRelations)``),
COUNT() / COUNT(field), WHERE with = != <> < <= > >= IN / NOT IN / LIKE / semi-joins and
anti-joins (``Id IN (SELECT EventId FROM EventRelation WHERE ...)``) joined by AND / OR / NOT
and parentheses, string, number, boolean, null, date, datetime and date literals (TODAY,
YESTERDAY, TOMORROW, THIS/LAST/NEXT_WEEK, THIS/LAST/NEXT_MONTH, LAST_N_DAYS:n,
NEXT_N_DAYS:n), ORDER BY (ASC/DESC, NULLS FIRST/LAST), LIMIT, OFFSET (at most 2000).
Anything else is a MALFORMED_QUERY error, as Salesforce answers. The literals are typed
against the fields in ``soql_types`` before a query runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

from addin.sandbox.salesforce.values import bad_request, parse_datetime

GRAMMAR = r"""
?start: query
query: "SELECT"i select_list "FROM"i NAME where? order? limit? offset?
select_list: select_item ("," select_item)*
?select_item: count | path | "(" query ")" -> subquery
count: "COUNT"i "(" path? ")"
path: NAME ("." NAME)*
where: "WHERE"i condition
?condition: disjunction
?disjunction: conjunction ("OR"i conjunction)*   -> or_
?conjunction: negation ("AND"i negation)*        -> and_
?negation: "NOT"i negation                      -> not_
         | primary
?primary: comparison | "(" condition ")"
comparison: path OPERATOR value                  -> compare
          | path "LIKE"i STRING                  -> like
          | path "IN"i "(" value ("," value)* ")"       -> in_
          | path "NOT"i "IN"i "(" value ("," value)* ")" -> not_in
          | path "IN"i "(" query ")"                  -> semi_join
          | path "NOT"i "IN"i "(" query ")"           -> anti_join
OPERATOR: "!=" | "<>" | "<=" | ">=" | "=" | "<" | ">"
?value: STRING -> string
      | SIGNED_NUMBER -> number
      | DATETIME -> datetime
      | DATE -> date
      | DATE_LITERAL -> date_literal
      | "TRUE"i -> true
      | "FALSE"i -> false
      | "NULL"i -> null
order: "ORDER"i "BY"i order_item ("," order_item)*
order_item: path DIRECTION? NULLS?
DIRECTION: /(ASC|DESC)\b/i
NULLS: /NULLS\s+(FIRST|LAST)\b/i
limit: "LIMIT"i INT
offset: "OFFSET"i INT
DATETIME.3: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})/
DATE.2: /\d{4}-\d{2}-\d{2}/
DATE_LITERAL.2: /(TODAY|YESTERDAY|TOMORROW|(THIS|LAST|NEXT)_(WEEK|MONTH)|(LAST|NEXT)_N_DAYS:\d+)\b/i
STRING: /'(\\.|[^'\\])*'/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%import common.SIGNED_NUMBER
%import common.INT
%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"',
            "\\": "\\", "_": "\\_", "%": "\\%"}


@dataclass(frozen=True)
class Condition:
    op: str  # and or not compare like in not_in
    args: tuple[Any, ...]


@dataclass
class Query:
    sobject: str
    fields: list[tuple[str, ...]] = field(default_factory=list)
    count: tuple[str, ...] | None = None
    is_count: bool = False
    subqueries: list[Query] = field(default_factory=list)
    where: Condition | None = None
    order: list[tuple[tuple[str, ...], bool, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def unescape(literal: str) -> str:
    body = literal[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise bad_request("MALFORMED_QUERY", f"Invalid string literal {literal}: "
                                  f"illegal escape sequence \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@v_args(inline=True)
class _ToQuery(Transformer[Token, Any]):
    def path(self, *names: Token) -> tuple[str, ...]:
        return tuple(str(n) for n in names)

    def count(self, path: tuple[str, ...] | None = None) -> tuple[str, Any]:
        return ("count", path)

    def select_list(self, *items: Any) -> list[Any]:
        return list(items)

    def string(self, token: Token) -> tuple[str, str]:
        return ("string", unescape(str(token)))

    def number(self, token: Token) -> tuple[str, float]:
        return ("number", float(token))

    def datetime(self, token: Token) -> tuple[str, datetime]:
        return ("datetime", parse_datetime(str(token)))

    def date(self, token: Token) -> tuple[str, date]:
        return ("date", date.fromisoformat(str(token)))

    def date_literal(self, token: Token) -> tuple[str, str]:
        return ("date_literal", str(token))

    def true(self) -> tuple[str, bool]:
        return ("bool", True)

    def false(self) -> tuple[str, bool]:
        return ("bool", False)

    def null(self) -> tuple[str, None]:
        return ("null", None)

    def compare(self, path: tuple[str, ...], op: Token, value: Any) -> Condition:
        return Condition("compare", (path, "!=" if str(op) == "<>" else str(op), value))

    def like(self, path: tuple[str, ...], token: Token) -> Condition:
        return Condition("like", (path, unescape(str(token))))

    def in_(self, path: tuple[str, ...], *values: Any) -> Condition:
        return Condition("in", (path, values))

    def not_in(self, path: tuple[str, ...], *values: Any) -> Condition:
        return Condition("not_in", (path, values))

    def semi_join(self, path: tuple[str, ...], query: Query) -> Condition:
        return Condition("semi_join", (path, query))

    def anti_join(self, path: tuple[str, ...], query: Query) -> Condition:
        return Condition("anti_join", (path, query))

    def subquery(self, query: Query) -> Query:
        return query

    def or_(self, *parts: Condition) -> Condition:
        return Condition("or", parts)

    def and_(self, *parts: Condition) -> Condition:
        return Condition("and", parts)

    def not_(self, part: Condition) -> Condition:
        return Condition("not", (part,))

    def where(self, condition: Condition) -> tuple[str, Condition]:
        return ("where", condition)

    def order_item(self, path: tuple[str, ...], *modifiers: Token) -> Any:
        descending = any(m.type == "DIRECTION" and str(m).upper() == "DESC" for m in modifiers)
        nulls = [str(m).upper() for m in modifiers if m.type == "NULLS"]
        nulls_last = nulls[0].endswith("LAST") if nulls else descending
        return (path, descending, nulls_last)

    def order(self, *items: Any) -> tuple[str, list[Any]]:
        return ("order", list(items))

    def limit(self, token: Token) -> tuple[str, int]:
        return ("limit", int(token))

    def offset(self, token: Token) -> tuple[str, int]:
        return ("offset", int(token))

    def query(self, select_list: list[Any], sobject: Token, *clauses: Any) -> Query:
        query = Query(sobject=str(sobject))
        for item in select_list:
            if isinstance(item, tuple) and item and item[0] == "count":
                query.is_count = True
                query.count = item[1]
            elif isinstance(item, Query):
                query.subqueries.append(item)
            else:
                query.fields.append(item)
        if query.is_count and (query.fields or query.subqueries):
            raise bad_request("MALFORMED_QUERY", "COUNT() can't be combined with other fields "
                              "without GROUP BY")
        for name, value in clauses:
            setattr(query, name, value)
        return query


def parse(soql: str) -> Query:
    if len(soql) > 100_000:
        raise bad_request("MALFORMED_QUERY", "Query too long")
    try:
        tree = _PARSER.parse(soql)
        query = _ToQuery().transform(tree)
    except LarkError as exc:
        detail = str(exc).strip().splitlines()[0][:200]
        raise bad_request("MALFORMED_QUERY", f"unexpected token or unsupported SOQL: {detail}"
                          ) from None
    if not isinstance(query, Query):
        raise bad_request("MALFORMED_QUERY", "not a SELECT query")
    return query


# -- evaluation ---------------------------------------------------------------------------
Resolver = Any  # (record, path) -> value; supplied by the REST layer (knows relationships)


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def _stored_as(stored: Any, sample: Any) -> Any:
    """A stored value (JSON: str, bool, number) as the type of a typed literal's value."""
    if isinstance(sample, datetime):
        return parse_datetime(str(stored))
    if isinstance(sample, date):
        return date.fromisoformat(str(stored)[:10])
    if isinstance(sample, bool):
        return bool(stored)
    if isinstance(sample, float):
        return float(stored)
    return str(stored).lower()


def _comparable(stored: Any, literal: tuple[str, Any]) -> tuple[Any, Any]:
    kind, value = literal
    if stored is None or kind == "null":
        return stored, value
    if kind == "string":
        return str(stored).lower(), value.lower()
    return _stored_as(stored, value), value


def _in_range(stored: Any, operator: str, bounds: tuple[Any, Any]) -> bool:
    """A relative date literal: = means inside the half-open range [low, high)."""
    if stored is None:
        return operator == "!="
    low, high = bounds
    value = _stored_as(stored, low)
    return bool({"=": low <= value < high, "!=": not low <= value < high,
                 "<": value < low, "<=": value < high, ">": value >= high,
                 ">=": value >= low}[operator])


def matches(record: dict[str, Any], condition: Condition | None, resolve: Resolver) -> bool:
    """Whether a record satisfies a condition whose literals ``soql_types`` typed."""
    if condition is None:
        return True
    op, args = condition.op, condition.args
    if op == "and":
        return all(matches(record, part, resolve) for part in args)
    if op == "or":
        return any(matches(record, part, resolve) for part in args)
    if op == "not":
        return not matches(record, args[0], resolve)
    stored = resolve(record, args[0])
    if op == "like":
        return stored is not None and bool(_like(args[1]).match(str(stored)))
    if op in ("in_set", "not_in_set"):
        hit = stored is not None and str(stored).lower() in args[1]
        return hit if op == "in_set" else not hit
    if op in ("in", "not_in"):
        hit = any(_equal(stored, literal) for literal in args[1])
        return hit if op == "in" else not hit
    _, operator, literal = args
    if literal[0] == "range":
        return _in_range(stored, operator, literal[1])
    if operator == "=":
        return _equal(stored, literal)
    if operator == "!=":
        return not _equal(stored, literal)
    left, right = _comparable(stored, literal)
    if left is None or right is None:
        return False
    return bool({"<": left < right, "<=": left <= right, ">": left > right,
                 ">=": left >= right}[operator])


def _equal(stored: Any, literal: tuple[str, Any]) -> bool:
    if literal[0] == "range":
        return _in_range(stored, "=", literal[1])
    left, right = _comparable(stored, literal)
    return bool(left == right)


def sort_key(record: dict[str, Any], path: tuple[str, ...], resolve: Resolver) -> Any:
    value = resolve(record, path)
    return value.lower() if isinstance(value, str) else value
