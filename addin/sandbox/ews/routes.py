"""Sandbox-only actions on EWS mailboxes: what people do in Outlook itself (an attendee
answers, the organizer edits) and expiring a mailbox's sync states."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from addin.sandbox.ews.items import ATTENDEE_FIELDS, RESPONSE_TYPES
from addin.sandbox.ews.soap import EwsError, format_datetime, parse_datetime

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
        ews.subscriptions.record(owner, "ModifiedEvent", item_id, ews.folder_id(owner),
                                 change_key)
        return _json(200, {"itemId": item_id, "changeKey": change_key})

    @app.post("/sandbox-ui/mailboxes/<email>/items/<item_id>/edit")
    def edit(email: str, item_id: str) -> Response:
        """The organizer edits the meeting (or one occurrence, by its id) in Outlook and
        sends the update: ``attendees`` (emails, required) and/or ``subject`` /
        ``location`` / ``start`` / ``end`` (ISO date-times with an offset); Outlook sends
        to the changed attendees unless ``sendTo`` says "all" or "none"."""
        body = request.get_json(silent=True) or {}
        send = {"changed": "SendToChangedAndSaveCopy", "all": "SendToAllAndSaveCopy",
                "none": "SendToNone"}.get(str(body.get("sendTo", "changed")))
        people = body.get("attendees")
        if send is None or (people is not None and not isinstance(people, list)):
            return _json(400, {"error": {"code": "bad_request", "message": "attendees is "
                                         "a list of emails; sendTo is changed, all or none",
                               "fields": {"attendees": "a list", "sendTo": "a mode"}}})
        fields: dict[str, Any] = {}
        if people is not None:
            fields["calendar:RequiredAttendees"] = [
                {"email": str(p), "name": str(p), "response": "Unknown", "time": None}
                for p in people]
            fields["calendar:OptionalAttendees"] = []
        for key, uri in (("subject", "item:Subject"), ("location", "calendar:Location")):
            if key in body:
                fields[uri] = str(body[key])
        try:
            for key, uri in (("start", "calendar:Start"), ("end", "calendar:End")):
                if key in body:  # an ISO date-time with its offset
                    fields[uri] = parse_datetime(str(body[key]), key).isoformat()
            item = ews.edit(email.lower(), item_id, fields, send)
        except EwsError as error:
            return _json(404 if error.code == "ErrorItemNotFound" else 400, {"error": {
                "code": error.code, "message": error.message}})
        return _json(200, {"itemId": item["id"], "changeKey": item["changeKey"]})

    @app.post("/sandbox-ui/mailboxes/<email>/expire-sync-states")
    def expire(email: str) -> Response:
        owner = email.lower()
        ews.sync_generation[owner] = ews.sync_generation.get(owner, 0) + 1
        return _json(200, {"expired": True})
