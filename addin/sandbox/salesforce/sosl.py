"""SOSL: ``FIND {term} [IN ALL FIELDS|NAME FIELDS|EMAIL FIELDS] [RETURNING
Object(Field, ... [WHERE ...] [LIMIT n]), ...] [LIMIT n]`` (without RETURNING every
searchable object is searched and Ids are returned).

The search term follows Salesforce's rules: reserved characters are escaped with a
backslash, words must all match (AND), ``*`` and ``?`` are wildcards, a quoted phrase must
match as a phrase. Matching is case-insensitive on word prefixes of searchable fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Lark, Token, v_args
from lark.exceptions import LarkError

from addin.sandbox.salesforce.soql import GRAMMAR as SOQL_GRAMMAR
from addin.sandbox.salesforce.soql import Condition, _ToQuery
from addin.sandbox.salesforce.values import bad_request

RESERVED = set('?&|!{}[]()^~*:\\"\'+-')

GRAMMAR = r"""
search: "FIND"i TERM scope? ("RETURNING"i returning ("," returning)*)? limit?
scope: "IN"i SCOPE_KIND "FIELDS"i
SCOPE_KIND: /(ALL|NAME|EMAIL|PHONE)\b/i
returning: NAME ("(" select_list where? limit? ")")?
TERM: /\{(\\.|[^\\}])*\}/
""" + SOQL_GRAMMAR.replace("?start: query\n", "?start: search\n")

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


@dataclass
class Returning:
    sobject: str
    fields: list[tuple[str, ...]] = field(default_factory=list)
    where: Condition | None = None
    limit: int | None = None


@dataclass
class Search:
    term: str
    scope: str = "ALL"
    returning: list[Returning] = field(default_factory=list)
    limit: int | None = None


@v_args(inline=True)
class _ToSearch(_ToQuery):
    def scope(self, kind: Token) -> tuple[str, str]:
        return ("scope", str(kind).upper())

    def returning(self, name: Token, *parts: object) -> Returning:
        item = Returning(sobject=str(name))
        for part in parts:
            if isinstance(part, list):
                item.fields = [p for p in part if isinstance(p, tuple) and p[0] != "count"]
            elif isinstance(part, tuple) and part[0] == "where":
                item.where = part[1]
            elif isinstance(part, tuple) and part[0] == "limit":
                item.limit = part[1]
        return item

    def search(self, term: Token, *rest: object) -> Search:
        search = Search(term=str(term)[1:-1])
        for part in rest:
            if isinstance(part, Returning):
                search.returning.append(part)
            elif isinstance(part, tuple) and part[0] == "scope":
                search.scope = str(part[1])
            elif isinstance(part, tuple) and part[0] == "limit":
                search.limit = int(part[1])
        return search


def parse(sosl: str) -> Search:
    try:
        result = _ToSearch().transform(_PARSER.parse(sosl))
    except LarkError as exc:
        detail = str(exc).strip().splitlines()[0][:200]
        raise bad_request("MALFORMED_SEARCH", f"unsupported or malformed SOSL: {detail}"
                          ) from None
    if not isinstance(result, Search):
        raise bad_request("MALFORMED_SEARCH", "not a FIND query")
    if len(term_words(result.term)) == 0:
        raise bad_request("MALFORMED_SEARCH",
                          "search term must be longer than one character")
    return result


def term_words(term: str) -> list[re.Pattern[str]]:
    """The term as patterns each of which must match a searchable field."""
    words: list[str] = []
    current: list[str] = []
    phrase = False
    i = 0
    while i < len(term):
        ch = term[i]
        if ch == "\\" and i + 1 < len(term):
            current.append(re.escape(term[i + 1]))
            i += 2
            continue
        if ch == '"':
            phrase = not phrase
        elif ch in " \t" and not phrase:
            if current:
                words.append("".join(current))
                current = []
        elif ch == "*":
            current.append(r"\S*")
        elif ch == "?":
            current.append(r"\S")
        elif ch in RESERVED:
            raise bad_request("MALFORMED_SEARCH", f"reserved character {ch!r} must be "
                              "escaped with a backslash")
        else:
            current.append(re.escape(ch))
        i += 1
    if current:
        words.append("".join(current))
    meaningful = [w for w in words if w.replace("\\", "").strip() and w.upper() not in
                  ("AND", "OR")]
    return [re.compile(r"(^|[\s@.\-'_])" + word, re.IGNORECASE) for word in meaningful]
