"""Request limits of the sandbox's own HTTP services (every emulator and the control
service): a body over 16 MiB is a 413 (the vendors' own limits are higher than anything
the product sends), JSON nested deeper than 64 levels a 400, in the
service's own error shape, before any view parses it (Python's JSON parser recurses: a
document a thousand levels deep would end in a RecursionError, a 500).

The sandbox never imports product code, so this is the sandbox's own small copy of the
check; the product's is addin/web/limits.py."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from flask import Flask, Response, jsonify, request

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # opening 2, closing 0


def json_depth(text: bytes) -> int:
    """How deeply arrays and objects nest (strings ignored); linear, never recursive."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text.decode("utf-8", errors="replace")))
    weights = skeleton.encode("ascii").translate(_WEIGHTS)
    if not weights:
        return 0
    return max(0, max(map(operator.sub, accumulate(weights), range(1, len(weights) + 1))))


def guard(app: Flask, error_body: Callable[[int, str, str], Any]) -> None:
    """Refuse oversized bodies and too deeply nested JSON, answered with ``error_body``
    (status, message, code), the service's own error shape."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    def refuse(status: int, message: str, code: str) -> Response:
        response = jsonify(error_body(status, message, code))
        response.status_code = status
        return response

    @app.before_request
    def _limits() -> Response | None:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            _drain(length)
            return refuse(413, "The request body is too large.", "RequestEntityTooLarge")
        if request.is_json or length is None:
            body = request.get_data(cache=True)
            if len(body) >= MAX_BODY_BYTES:
                return refuse(413, "The request body is too large.", "RequestEntityTooLarge")
            if request.is_json and json_depth(body) > MAX_JSON_DEPTH:
                return refuse(400, f"The JSON document nests deeper than {MAX_JSON_DEPTH} "
                                   "levels.", "BadRequest")
        return None


def _drain(length: int) -> None:
    """Read and drop a refused body (up to four times the limit), so that the client,
    still sending it on a kept-alive connection, reads the 413 instead of a reset."""
    stream = request.environ.get("wsgi.input")
    left = min(length, 4 * MAX_BODY_BYTES)
    while stream is not None and left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        left -= len(chunk)
