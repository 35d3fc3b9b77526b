"""Google's batch endpoint (``POST {root}/batch/calendar/v3``): up to 50 calls in one
``multipart/mixed`` request (Google takes 1000; the Calendar guide advises fewer), each part
an HTTP request labelled with a ``Content-ID`` and answered by the part whose Content-ID is
``<response-ID>``. Google runs the parts in any order, so a batch holds at most one write
per item; an item's later writes go in the next batch."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import requests

from addin.providers.calendar.http import call, raise_for
from addin.providers.calendar.provider import BatchResult, CalendarError, TokenSource

BATCH_LIMIT = 50


class Call:
    """One call of a batch; ``key`` is the item it answers for."""

    def __init__(self, key: str, method: str, path: str, body: Any = None,
                 headers: dict[str, str] | None = None):
        self.key, self.method, self.path, self.body = key, method, path, body
        self.headers = headers or {}


def run_batch(session: requests.Session, tokens: TokenSource, url: str, calls: list[Call],
              parse: Callable[[dict[str, Any]], Any], message: Callable[[Any], str | None]
              ) -> BatchResult:
    """The calls in batches of 50; per key the parsed body or the error it met."""
    results: BatchResult = {}
    for start in range(0, len(calls), BATCH_LIMIT):
        chunk = calls[start: start + BATCH_LIMIT]
        boundary = "addin_" + secrets.token_hex(12)
        response = call(session, tokens, "POST", url, data=_encode(chunk, boundary),
                        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
        raise_for(response, message)
        answers = _decode(response)
        for index, item in enumerate(chunk):
            status, headers, body = answers.get(str(index), (500, {}, None))
            results[item.key] = _outcome(status, headers, body, item, parse, message)
    return results


def _encode(calls: list[Call], boundary: str) -> bytes:
    out: list[bytes] = []
    for index, item in enumerate(calls):
        head = [f"{item.method} {item.path} HTTP/1.1", *(
            f"{name}: {value}" for name, value in item.headers.items())]
        payload = b""
        if item.body is not None:
            payload = json.dumps(item.body).encode()
            head.append("Content-Type: application/json")
        out.append("\r\n".join([f"--{boundary}", "Content-Type: application/http",
                                f"Content-ID: <addin+{index}>", "", *head, "", ""]).encode()
                   + payload + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _decode(response: requests.Response) -> dict[str, tuple[int, dict[str, str], Any]]:
    """Content-ID ``<response-addin+N>`` -> (status, headers, JSON body) of part N."""
    kind = response.headers.get("Content-Type", "")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {kind}\r\n\r\n".encode() + response.content)
    parts = message.get_payload() if message.is_multipart() else []
    found: dict[str, tuple[int, dict[str, str], Any]] = {}
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Message):
            continue
        label = str(part.get("Content-ID") or "").strip().strip("<>")
        index = label.removeprefix("response-").rpartition("+")[2]
        raw = part.get_payload(decode=True)
        text = raw if isinstance(raw, bytes) else str(part.get_payload()).encode()
        head, _, body = text.replace(b"\r\n", b"\n").partition(b"\n\n")
        lines = head.decode("utf-8", "replace").split("\n")
        status_line = lines[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() \
            else 500
        headers = {name.strip(): value.strip() for name, colon, value in
                   (line.partition(":") for line in lines[1:]) if colon}
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        found[index] = (status, headers, parsed)
    return found


def _outcome(status: int, headers: dict[str, str], body: Any, item: Call,
             parse: Callable[[dict[str, Any]], Any], message: Callable[[Any], str | None]
             ) -> Any:
    if status < 400:
        return parse(body or {})
    fake = requests.Response()
    fake.status_code, fake.url = status, item.path
    fake._content = json.dumps(body).encode()
    if headers.get("Retry-After"):
        fake.headers["Retry-After"] = headers["Retry-After"]
    try:
        raise_for(fake, message)
    except CalendarError as exc:
        return exc
    return CalendarError(f"the calendar answered {status}", status=status)
