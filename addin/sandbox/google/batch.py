"""Google's batch endpoint for the Calendar API (``POST /batch/calendar/v3``): a
``multipart/mixed`` body whose parts are each one HTTP request (``Content-Type:
application/http``, an optional ``Content-ID``); the answer is ``multipart/mixed`` too, one
HTTP response per part, in order, each labelled ``Content-ID: <response-ID>``. The batch is
one HTTP request (it is counted once); each part runs as the request it holds, with the
outer request's Authorization unless the part carries its own."""

from __future__ import annotations

import secrets
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus

from flask import Flask, Response, request

from addin.sandbox.frame import BATCH_STEP, operation
from addin.sandbox.google.resources import invalid

BATCH_PATH = "/batch/calendar/v3"
BATCH_LIMIT = 1000  # Google: at most 1000 calls in one batch request


def register(app: Flask) -> None:
    @app.post(BATCH_PATH)
    def batch() -> Response:
        operation("batch")
        kind = request.headers.get("Content-Type", "")
        if not kind.lower().startswith("multipart/mixed") or "boundary=" not in kind:
            raise invalid("A batch request is multipart/mixed with a boundary.",
                          "badContent")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + request.get_data())
        parts = message.get_payload() if message.is_multipart() else None
        if not isinstance(parts, list) or not parts:
            raise invalid("The batch request holds no parts.", "badContent")
        if len(parts) > BATCH_LIMIT:
            raise invalid(f"A batch request holds at most {BATCH_LIMIT} calls.",
                          "batchSizeTooLarge")
        client = app.test_client()
        boundary = "batch_" + secrets.token_urlsafe(18)
        out: list[bytes] = []
        for part in parts:
            if not isinstance(part, Message):
                raise invalid("Each part of a batch request is application/http.",
                              "badContent")
            method, path, headers, body = _inner_request(part)
            if not any(name.lower() == "authorization" for name in headers):
                headers["Authorization"] = request.headers.get("Authorization", "")
            result = client.open(path, method=method, headers=headers, data=body,
                                 environ_overrides={BATCH_STEP: True})
            head = [f"HTTP/1.1 {result.status_code} {_reason(result.status_code)}",
                    f"Content-Type: {result.content_type or 'application/json'}"]
            if result.headers.get("ETag"):
                head.append(f"ETag: {result.headers['ETag']}")
            payload = result.get_data()
            head.append(f"Content-Length: {len(payload)}")
            content_id = part.get("Content-ID")
            label = [f"Content-ID: <response-{content_id.strip().strip('<>')}>"] \
                if content_id else []
            out.append("\r\n".join([f"--{boundary}", "Content-Type: application/http",
                                    *label, "", *head, "", ""]).encode() + payload + b"\r\n")
        out.append(f"--{boundary}--\r\n".encode())
        operation("batch")  # the parts ran in this app context and labelled it
        return Response(b"".join(out), status=200,
                        content_type=f"multipart/mixed; boundary={boundary}")


def _inner_request(part: Message) -> tuple[str, str, dict[str, str], bytes]:
    if part.get_content_type() != "application/http":
        raise invalid("Each part of a batch request is application/http.", "badContent")
    raw = part.get_payload(decode=True)
    text = raw if isinstance(raw, bytes) else str(part.get_payload()).encode()
    head, _, body = text.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    request_line = lines[0].split()
    if len(request_line) < 2 or not request_line[1].startswith("/"):
        raise invalid("A batch part starts with a request line: METHOD /path HTTP/1.1.",
                      "badContent")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return request_line[0].upper(), request_line[1], headers, body.strip()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
