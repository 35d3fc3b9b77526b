"""Limits on what a request may carry, for every endpoint of the product (API, Gmail card
endpoints, webhooks, sandbox endpoints): a body size limit (413) and a JSON nesting depth
limit (400), both answered in the JSON error envelope before any view runs.

The depth is checked on the raw text before it is parsed: Python's parser recurses, so a
document nested a thousand levels deep would otherwise end in a RecursionError (a 500).
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from addin.errors import ApiError

MAX_REQUEST_BYTES = 1024 * 1024  # 1 MiB: 30x the largest valid Create payload
MAX_JSON_DEPTH = 32  # the deepest valid payload (a Gmail card event object) is under 10
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# an opening bracket counts 2, a closing one 0: after k brackets the running sum minus k is
# the depth there
_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class TooDeeplyNested(ApiError):
    status = 400
    code = "too_deeply_nested"


def json_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (0 for a scalar); brackets inside
    strings do not count. Linear, in C-implemented steps (a megabyte of brackets takes
    about 60 ms), and never recursive."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    weights = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii").translate(_WEIGHTS)
    if not weights:
        return 0
    return max(0, max(map(operator.sub, accumulate(weights), range(1, len(weights) + 1))))


def check_depth(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> None:
    if json_depth(text) > limit:
        raise TooDeeplyNested(f"The JSON document nests deeper than {limit} levels.",
                              fields={"_body": f"at most {limit} levels of nesting"})


class LimitedJSONProvider(DefaultJSONProvider):
    """``request.get_json()`` (and every ``flask.json.loads``) refuses documents nested
    deeper than the limit; the refusal is an ApiError, so even ``silent=True`` answers
    400 rather than treating the body as absent."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_depth(s)
        return super().loads(s, **kwargs)


def register(app: Flask, max_bytes: int = MAX_REQUEST_BYTES) -> None:
    app.json = LimitedJSONProvider(app)
    app.json.sort_keys = False
    # werkzeug stops reading a body (also a chunked one) past this size: 413
    app.config["MAX_CONTENT_LENGTH"] = max_bytes

    @app.before_request
    def _limits() -> None:
        """Before authentication and before any view: the same answer for everyone."""
        length = request.content_length
        if length is not None and length > max_bytes:
            raise PayloadTooLarge(too_large_message(max_bytes),
                                  fields={"_body": f"at most {max_bytes} bytes"})
        if length is None and len(request.get_data(cache=True)) >= max_bytes:
            # a streamed (chunked) body: werkzeug stops reading at the limit, silently
            raise PayloadTooLarge(too_large_message(max_bytes),
                                  fields={"_body": f"at most {max_bytes - 1} bytes"})
        if request.is_json:
            check_depth(request.get_data(cache=True))


def too_large_message(max_bytes: int = MAX_REQUEST_BYTES) -> str:
    return f"The request body is larger than {max_bytes // 1024} KiB."
