"""The Gmail card's actions on a created Event: its result card (what was saved, in the
user's zone), the attendee editor, the edit-Contact card of an unlinked attendee and
cancelling. Each answers Google's renderActions with the card to show next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError

from addin.container import Container
from addin.errors import UpstreamUnavailable, ValidationFailed
from addin.services.attendees import set_attendees
from addin.services.cancellation import cancel_event
from addin.services.events import get_event_view, stored_event_view
from addin.services.record_drafts import save_person
from addin.services.record_schemas import NewRecordSchema
from addin.services.records_lookup import draft, record_names
from addin.services.upstream_errors import SALESFORCE_FAILED, salesforce_errors
from addin.web.errors import as_api_errors, flatten_messages
from addin.web.gmail import cards as cards
from addin.web.gmail import record_cards as record_cards
from addin.web.gmail.request import Caller, action_url, form_inputs


def result_actions() -> cards.ResultActions:
    return cards.ResultActions(another=action_url("actions/new"),
                               attendees=action_url("actions/attendees"),
                               create_contact=action_url("actions/create-contact"),
                               cancel=action_url("actions/cancel"))


def result_card(container: Container, caller: Caller, view: dict[str, Any],
                error: str | None = None) -> dict[str, Any]:
    """The result card: the Event's Name and Related To by name (one Salesforce request
    when it has them), times in the caller's zone."""
    names = record_names(container, caller.user, view["event"])
    return cards.result_card(view, result_actions(), zone=caller.zone, names=names,
                             error=error)


def attendees_action(container: Container, caller: Caller) -> dict[str, Any]:
    """Add the typed attendee, or remove the one whose Remove button was pressed."""
    parameters = caller.parameters
    event_id = str(parameters.get("eventId", ""))
    view = get_event_view(container, caller.user, event_id)
    attendees = [{"email": a["email"], "name": a.get("name"), "optional": a.get("optional")}
                 for a in view["attendees"]]
    if parameters.get("remove"):
        gone = str(parameters["remove"]).lower()
        attendees = [a for a in attendees if a["email"].lower() != gone]
        note = f"Removed {parameters['remove']}"
    else:
        email = str(form_inputs(caller).get("attendeeEmail", "")).strip()
        attendees.append({"email": email, "name": None, "optional": False})
        note = f"Invited {email}"
    user = caller.user
    return _attendee_change(container, caller, view, lambda: set_attendees(
        container, user, event_id, attendees), note, "Not added")


def _attendee_change(container: Container, caller: Caller, view: dict[str, Any],
                     change: Callable[[], dict[str, Any]], note: str, refused: str
                     ) -> dict[str, Any]:
    """Run an attendee change (it returns the Salesforce Event) and show the card after
    it, or the card before it with what was refused."""
    try:
        with as_api_errors():
            record = change()
    except ValidationFailed as exc:
        message = next(iter((exc.fields or {}).values()), exc.message)
        return cards.update(result_card(container, caller, view, error=str(message)),
                            f"{refused}: {message}")
    except UpstreamUnavailable as exc:  # nothing written: the same click can come again
        return cards.update(result_card(container, caller, view, error=exc.message),
                            f"{refused}: {exc.message}")
    fresh = stored_event_view(container, caller.user, view["event"]["id"], record)
    return cards.update(result_card(container, caller, fresh), note)


def _attendee(view: dict[str, Any], email: str) -> dict[str, Any] | None:
    return next((a for a in view["attendees"] if a["email"].lower() == email.lower()), None)


def create_contact_action(container: Container, caller: Caller) -> dict[str, Any]:
    """"Create Contact" of an unlinked attendee: the edit-Contact card, prefilled from the
    draft (names from the attendee's name or address, Account from the domain)."""
    event_id, email = str(caller.parameters.get("eventId", "")), str(
        caller.parameters.get("email", ""))
    view = get_event_view(container, caller.user, event_id)
    attendee = _attendee(view, email)
    if attendee is None or attendee.get("record"):
        return cards.update(result_card(container, caller, view),
                            f"{email} is not an unlinked attendee of this event")
    try:
        prefilled = draft(container, caller.user, attendee["email"], attendee.get("name"),
                          "Contact")
    except SALESFORCE_FAILED:
        return cards.update(result_card(container, caller, view),
                            "Salesforce is not available right now; try again.")
    return cards.update(record_cards.record_form_card(
        prefilled, event_id=event_id, save_url=action_url("actions/save-contact"),
        back_url=action_url("actions/contact-back")))


def save_contact_action(container: Container, caller: Caller) -> dict[str, Any]:
    """Save what the rep edited in the edit-Contact card; a refusal comes back as the
    card with each field's error in its label and nothing typed lost."""
    event_id, email = str(caller.parameters.get("eventId", "")), str(
        caller.parameters.get("email", ""))
    inputs = form_inputs(caller)
    body = record_cards.record_body(inputs, event_id, email)
    errors: dict[str, str] = {}
    try:
        data = NewRecordSchema().load(body)
        with as_api_errors():
            try:
                with salesforce_errors():
                    _, record = save_person(container, caller.user, data)
            except SALESFORCE_FAILED:
                errors = {"_salesforce": "Salesforce is not available right now; try again."}
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
    except ValidationFailed as exc:
        errors = {k: str(v) for k, v in (exc.fields or {}).items()} or {"_": exc.message}
    if errors:
        try:  # the Account choices again
            prefilled = draft(container, caller.user, email, None, body["type"])
        except SALESFORCE_FAILED:
            prefilled = {"email": email, "accounts": [], "account": None,
                         "newAccountName": ""}
        form = {**prefilled, **{k: inputs.get(k, "") for k in ("firstName", "lastName",
                                                              "company", "newAccountName")},
                "type": body["type"], "accountChoice": str(inputs.get("accountChoice", ""))}
        names = ", ".join(record_cards.FIELD_LABELS.get(f, f) for f in errors
                          if f in record_cards.FIELD_LABELS)
        card = record_cards.record_form_card(
            form, event_id=event_id, save_url=action_url("actions/save-contact"),
            back_url=action_url("actions/contact-back"), errors=errors)
        return cards.update(card, f"Please check: {names}" if names else
                            next(iter(errors.values())))
    view = stored_event_view(container, caller.user, event_id, record)
    return cards.update(result_card(container, caller, view),
                        f"{body['type']} created for {email}")


def contact_back_action(container: Container, caller: Caller) -> dict[str, Any]:
    """Cancel on the edit-Contact card: back to the result card, nothing saved."""
    view = get_event_view(container, caller.user, str(caller.parameters.get("eventId", "")))
    return cards.update(result_card(container, caller, view))


def cancel_action(container: Container, caller: Caller) -> dict[str, Any]:
    """Cancel event: ask first, then cancel and say who was told ("Keep it" goes back)."""
    parameters = caller.parameters
    event_id = str(parameters.get("eventId", ""))
    if not parameters.get("confirm"):
        view = get_event_view(container, caller.user, event_id)
        if parameters.get("keep"):
            return cards.update(result_card(container, caller, view), "Kept")
        return cards.update(cards.cancel_confirm_card(view, action_url("actions/cancel")))
    done = cancel_event(container, caller.user, event_id)
    told = (f"Cancellation sent to {', '.join(done['cancellationsSentTo'])}."
            if done["cancellationsSentTo"] else "Nobody needed telling.")
    if done["notToldByAnyone"]:
        told += (f" Salesforce invited {', '.join(done['notToldByAnyone'])}; let them know "
                 "yourself.")
    return cards.update(cards.message_card("Event cancelled", told), "Event cancelled")
