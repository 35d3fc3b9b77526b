"""The Graph emulator's routes: /v1.0/me|users/{id}/events, calendarView (+delta),
/subscriptions, $batch, and the sandbox-only actions of people in Outlook."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from addin.sandbox.frame import BATCH_STEP, operation
from addin.sandbox.graph.invitees import ACTIONS
from addin.sandbox.graph.resources import GraphError, bad, json_response, request_window

if TYPE_CHECKING:
    from addin.sandbox.graph.app import Graph

V1 = "/v1.0"
BATCH_LIMIT = 20


def _body() -> Any:
    if not request.data:
        return None
    try:
        return json.loads(request.data)
    except ValueError:
        raise bad("Unable to read JSON request payload.", "BadRequest") from None


def register(app: Flask, graph: Graph) -> None:
    def events(user: str | None = None) -> Response:
        owner = graph.mailbox(user)
        if request.method == "POST":
            operation("events.create")
            return graph.create(owner, _body())
        operation("events.list")
        return graph.listing(owner, None)

    def event(item_id: str, user: str | None = None) -> Response:
        owner = graph.mailbox(user)
        operation({"GET": "events.get", "PATCH": "events.update",
                   "DELETE": "events.delete"}[request.method])
        if request.method == "GET":
            return json_response(200, graph.shape(graph.find(owner, item_id), owner))
        if request.method == "DELETE":
            return graph.delete(owner, item_id)
        return graph.update(owner, item_id, _body())

    def answer(item_id: str, action: str, user: str | None = None) -> Response:
        if action == "cancel":  # the organizer cancels a meeting (or one occurrence)
            operation("events.cancel")
            owner = graph.mailbox(user)
            if graph.find(owner, item_id).resource.get("organizer_email"):
                raise GraphError(400, "ErrorInvalidRequest", "Your request can't be "
                                 "completed. You need to be an organizer to cancel a "
                                 "meeting.")
            graph.delete(owner, item_id)
            return json_response(202)
        if action not in ACTIONS:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment "
                             f"'{action}'.")
        operation(f"events.{action}")
        return graph.respond(graph.mailbox(user), item_id, action, _body())

    def instances(item_id: str, user: str | None = None) -> Response:
        operation("events.instances")
        return graph.instances(graph.mailbox(user), item_id)

    def calendar_view(user: str | None = None) -> Response:
        operation("calendarView")
        return graph.listing(graph.mailbox(user), request_window())

    def delta(user: str | None = None) -> Response:
        operation("calendarView.delta")
        return graph.delta(graph.mailbox(user))

    for prefix, suffix in ((f"{V1}/me", ""), (f"{V1}/users/<user>", "_user")):
        app.add_url_rule(f"{prefix}/events", f"events{suffix}", events,
                         methods=["GET", "POST"])
        app.add_url_rule(f"{prefix}/calendar/events", f"calendar_events{suffix}", events,
                         methods=["GET", "POST"])
        app.add_url_rule(f"{prefix}/events/<item_id>", f"event{suffix}", event,
                         methods=["GET", "PATCH", "DELETE"])
        app.add_url_rule(f"{prefix}/events/<item_id>/instances", f"instances{suffix}",
                         instances)
        app.add_url_rule(f"{prefix}/events/<item_id>/<action>", f"answer{suffix}", answer,
                         methods=["POST"])
        app.add_url_rule(f"{prefix}/calendarView", f"calendar_view{suffix}", calendar_view)
        app.add_url_rule(f"{prefix}/calendarView/delta", f"delta{suffix}", delta)
        # the function-call form the SDKs send: calendarView/delta()
        app.add_url_rule(f"{prefix}/calendarView/delta()", f"delta_call{suffix}", delta)

    @app.route(f"{V1}/subscriptions", methods=["GET", "POST"])
    def subscriptions() -> Response:
        if request.method == "GET":
            operation("subscriptions.list")
            return graph.list_subscriptions()
        operation("subscriptions.create")
        return graph.subscribe(_body())

    @app.route(f"{V1}/subscriptions/<subscription_id>", methods=["PATCH", "DELETE"])
    def subscription(subscription_id: str) -> Response:
        operation(f"subscriptions.{request.method.lower()}")
        if request.method == "DELETE":
            return graph.unsubscribe(subscription_id)
        return graph.renew(subscription_id, _body())

    @app.post(f"{V1}/$batch")
    def batch() -> Response:
        operation("$batch")
        body = _body()
        parts = (body or {}).get("requests") if isinstance(body, dict) else None
        if not isinstance(parts, list) or not parts:
            raise bad("Invalid batch payload format.", "BadRequest")
        if len(parts) > BATCH_LIMIT:
            raise bad(f"Number of batch request steps exceeds the maximum of {BATCH_LIMIT}.",
                      "BadRequest")
        ids = [str(part.get("id", "")) if isinstance(part, dict) else "" for part in parts]
        if "" in ids or len(set(ids)) != len(ids):
            raise bad("Each batch request step needs a unique id.", "BadRequest")
        client = app.test_client()
        answers = []
        status_of: dict[str, int] = {}
        for part in parts:
            step = str(part["id"])
            depends = part.get("dependsOn") or []
            if not isinstance(depends, list) or any(str(d) not in status_of for d in depends):
                raise bad("dependsOn must name steps that come earlier in the batch.",
                          "BadRequest")
            if any(status_of[str(d)] >= 400 for d in depends):  # Graph: 424, not run
                status_of[step] = 424
                answers.append({"id": step, "status": 424, "body": {"error": {
                    "code": "FailedDependency",
                    "message": "A request this one depends on failed."}}})
                continue
            url = "/" + str(part.get("url", "")).lstrip("/")
            headers = {"Authorization": request.headers.get("Authorization", ""),
                       **(part.get("headers") or {})}
            # a step is part of the one request Graph counts: not counted again
            result = client.open(f"{V1}{url}", method=str(part.get("method", "GET")),
                                 headers=headers, json=part.get("body"),
                                 environ_overrides={BATCH_STEP: True})
            status_of[step] = result.status_code
            answer_headers = {"Content-Type": result.content_type or ""}
            if result.headers.get("Retry-After"):
                answer_headers["Retry-After"] = result.headers["Retry-After"]
            answers.append({"id": step, "status": result.status_code,
                            "headers": answer_headers, "body": result.get_json(silent=True)})
        operation("$batch")  # the steps ran in this app context and labelled it
        return json_response(200, {"responses": answers})

    # -- sandbox-only: what people do in Outlook itself ---------------------------------
    @app.post("/sandbox-ui/mailboxes/<email>/events/<item_id>/respond")
    def respond(email: str, item_id: str) -> Response:
        answer = _body() or {}
        if answer.get("response") not in ("accepted", "declined", "tentativelyAccepted",
                                          "none"):
            raise bad("response must be accepted, declined, tentativelyAccepted or none")
        owner = email.lower()
        with graph.store.lock:
            item = graph.find(owner, item_id)
            if item.resource.get("_seriesMasterId"):
                raise bad("Answer for the whole series: use the series master's id.")
            attendees = [dict(a) for a in item.resource.get("attendees") or []]
            hits = [a for a in attendees if a["emailAddress"]["address"].lower() ==
                    str(answer.get("email", "")).lower()]
            if not hits:
                raise GraphError(404, "ErrorItemNotFound", "no such attendee")
            hits[0]["status"] = {"response": answer["response"],
                                 "time": "2026-01-01T00:00:00Z"}
            resource = {**item.resource, "attendees": attendees,
                        "series_seq": graph.store.current_seq()}  # every instance shows it
            resource["changeKey"] = secrets.token_urlsafe(21)
            item = graph.store.put(owner, item_id, resource)
        graph.notify(owner, item, "updated")
        return json_response(200, graph.shape(item, owner))

    @app.post("/sandbox-ui/mailboxes/<email>/events/<item_id>/edit")
    def edit(email: str, item_id: str) -> Response:
        """The organizer edits the item in Outlook (Outlook emails like Graph does)."""
        return graph.update(email.lower(), item_id, _body())

    @app.post("/sandbox-ui/subscriptions/<subscription_id>/lifecycle")
    def lifecycle(subscription_id: str) -> Response:
        """Graph acting on a subscription by itself (body: {"lifecycleEvent": ...})."""
        return json_response(200, graph.lifecycle(
            subscription_id, str((_body() or {}).get("lifecycleEvent", ""))))

    @app.post("/sandbox-ui/mailboxes/<email>/expire-delta-tokens")
    def expire(email: str) -> Response:
        return json_response(200, {"expired": graph.store.expire_cursors(email)})
