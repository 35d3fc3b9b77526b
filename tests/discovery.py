"""Checks requests against the Google Calendar discovery document that
google-api-python-client ships (method, path template, parameter names, locations,
types, enums and required parameters)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import googleapiclient
import requests

DOCUMENT = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / \
    "calendar.v3.json"


def _methods(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = list((resource.get("methods") or {}).values())
    for child in (resource.get("resources") or {}).values():
        found += _methods(child)
    return found


@dataclass
class DiscoveryChecker:
    document: dict[str, Any] = field(default_factory=lambda: json.loads(DOCUMENT.read_text()))
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.methods = _methods(self.document)
        self.service_path = "/" + self.document["servicePath"].strip("/")

    def match(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]]:
        relative = path.split(self.service_path, 1)[-1].lstrip("/")
        for candidate in self.methods:
            if candidate["httpMethod"] != method:
                continue
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(candidate["path"]))
            hit = re.fullmatch(pattern, relative)
            if hit:
                return candidate, {k: unquote(v) for k, v in hit.groupdict().items()}
        raise AssertionError(f"{method} {path}: no method of the discovery document matches")

    def check(self, method: str, url: str) -> str:
        parts = urlsplit(url)
        spec, path_params = self.match(method, parts.path)
        params = spec.get("parameters") or {}
        query = parse_qsl(parts.query, keep_blank_values=True)
        for name, value in query:
            assert name in params and params[name]["location"] == "query", \
                f"{spec['id']}: unknown query parameter {name}"
            allowed = params[name].get("enum")
            assert not allowed or value in allowed, f"{spec['id']}: {name}={value}"
            if params[name]["type"] == "integer":
                assert value.lstrip("-").isdigit(), f"{spec['id']}: {name} not an integer"
            if params[name]["type"] == "boolean":
                assert value in ("true", "false"), f"{spec['id']}: {name} not a boolean"
        given = {n for n, _ in query} | set(path_params)
        for name, parameter in params.items():
            if parameter.get("required"):
                assert name in given, f"{spec['id']}: required {name} missing"
        self.seen.append(spec["id"])
        return str(spec["id"])

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        method, url = str(response.request.method), str(response.request.url)
        if method == "POST" and urlsplit(url).path.strip("/") == self.document["batchPath"]:
            self.check_batch(response.request)  # a batch: each call it holds is checked
            return
        self.check(method, url)

    def check_batch(self, request: requests.PreparedRequest) -> None:
        """A batch at the document's batchPath: multipart/mixed, each part one call."""
        kind = str(request.headers.get("Content-Type", ""))
        assert kind.startswith("multipart/mixed; boundary="), kind
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + body)
        parts = message.get_payload()
        assert isinstance(parts, list) and parts
        for part in parts:
            assert isinstance(part, Message) and part.get_content_type() == "application/http"
            text = part.get_payload(decode=True)
            assert isinstance(text, bytes)
            method, target = text.decode().split("\r\n", 1)[0].split()[:2]
            self.check(method, "https://batch.invalid" + target)
