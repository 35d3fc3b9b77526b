"""``POST /gmail/status``: the Gmail add-on's sync status card, and its Retry buttons
(parameters ``retry``: ``pass`` | ``outbox`` | ``mirror``, and ``id``). Requests are
verified as every Gmail add-on request is (addin/web/gmail/routes.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify

from addin.container import current_container
from addin.errors import ApiError, scrub
from addin.services.sync_pass import sync_user
from addin.services.sync_status import retry_mirror, retry_operation, user_status
from addin.web.errors import as_api_errors, client_message
from addin.web.gmail import cards as cards
from addin.web.gmail.request import Caller, action_url, read_caller
from addin.web.gmail.routes import _setup_prompt
from addin.web.gmail.status_card import status_card

log = logging.getLogger(__name__)
blueprint = Blueprint("gmail_status", __name__)


def _retry(caller: Caller, kind: str, target: str) -> str:
    """Run the Retry; the notification the person reads."""
    container, user = current_container(), caller.user
    if kind == "pass":
        try:
            report = sync_user(container, user.id, "retry")
        except Exception as exc:  # the pass's failure is recorded and shown on the card
            log.warning("sync retry from Gmail failed: %s", exc)
            return "The sync failed again; see Errors."
        return f"Synced: {len(report.reconciled)} changed, {len(report.failed)} failed."
    if kind == "outbox" and target.isdigit():
        done = retry_operation(container, user.id, int(target))
        return f"Retried: {done['operation']['state']}."
    if kind == "mirror" and target:
        done = retry_mirror(container, user, target)
        return "Added to your calendar." if done["state"] == "mirrored" else \
            scrub(str(done["detail"] or "Not added yet."))
    raise ApiError("Unknown retry.", fields={"retry": "pass, outbox or mirror with an id"})


@blueprint.post("/gmail/status")
def gmail_status() -> Any:
    container = current_container()
    caller = read_caller(container)
    prompt = _setup_prompt(container, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    parameters = (caller.event.get("commonEventObject") or {}).get("parameters") or {}
    zone = caller.zone
    if not parameters.get("retry"):
        card = status_card(user_status(container, caller.user.id), action_url("status"), zone)
        return jsonify(cards.push(card))
    try:
        with as_api_errors():
            note = _retry(caller, str(parameters["retry"]), str(parameters.get("id") or ""))
    except ApiError as exc:
        note, _ = client_message(exc)
    card = status_card(user_status(container, caller.user.id), action_url("status"), zone)
    return jsonify(cards.update(card, note))
