"""Push notifications from Microsoft Graph, Google Calendar and Exchange (EWS).

All are answered fast (Graph wants 202 within 3 s, its validation echo within 10 s) and
only record that the user needs a sync; a background job does the work.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, request

from addin.container import current_container
from addin.errors import ValidationFailed
from addin.services.push import is_own_write, lifecycle_event, request_sync, subscriber_of
from addin.services.push_intake import ews_answer, read_ews_notification

log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/graph")
def graph_notifications() -> Any:
    token = request.args.get("validationToken")
    if token is not None:  # the subscription handshake: echo the token as plain text
        return Response(token, status=200, mimetype="text/plain")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise ValidationFailed("A Graph change notification is a JSON object with a "
                               "value list.", fields={"value": "a list of notifications"})
    container = current_container()
    for notification in body["value"]:
        if not isinstance(notification, dict):
            continue
        user_id = subscriber_of(container, "graph", str(notification.get("subscriptionId")),
                                notification.get("clientState"))
        if user_id is None:
            log.warning("discarded a Graph notification with an unknown subscription or "
                        "a wrong clientState")
            continue
        event = notification.get("lifecycleEvent")
        if event:  # Graph acting on the subscription itself
            reason = lifecycle_event(container, str(notification["subscriptionId"]), str(event))
            request_sync(container, user_id, reason)
            continue
        data = notification.get("resourceData")
        data = data if isinstance(data, dict) else {}
        if notification.get("changeType") != "deleted" and is_own_write(
                container, user_id, str(data.get("id") or ""), str(data.get("@odata.etag") or "")):
            continue  # the echo of the product's own write: nothing to sync
        request_sync(container, user_id, f"graph:{notification.get('changeType', 'changed')}")
    _wake_worker()
    return Response(status=202)


@blueprint.post("/google")
def google_notifications() -> Any:
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    state = request.headers.get("X-Goog-Resource-State", "")
    container = current_container()
    user_id = subscriber_of(container, "google", channel_id,
                            request.headers.get("X-Goog-Channel-Token"))
    if user_id is None:
        # the "sync" message can arrive before the new channel is stored: expected
        (log.debug if state == "sync" else log.warning)(
            "discarded a Google %s notification for an unknown channel or token", state)
        return Response(status=204)
    if state != "sync":  # "sync" only announces the channel
        request_sync(container, user_id, f"google:{state or 'changed'}")
        _wake_worker()
    return Response(status=204)


@blueprint.post("/ews")
def ews_notifications() -> Any:
    """An EWS SendNotification; the secret is the callback URL's clientState. The answer
    keeps the subscription (OK) or, for one the product does not hold, ends it."""
    note = read_ews_notification(request.get_data())
    if note is None:
        return Response(status=400)
    container = current_container()
    user_id = subscriber_of(container, "ews", note.subscription_id,
                            request.args.get("clientState"))
    if user_id is None:
        log.warning("ended an EWS push subscription the product does not hold (or a "
                    "notification with a wrong clientState)")
        return Response(ews_answer(keep=False), mimetype="text/xml")
    # a status ping only says the subscription is alive; a change whose item carries the
    # ChangeKey the product stored after its own write is its echo
    news = [c for c in note.items if c.kind == "DeletedEvent"
            or not is_own_write(container, user_id, c.item_id, c.change_key)]
    if not note.is_status_only and (news or len(note.items) < len(note.changes)):
        request_sync(container, user_id, f"ews:{note.changes[0]}")
        _wake_worker()
    return Response(ews_answer(keep=True), mimetype="text/xml")


def _wake_worker() -> None:
    """Hand the sync requests to the job engine now: Procrastinate queues a pass per
    mailbox (one at most), the in-process runner starts its next round."""
    try:
        current_container().job_queue().sync_requested()
    except Exception:  # the requests are recorded: the periodic dispatch queues them
        log.exception("could not queue the sync jobs now")
