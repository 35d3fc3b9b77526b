"""Sandbox-only actions on EWS mailboxes: what people do in Outlook itself (an attendee
answers, the organizer edits) and expiring a mailbox's sync states."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from addin.sandbox.ews.items import ATTENDEE_FIELDS, RESPONSE_TYPES
from addin.sandbox.ews.soap import format_datetime

if TYPE_CHECKING:
    from addin.sandbox.ews.app import Ews


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def register(app: Flask, ews: Ews) -> None:
    @app.post("/sandbox-ui/mailboxes/<email>/items/<item_id>/respond")
    def respond(email: str, item_id: str) -> Response:
        answer = request.get_json(silent=True) or {}
        if answer.get("response") not in RESPONSE_TYPES:
            return _json(400, {"error": {"code": "bad_request", "message": "response must "
                                         "be one of " + ", ".join(RESPONSE_TYPES),
                               "fields": {"response": "unknown value"}}})
        owner = email.lower()
        with ews.store.lock:
            stored = ews.store.get(owner, item_id)
            if stored is None:
                return _json(404, {"error": {"code": "not_found", "message": "no such item"}})
            item = stored.resource
            fields = dict(item["fields"])
            hit = False
            for uri in ATTENDEE_FIELDS:
                people = [dict(a) for a in fields.get(uri) or []]
                for person in people:
                    if person["email"].lower() == str(answer.get("email", "")).lower():
                        person["response"] = answer["response"]
                        person["time"] = format_datetime(datetime.now(UTC))
                        hit = True
                fields[uri] = people
            if not hit:
                return _json(404, {"error": {"code": "not_found", "message": "no such "
                                             "attendee", "fields": {"email": "not invited"}}})
            change_key = "DwAAABYAAAA" + secrets.token_urlsafe(12)
            updated = {**item, "fields": fields, "changeKey": change_key,
                       "history": [*item["history"], [change_key, list(ATTENDEE_FIELDS)]]}
            ews.store.put(owner, item_id, updated)
        ews.subscriptions.record(owner, "ModifiedEvent", item_id, ews.folder_id(owner))
        return _json(200, {"itemId": item_id, "changeKey": change_key})

    @app.post("/sandbox-ui/mailboxes/<email>/expire-sync-states")
    def expire(email: str) -> Response:
        owner = email.lower()
        ews.sync_generation[owner] = ews.sync_generation.get(owner, 0) + 1
        return _json(200, {"expired": True})
