"""A sliver of the Gmail API in the sandbox: users.messages.get (what a Gmail add-on reads
of the open message), and a sandbox-only action to put a message in a mailbox."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from flask import Blueprint, jsonify, request

from addin.sandbox.frame import authenticate, operation
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState


def _error(code: int, message: str, reason: str, status: str) -> Any:
    return jsonify({"error": {"code": code, "message": message, "errors": [
        {"message": message, "domain": "global", "reason": reason}], "status": status}}), code


def gmail_messages(state: SandboxState, seed: SeedData, base_url: str) -> Blueprint:
    bp = Blueprint("sandbox_gmail", __name__)
    messages: dict[str, dict[str, dict[str, Any]]] = state.keep("gmail.messages", {})
    lock = threading.Lock()

    @bp.post("/sandbox-ui/gmail/<email>/messages")
    def put_message(email: str) -> Any:
        body = request.get_json(silent=True) or {}
        message_id = secrets.token_hex(8)
        headers = [{"name": name, "value": str(body[key])} for key, name in (
            ("subject", "Subject"), ("from", "From"), ("to", "To"), ("cc", "Cc"))
            if body.get(key)]
        message = {"id": message_id, "threadId": message_id, "labelIds": ["INBOX"],
                   "snippet": str(body.get("snippet", ""))[:200],
                   "historyId": str(int(time.time())), "internalDate": str(
                       int(time.time() * 1000)),
                   "payload": {"mimeType": "text/plain", "headers": headers},
                   "sizeEstimate": 1024}
        with lock:
            messages.setdefault(email.lower(), {})[message_id] = message
        return jsonify({"id": message_id, "threadId": message_id}), 201

    @bp.get("/gmail/v1/users/<user_id>/messages/<message_id>")
    def get_message(user_id: str, message_id: str) -> Any:
        operation("gmail.users.messages.get")
        token = authenticate(state, "google")
        if token is None:
            return _error(401, "Request had invalid authentication credentials.",
                          "authError", "UNAUTHENTICATED")
        owner = token.subject.lower() if user_id == "me" else user_id.lower()
        if owner != token.subject.lower():
            return _error(403, "Delegation denied", "forbidden", "PERMISSION_DENIED")
        if not request.headers.get("X-Goog-Gmail-Access-Token"):
            return _error(403, "Gmail add-on access token required for this message.",
                          "forbidden", "PERMISSION_DENIED")
        with lock:
            message = messages.get(owner, {}).get(message_id)
        if message is None:
            return _error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
        wanted = {h.lower() for h in request.args.getlist("metadataHeaders")}
        if request.args.get("format") == "metadata" and wanted:
            payload = dict(message["payload"])
            payload["headers"] = [h for h in payload["headers"] if h["name"].lower() in wanted]
            return jsonify({**message, "payload": payload})
        return jsonify(message)

    return bp
