"""The Gmail add-on over HTTP: homepage and open-message triggers and widget actions,
answering with card JSON. Every request is verified (Google-signed ID tokens).

The person is the user ID token's ``sub`` (never its email), a user from their first
request on. Until they have connected Salesforce, and then their Google Calendar (the
add-on's own token is not enough for background sync), every answer is Google's
authorization prompt for it; after authorizing, the add-on reloads."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from email.utils import getaddresses
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError

from addin.accounts.connections import NotConnected
from addin.accounts.identity import CurrentUser
from addin.container import Container, current_container
from addin.errors import ApiError, ValidationFailed
from addin.services import people
from addin.services import records_lookup as lookup
from addin.services.event_creation import create_event
from addin.services.schemas import check_calendar_limits
from addin.services.upstream_errors import SALESFORCE_FAILED
from addin.web.connect import connect_url
from addin.web.errors import as_api_errors, client_message, flatten_messages
from addin.web.gmail import cards as cards
from addin.web.gmail import event_actions as event_actions
from addin.web.gmail.repeat import form_values, recurrence_of
from addin.web.gmail.request import (
    Caller,
    action_url,
    form_inputs,
    integer,
    moment,
    read_caller,
)
from addin.web.gmail.status_card import status_button

blueprint = Blueprint("gmail", __name__, url_prefix="/gmail")
LOOKUP_URLS = ("actions/search", "actions/suggest")


def _defaults(caller: Caller) -> dict[str, Any]:
    start = datetime.now(caller.zone).replace(minute=0, second=0, microsecond=0) + \
        timedelta(hours=1)
    return {"start": start, "end": start + timedelta(minutes=30), "showAs": "busy",
            "reminderMinutes": "15"}


def _create_card(caller: Caller, values: dict[str, Any],
                 options: dict[str, list[tuple[str, str]]] | None = None,
                 errors: dict[str, str] | None = None) -> dict[str, Any]:
    options = options or {}
    return cards.create_card(
        values=values, action_url=action_url("actions/create"),
        offset_minutes=caller.offset_minutes, who_options=options.get("whoId", []),
        what_options=options.get("whatId", []), errors=errors,
        lookup_urls=cards.LookupUrls(*(action_url(u) for u in LOOKUP_URLS)))


SETUP = (("salesforce", "Salesforce"), ("google", "Google Calendar"))


def _setup_prompt(container: Container, user: CurrentUser,
                  missing: str | None = None) -> dict[str, Any] | None:
    """Google's authorization prompt for the first service the user has not connected
    (``missing``: known to be missing), or None when they are set up."""
    connected = people.connected_services(container, user.id)
    if missing:
        connected.discard(missing)
    for service, resource in SETUP:
        if service == "google" and user.calendar_provider != "google":
            continue
        if service not in connected:
            return cards.authorization_prompt(connect_url(container, user.id, service),
                                              resource)
    return None


@blueprint.post("/homepage")
def homepage() -> Any:
    container = current_container()
    caller = read_caller(container)
    prompt = _setup_prompt(container, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    card = _create_card(caller, _defaults(caller))
    # the way to the sync status card (what synced, what waits, what failed)
    card["sections"].append(status_button(action_url("status")))
    return jsonify(cards.push(card))


@blueprint.post("/message")
def message() -> Any:
    container = current_container()
    caller = read_caller(container)
    prompt = _setup_prompt(container, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    headers = _message_headers(container, caller.event)
    values = {**_defaults(caller), "subject": headers.get("subject", "")}
    emails = [e for e in _addresses(headers) if e.lower() != caller.email.lower()]
    try:
        who, what = lookup.message_matches(container, caller.user, emails)
    except NotConnected as exc:
        return jsonify(_setup_prompt(container, caller.user, exc.service))
    if who:
        values["whoId"] = who[0][0]
        values["whoSearch"] = who[0][1].rsplit(" (", 1)[0]
    if what:
        values["whatId"] = what[0][0]
        values["whatSearch"] = what[0][1].rsplit(" (", 1)[0]
    return jsonify(cards.push(_create_card(caller, values, {"whoId": who, "whatId": what})))


ACTIONS = {"attendees": event_actions.attendees_action, "cancel": event_actions.cancel_action,
           "create-contact": event_actions.create_contact_action,
           "save-contact": event_actions.save_contact_action,
           "contact-back": event_actions.contact_back_action}


@blueprint.post("/actions/<name>")
def action(name: str) -> Any:
    container = current_container()
    caller = read_caller(container)
    prompt = _setup_prompt(container, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    if name == "new":
        return jsonify(cards.update(_create_card(caller, _defaults(caller))))
    if name in ACTIONS:
        return jsonify(ACTIONS[name](container, caller))
    if name == "search":
        return jsonify(_search_action(container, caller))
    if name == "suggest":
        return jsonify(_suggest_action(container, caller))
    if name != "create":
        raise ApiError(f"Unknown action {name!r}.", status=404, code="not_found")
    inputs = form_inputs(caller)
    values = _values(caller, inputs)
    try:
        options, lookup_errors = lookup.resolve(container, caller.user, values)
    except NotConnected as exc:
        return jsonify(_setup_prompt(container, caller.user, exc.service))
    if lookup_errors:  # a typed but unpicked Name / Related To is never dropped
        names = ", ".join(cards.LABELS[f] for f in lookup_errors)
        return jsonify(cards.update(_create_card(caller, values, options, lookup_errors),
                                    f"Please check: {names}"))
    body = _api_body(values, caller)
    start = values.get("start")  # the weekday of a weekly rule: the user's, not UTC's
    local_start = start.astimezone(caller.zone).isoformat() if isinstance(start, datetime) \
        else body["start"]
    recurrence = recurrence_of(values, local_start)  # the Repeat field: a series or None
    if recurrence:  # a series: its rule travels with the Event
        body["recurrence"] = recurrence
    key = "gmail:" + hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()
                                    ).hexdigest()
    try:
        check_calendar_limits(body, caller.user.calendar_provider)
        with as_api_errors():
            status, view = create_event(container, caller.user, body, key)
    except (ValidationError, ValidationFailed) as exc:
        fields = flatten_messages(exc.messages) if isinstance(exc, ValidationError) else \
            dict(exc.fields or {})
        card = _create_card(caller, values, options, fields)
        names = ", ".join(cards.LABELS.get(f, f) for f in fields)
        return jsonify(cards.update(card, f"Please check: {names}"))
    except ApiError as exc:
        if exc.code == "not_connected":
            service = next(iter(exc.fields or {}), "salesforce")
            return jsonify(_setup_prompt(container, caller.user, service))
        message, _ = client_message(exc)
        return jsonify(cards.update(cards.message_card("Not created", message), message))
    if status == 202:  # Salesforce did not confirm yet: kept, and created once later
        detail = view["sync"]["detail"]
        return jsonify(cards.update(cards.message_card("Saved, not created yet", detail),
                                    detail))
    return jsonify(cards.update(event_actions.result_card(container, caller, view),
                                "Event created"))


def _values(caller: Caller, inputs: dict[str, Any]) -> dict[str, Any]:
    """The Create card's form inputs as the card shows them again (pickers as instants,
    the Repeat choices of addin/web/gmail/repeat.py)."""
    return {**inputs, **form_values(caller.event), "start": moment(inputs.get("start")),
            "end": moment(inputs.get("end"))}


def _search_action(container: Container, caller: Caller) -> dict[str, Any]:
    """A lookup's search text changed: the Create card again, everything typed kept, with
    the records it finds to pick from (the first picked)."""
    field = str(caller.parameters.get("field", ""))
    if field not in lookup.SEARCH_INPUT:
        raise ApiError("Unknown lookup.", fields={"field": "whoId or whatId"})
    values = _values(caller, form_inputs(caller))
    typed = str(values.get(lookup.SEARCH_INPUT[field]) or "")
    options: dict[str, list[tuple[str, str]]] = {}
    other = "whatId" if field == "whoId" else "whoId"
    if values.get(other):  # the other lookup's pick stays as it was
        options[other] = [(str(values[other]), str(values.get(lookup.SEARCH_INPUT[other])
                                                   or values[other]))]
    errors: dict[str, str] = {}
    try:
        options[field] = lookup.matches(container, caller.user, field, typed)
    except SALESFORCE_FAILED:
        errors[field] = "Salesforce could not be searched just now; try again."
    values[field] = options[field][0][0] if options.get(field) else ""
    if typed.strip() and not options.get(field) and not errors:
        errors[field] = f"No {lookup.WHAT[field]} matches \u201c{typed.strip()}\u201d."
    return cards.update(_create_card(caller, values, options, errors))


def _suggest_action(container: Container, caller: Caller) -> dict[str, Any]:
    """Type-ahead for a lookup's search input."""
    field = str(caller.parameters.get("field", ""))
    if field not in lookup.SEARCH_INPUT:
        raise ApiError("Unknown lookup.", fields={"field": "whoId or whatId"})
    typed = str(form_inputs(caller).get(lookup.SEARCH_INPUT[field]) or "")
    try:
        texts = lookup.suggestion_texts(container, caller.user, field, typed)
    except SALESFORCE_FAILED:
        texts = []
    return cards.suggestions(texts)


