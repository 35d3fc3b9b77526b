"""The Gmail add-on over HTTP: homepage and open-message triggers and widget actions,
answering with card JSON. Every request is verified (Google-signed ID tokens).

The person is the user ID token's ``sub`` (never its email), a user from their first
request on. Until they have connected Salesforce, and then their Google Calendar (the
add-on's own token is not enough for background sync), every answer is Google's
authorization prompt for it; after authorizing, the add-on reloads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import select

from addin import gmail_cards as cards
from addin.connections import NotConnected
from addin.container import Container, container
from addin.errors import ApiError, Unauthorized, ValidationFailed
from addin.gmail_status_card import status_button
from addin.identity import CurrentUser, GoogleIdentity, user_for_google
from addin.oauth import endpoints
from addin.providers.registry import open_salesforce
from addin.providers.salesforce import SalesforceError
from addin.schemas import EARLIEST, LATEST, check_calendar_limits
from addin.services.attendees import create_record_for_attendee, set_attendees
from addin.services.cancellation import cancel_event
from addin.services.event_creation import create_event
from addin.services.events import get_event_view, stored_event_view
from addin.store.models import Connection
from addin.web.auth import bearer_token
from addin.web.connect import connect_url
from addin.web.errors import client_message, flatten_messages
from addin.web.google_tokens import verify_google_id_token

blueprint = Blueprint("gmail", __name__, url_prefix="/gmail")


class Caller:
    def __init__(self, event: dict[str, Any], user: CurrentUser, email: str):
        self.event = event
        self.user = user
        self.email = email
        common = event.get("commonEventObject") or {}
        zone = (common.get("timeZone") or {})
        try:
            self.zone = ZoneInfo(str(zone.get("id") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")
        self.zone_id = self.zone.key
        self.offset_minutes = int(zone.get("offset") or 0) // 60000


def _caller(services: Container) -> Caller:
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        raise ApiError("A Google Workspace add-on event object is required.")
    token = bearer_token()
    if token is None:
        raise Unauthorized("The add-on's system ID token is missing.")
    audience = services.settings.public_url.rstrip("/") + request.path
    verify_google_id_token(services, token, audience=audience,
                           email=services.settings.google_addon_service_account)
    user_token = (event.get("authorizationEventObject") or {}).get("userIdToken")
    if not user_token:
        raise Unauthorized("The user's ID token is missing from the event.")
    claims = verify_google_id_token(services, str(user_token),
                                    audience=endpoints(services, "google").client_id)
    email = str(claims["email"])
    if not claims.get("sub"):
        raise Unauthorized("The user's ID token has no subject.", code="invalid_token")
    user = user_for_google(services, GoogleIdentity(
        sub=str(claims["sub"]), name=str(claims.get("name") or ""), email=email,
        hosted_domain=str(claims["hd"]) if claims.get("hd") else None))
    return Caller(event, user, email)


def _url(name: str) -> str:
    return f"{container().settings.public_url.rstrip('/')}/gmail/{name}"


def _defaults(caller: Caller) -> dict[str, Any]:
    start = datetime.now(caller.zone).replace(minute=0, second=0, microsecond=0) + \
        timedelta(hours=1)
    return {"start": start, "end": start + timedelta(minutes=30), "showAs": "busy",
            "reminderMinutes": "15"}


SETUP = (("salesforce", "Salesforce"), ("google", "Google Calendar"))


def _setup_prompt(services: Container, user: CurrentUser,
                  missing: str | None = None) -> dict[str, Any] | None:
    """Google's authorization prompt for the first service the user has not connected
    (``missing``: known to be missing), or None when they are set up."""
    with services.db.session() as session:
        connected = set(session.scalars(select(Connection.service).where(
            Connection.user_id == user.id)))
    if missing:
        connected.discard(missing)
    for service, resource in SETUP:
        if service == "google" and user.calendar_provider != "google":
            continue
        if service not in connected:
            return cards.authorization_prompt(connect_url(services, user.id, service),
                                              resource)
    return None


@blueprint.post("/homepage")
def homepage() -> Any:
    services = container()
    caller = _caller(services)
    prompt = _setup_prompt(services, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    card = cards.create_card(values=_defaults(caller), action_url=_url("actions/create"),
                             offset_minutes=caller.offset_minutes, who_options=[],
                             what_options=[])
    # [status helper, issue #14] the way to the sync status card
    card["sections"].append(status_button(_url("status")))
    return jsonify(cards.push(card))


@blueprint.post("/message")
def message() -> Any:
    services = container()
    caller = _caller(services)
    prompt = _setup_prompt(services, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    headers = _message_headers(services, caller.event)
    values = {**_defaults(caller), "subject": headers.get("subject", "")}
    emails = [e for e in _addresses(headers) if e.lower() != caller.email.lower()]
    try:
        salesforce = open_salesforce(services, caller.user)
        people = salesforce.find_people_by_emails(emails) if emails else {}
    except NotConnected as exc:
        return jsonify(_setup_prompt(services, caller.user, exc.service))
    except SalesforceError:
        people = {}
    who = [(p.id, f"{p.name} ({p.type})") for e in emails for p in people.get(e.lower(), [])
           if p.type in ("Contact", "Lead")]
    what: list[tuple[str, str]] = []
    account = next((p.account_name for e in emails for p in people.get(e.lower(), [])
                    if p.account_name), None)
    if account:
        try:
            what = [(r.id, f"{r.name} ({r.type})") for r in salesforce.search_records(
                account, ["Account", "Opportunity"], 5)]
        except SalesforceError:
            what = []
    if who:
        values["whoId"] = who[0][0]
    if what:
        values["whatId"] = what[0][0]
    card = cards.create_card(values=values, action_url=_url("actions/create"),
                             offset_minutes=caller.offset_minutes, who_options=who,
                             what_options=what)
    return jsonify(cards.push(card))


@blueprint.post("/actions/<name>")
def action(name: str) -> Any:
    services = container()
    caller = _caller(services)
    prompt = _setup_prompt(services, caller.user)
    if prompt is not None:
        return jsonify(prompt)
    if name == "new":
        return jsonify(cards.update(cards.create_card(
            values=_defaults(caller), action_url=_url("actions/create"),
            offset_minutes=caller.offset_minutes, who_options=[], what_options=[])))
    if name == "attendees":
        return jsonify(_attendees_action(services, caller))
    if name == "cancel":
        return jsonify(_cancel_action(services, caller))
    if name == "create-contact":
        return jsonify(_create_contact_action(services, caller))
    if name != "create":
        raise ApiError(f"Unknown action {name!r}.", status=404, code="not_found")
    inputs = _form_inputs(caller)
    body = _api_body(inputs, caller)
    key = "gmail:" + hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()
                                    ).hexdigest()
    try:
        check_calendar_limits(body, caller.user.calendar_provider)
        status, view = create_event(services, caller.user, body, key)
    except (ValidationError, ValidationFailed) as exc:
        fields = flatten_messages(exc.messages) if isinstance(exc, ValidationError) else \
            dict(exc.fields or {})
        values = {**inputs, "start": _moment(inputs.get("start")),
                  "end": _moment(inputs.get("end"))}
        card = cards.create_card(values=values, action_url=_url("actions/create"),
                                 offset_minutes=caller.offset_minutes,
                                 who_options=_kept(inputs, "whoId"),
                                 what_options=_kept(inputs, "whatId"), errors=fields)
        names = ", ".join(cards.LABELS.get(f, f) for f in fields)
        return jsonify(cards.update(card, f"Please check: {names}"))
    except ApiError as exc:
        if exc.code == "not_connected":
            service = next(iter(exc.fields or {}), "salesforce")
            return jsonify(_setup_prompt(services, caller.user, service))
        message, _ = client_message(exc)
        return jsonify(cards.update(cards.message_card("Not created", message), message))
    if status == 202:  # Salesforce did not confirm yet: kept, and created once later
        detail = view["sync"]["detail"]
        return jsonify(cards.update(cards.message_card("Saved, not created yet", detail),
                                    detail))
    return jsonify(cards.update(cards.result_card(view, _url("actions/new"),
                                                  _url("actions/attendees")),
                                "Event created"))


def _attendees_action(services: Container, caller: Caller) -> dict[str, Any]:
    """Add the typed attendee, or remove the one whose Remove button was pressed."""
    parameters = (caller.event.get("commonEventObject") or {}).get("parameters") or {}
    event_id = str(parameters.get("eventId", ""))
    view = get_event_view(services, caller.user, event_id)
    attendees = [{"email": a["email"], "name": a.get("name"), "optional": a.get("optional")}
                 for a in view["attendees"]]
    if parameters.get("remove"):
        gone = str(parameters["remove"]).lower()
        attendees = [a for a in attendees if a["email"].lower() != gone]
        note = f"Removed {parameters['remove']}"
    else:
        email = str(_form_inputs(caller).get("attendeeEmail", "")).strip()
        attendees.append({"email": email, "name": None, "optional": False})
        note = f"Invited {email}"
    user = caller.user
    return _attendee_change(services, caller, view, lambda: set_attendees(
        services, user, event_id, attendees), note, "Not added")


def _attendee_change(services: Container, caller: Caller, view: dict[str, Any],
                     change: Callable[[], dict[str, Any]], note: str, refused: str
                     ) -> dict[str, Any]:
    """Run an attendee change (it returns the Salesforce Event) and show the card after
    it, or the card before it with what was refused."""
    try:
        record = change()
    except ValidationFailed as exc:
        message = next(iter((exc.fields or {}).values()), exc.message)
        card = cards.result_card(view, _url("actions/new"), _url("actions/attendees"),
                                 error=str(message))
        return cards.update(card, f"{refused}: {message}")
    fresh = stored_event_view(services, caller.user, view["event"]["id"], record)
    return cards.update(cards.result_card(fresh, _url("actions/new"),
                                          _url("actions/attendees")), note)


def _create_contact_action(services: Container, caller: Caller) -> dict[str, Any]:
    """The one-click "Create Contact" of an unlinked attendee (named from the attendee's
    name, or the address before the @)."""
    parameters = (caller.event.get("commonEventObject") or {}).get("parameters") or {}
    event_id, email = str(parameters.get("eventId", "")), str(parameters.get("email", ""))
    view = get_event_view(services, caller.user, event_id)
    attendee = next((a for a in view["attendees"] if a["email"].lower() == email.lower()),
                    None)
    words = ((attendee or {}).get("name") or email.split("@")[0]).split()
    first, last = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else ("", words[0])
    user = caller.user
    return _attendee_change(services, caller, view, lambda: create_record_for_attendee(
        services, user, {"eventId": event_id, "email": email, "type": "Contact",
                         "firstName": first, "lastName": last})[1],
        f"Contact created for {email}", "Not created")


def _cancel_action(services: Container, caller: Caller) -> dict[str, Any]:
    """Cancel event: ask first, then cancel and say who was told ("Keep it" goes back)."""
    parameters = (caller.event.get("commonEventObject") or {}).get("parameters") or {}
    event_id = str(parameters.get("eventId", ""))
    if not parameters.get("confirm"):
        view = get_event_view(services, caller.user, event_id)
        if parameters.get("keep"):
            return cards.update(cards.result_card(view, _url("actions/new"),
                                                  _url("actions/attendees")), "Kept")
        return cards.update(cards.cancel_confirm_card(view, _url("actions/cancel")))
    done = cancel_event(services, caller.user, event_id)
    told = (f"Cancellation sent to {', '.join(done['cancellationsSentTo'])}."
            if done["cancellationsSentTo"] else "Nobody needed telling.")
    if done["notToldByAnyone"]:
        told += (f" Salesforce invited {', '.join(done['notToldByAnyone'])}; let them know "
                 "yourself.")
    card = cards.message_card("Event cancelled", told)
    return cards.update(card, "Event cancelled")


def _message_headers(services: Container, event: dict[str, Any]) -> dict[str, str]:
    gmail = event.get("gmail") or {}
    auth = event.get("authorizationEventObject") or {}
    if not gmail.get("messageId") or not auth.get("userOAuthToken"):
        return {}
    session = services.session_for("gmail")
    url = (f"{services.settings.upstream_urls['gmail']}/gmail/v1/users/me/messages/"
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


def _form_inputs(caller: Caller) -> dict[str, Any]:
    raw = (caller.event.get("commonEventObject") or {}).get("formInputs") or {}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, dict):
            continue
        if "stringInputs" in value:
            strings = (value["stringInputs"] or {}).get("value") or []
            values[name] = strings[0] if strings else ""
        elif "dateTimeInput" in value or "dateInput" in value:
            picked = value.get("dateTimeInput") or value.get("dateInput") or {}
            values[name] = _integer(picked.get("msSinceEpoch") if isinstance(picked, dict)
                                    else None)
    return values


def _integer(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _moment(ms: Any) -> datetime | None:
    """A date picker's value; None when it is no instant (the form then names the field)."""
    if not isinstance(ms, int):
        return None
    try:
        moment = datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if EARLIEST <= moment <= LATEST else None


def _api_body(inputs: dict[str, Any], caller: Caller) -> dict[str, Any]:
    all_day = inputs.get("isAllDay") == "true"
    body: dict[str, Any] = {"subject": inputs.get("subject", ""), "isAllDay": all_day,
                            "timeZone": caller.zone_id,
                            "location": inputs.get("location", ""),
                            "description": inputs.get("description", ""),
                            "showAs": inputs.get("showAs") or "busy"}
    for field in ("start", "end"):
        moment = _moment(inputs.get(field))
        if moment is None:
            body[field] = ""
        elif all_day:
            body[field] = moment.astimezone(caller.zone).date().isoformat()
        else:
            body[field] = moment.isoformat()
    if inputs.get("reminderMinutes"):
        reminder = _integer(inputs["reminderMinutes"])
        body["reminderMinutes"] = inputs["reminderMinutes"] if reminder is None else reminder
    for field in ("whoId", "whatId"):
        if inputs.get(field):
            body[field] = inputs[field]
    return body


def _kept(inputs: dict[str, Any], field: str) -> list[tuple[str, str]]:
    return [(inputs[field], inputs[field])] if inputs.get(field) else []