def _message_headers(container: Container, event: dict[str, Any]) -> dict[str, str]:
    gmail = event.get("gmail") or {}
    auth = event.get("authorizationEventObject") or {}
    if not gmail.get("messageId") or not auth.get("userOAuthToken"):
        return {}
    session = container.session_for("gmail")
    url = (f"{container.settings.upstream_urls['gmail']}/gmail/v1/users/me/messages/"
           f"{gmail['messageId']}")
    response = session.get(url, params=[("format", "metadata"), ("metadataHeaders", "Subject"),
                                        ("metadataHeaders", "From"), ("metadataHeaders", "To"),
                                        ("metadataHeaders", "Cc")],
                           headers={"Authorization": f"Bearer {auth['userOAuthToken']}",
                                    "X-Goog-Gmail-Access-Token": str(gmail.get("accessToken",
                                                                               ""))})
    if not response.ok:
        return {}
    return {h["name"].lower(): h["value"] for h in
            (response.json().get("payload") or {}).get("headers", [])}


def _addresses(headers: dict[str, str]) -> list[str]:
    found = getaddresses([headers.get(k, "") for k in ("from", "to", "cc")])
    return list(dict.fromkeys(address for _, address in found if "@" in address))


def _api_body(inputs: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """The API's create body from the card's values (``_values``: pickers as instants)."""
    all_day = inputs.get("isAllDay") == "true"
    body: dict[str, Any] = {"subject": inputs.get("subject", ""), "isAllDay": all_day,
                            "timeZone": caller.zone_id,
                            "location": inputs.get("location", ""),
                            "description": inputs.get("description", ""),
                            "showAs": inputs.get("showAs") or "busy"}
    for field in ("start", "end"):
        at = inputs.get(field)
        if not isinstance(at, datetime):
            body[field] = ""
        elif all_day:
            body[field] = at.astimezone(caller.zone).date().isoformat()
        else:
            body[field] = at.isoformat()
    if inputs.get("reminderMinutes"):
        reminder = integer(inputs["reminderMinutes"])
        body["reminderMinutes"] = inputs["reminderMinutes"] if reminder is None else reminder
    for field in ("whoId", "whatId"):
        if inputs.get(field):
            body[field] = inputs[field]
    return body
