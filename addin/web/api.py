"""The JSON API of the sidebar, /api/v1 (bearer token). Schemas: addin/services/schemas.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request

from addin.accounts.connections import NotConnected
from addin.container import current_container
from addin.errors import ApiError, scrub
from addin.services import records_lookup
from addin.services.attendees import set_attendees
from addin.services.cancellation import cancel_event
from addin.services.event_creation import create_event
from addin.services.events import get_event_view, stored_event_view
from addin.services.occurrence_attendees import set_occurrence_attendees
from addin.services.org_settings import load_org_settings
from addin.services.record_drafts import save_person
from addin.services.schemas import (
    AttendeesUpdateSchema,
    ContextQuerySchema,
    NewRecordSchema,
    RecordDraftQuerySchema,
    RecordsQuerySchema,
    check_calendar_limits,
)
from addin.services.upstream_errors import upstream_errors
from addin.web.auth import current_user

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


T = TypeVar("T")


def _salesforce(action: Callable[[], T]) -> T:
    """A call that opens the user's Salesforce client: 409 when it is not connected."""
    try:
        return action()
    except NotConnected:
        raise ApiError("Connect your Salesforce account first.", status=409,
                       code="not_connected", fields={"salesforce": "not connected"}) from None


@blueprint.post("/events")
def post_event() -> Any:
    """Create a Salesforce Event and its calendar appointment.
    ---
    post:
      summary: Create an Event from the Create dialog
      parameters:
        - in: header
          name: Idempotency-Key
          schema: {type: string}
      requestBody:
        content:
          application/json:
            schema: EventCreateSchema
            example: {subject: Discovery call, start: "2026-12-02T15:00:00+01:00",
                      end: "2026-12-02T15:45:00+01:00", timeZone: Europe/Paris,
                      whoId: 003000000000001AAA, showAs: busy}
      responses:
        201:
          content:
            application/json:
              schema: EventViewSchema
        202:
          description: Salesforce did not confirm the create (a 429, a 5xx, a timeout);
            what was typed is kept and created exactly once as soon as Salesforce answers.
            A retry with the same Idempotency-Key gets the 201 once it is done.
          content:
            application/json:
              schema: EventAcceptedSchema
        400:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("A JSON object is required.", fields={"_schema": "JSON object"})
    user = current_user()
    check_calendar_limits(body, user.calendar_provider)  # before anything is created
    status, view = create_event(current_container(), user, body,
                                request.headers.get("Idempotency-Key"))
    return jsonify(public_view(view)), status


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    """An event view as a client sees it: ``sync.detail`` (stored from upstream errors)
    without upstream hosts, ports or paths."""
    sync = view.get("sync")
    if isinstance(sync, dict) and sync.get("detail"):
        view = {**view, "sync": {**sync, "detail": scrub(str(sync["detail"]))}}
    return view


@blueprint.get("/events/<event_id>")
def get_event(event_id: str) -> Any:
    """The event, current on both sides.
    ---
    get:
      parameters:
        - in: path
          name: event_id
          schema: {type: string}
      responses:
        200:
          content:
            application/json:
              schema: EventViewSchema
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    return jsonify(public_view(get_event_view(current_container(), current_user(), event_id)))


@blueprint.delete("/events/<event_id>")
def delete_event(event_id: str) -> Any:
    """Cancel the event: the calendar's server cancels the meeting for its attendees, the
    Salesforce Event is deleted. Answers who was told, and who nobody could tell.
    ---
    delete:
      parameters:
        - in: path
          name: event_id
          schema: {type: string}
      responses:
        200:
          content:
            application/json:
              schema: EventCancelledSchema
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
        503:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    cancelled = cancel_event(current_container(), current_user(), event_id)
    if cancelled.get("detail"):
        cancelled = {**cancelled, "detail": scrub(str(cancelled["detail"]))}
    return jsonify(cancelled)


@blueprint.put("/events/<event_id>/attendees")
def put_attendees(event_id: str) -> Any:
    """Make the event's attendee list exactly this (the sidebar's attendee editor): only
    the added people are invited and the removed ones cancelled.
    ---
    put:
      parameters:
        - in: path
          name: event_id
          schema: {type: string}
      requestBody:
        content:
          application/json:
            schema: AttendeesUpdateSchema
      responses:
        200:
          content:
            application/json:
              schema: EventViewSchema
        400:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
        409:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    attendees = _attendees_in_request()
    return jsonify(public_view(_set_attendees(event_id, attendees)))


def _attendees_in_request() -> list[dict[str, Any]]:
    """The attendee list a PUT carries, validated (400 naming the wrong field)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("A JSON object with an attendees list is required.",
                       fields={"attendees": "a list of {email, name?, optional?}"})
    return list(AttendeesUpdateSchema().load(body)["attendees"])


@blueprint.put("/events/<event_id>/occurrences/<occurrence_id>/attendees")
def put_occurrence_attendees(event_id: str, occurrence_id: str) -> Any:
    """Make ONE occurrence's attendee list exactly this (a series; ``occurrence_id`` is the
    occurrence's Salesforce Event id): the calendar invites the added people to that
    occurrence only, once; the series and its other occurrences are untouched.
    ---
    put:
      parameters:
        - in: path
          name: event_id
          schema: {type: string}
        - in: path
          name: occurrence_id
          schema: {type: string}
      requestBody:
        content:
          application/json:
            schema: AttendeesUpdateSchema
      responses:
        200:
          content:
            application/json:
              schema: OccurrenceAttendeesSchema
        400:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
        404:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
        409:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    attendees = _attendees_in_request()
    container, user = current_container(), current_user()
    return jsonify(_upstream(lambda: set_occurrence_attendees(
        container, user, event_id, occurrence_id, attendees)))


def _set_attendees(event_id: str, attendees: list[dict[str, Any]]) -> dict[str, Any]:
    container, user = current_container(), current_user()
    record = _upstream(lambda: set_attendees(container, user, event_id, attendees))
    return stored_event_view(container, user, event_id, record)


def _upstream(action: Callable[[], T]) -> T:
    """Upstream failures of an attendee change, as the API reports them (the domain's
    errors of ``services.upstream_errors``)."""
    with upstream_errors():
        return action()


@blueprint.post("/records")
def post_record() -> Any:
    """Save the Contact or Lead the rep edited (from GET /records/draft) for an unlinked
    attendee, with a new Account if one is named, and link it to the event.
    ---
    post:
      requestBody:
        content:
          application/json:
            schema: NewRecordSchema
            example: {eventId: 00U000000000001AAA, email: raj.patel@newco.example,
                      type: Contact, firstName: Raj, lastName: Patel,
                      newAccountName: Newco}
      responses:
        201:
          content:
            application/json:
              schema: RecordCreatedSchema
        400:
          content:
            application/json:
              schema: ErrorEnvelopeSchema
    """
    container, user = current_container(), current_user()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("A JSON object is required.", fields={"_schema": "JSON object"})
    data = NewRecordSchema().load(body)
    _salesforce(lambda: records_lookup.connected(container, user))  # 409: not connected
    record_id, event = _upstream(lambda: save_person(container, user, data))
    view = public_view(stored_event_view(container, user, data["eventId"], event))
    return jsonify({"id": record_id, "type": data["type"], "event": view}), 201


@blueprint.get("/records/draft")
def record_draft() -> Any:
    """The prefilled Contact or Lead of an attendee, for the rep to edit before saving:
    first and last name from the display name (or the address), the Account from the
    address's domain (an existing one matched, else a new one offered; never for free
    mail).
    ---
    get:
      parameters:
        - in: query
          schema: RecordDraftQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: RecordDraftSchema
    """
    query = RecordDraftQuerySchema().load(request.args.to_dict())
    container, user = current_container(), current_user()
    draft = _salesforce(lambda: records_lookup.draft(container, user, query["email"],
                                                     query["name"], query["type"]))
    return jsonify(draft)


@blueprint.get("/records")
def records() -> Any:
    """Lookups for the Name (WhoId) and Related To (WhatId) fields.
    ---
    get:
      parameters:
        - in: query
          schema: RecordsQuerySchema
      responses:
        200:
          content:
            application/json:
              schema:
                type: array
                items: RecordSchema
    """
    query = RecordsQuerySchema().load(request.args.to_dict())
    container, user = current_container(), current_user()
    found = _salesforce(lambda: records_lookup.search(container, user, query["q"],
                                                      query["types"], query["limit"]))
    return jsonify([_record(r) for r in found])


@blueprint.get("/context")
def context() -> Any:
    """Salesforce records matching the open email's participants (sender first).
    ---
    get:
      parameters:
        - in: query
          schema: ContextQuerySchema
      responses:
        200:
          description: participants in the order given, with their records
    """
    container, user = current_container(), current_user()
    emails = ContextQuerySchema().load(request.args.to_dict())["emails"]
    ignored = set(load_org_settings(container, user.organization_id).ignored_domains)
    ignored.add(user.email.rsplit("@", 1)[-1].lower())
    wanted = [e for e in emails if e.rsplit("@", 1)[-1].lower() not in ignored]
    found = _salesforce(lambda: records_lookup.find_people(container, user, wanted)) \
        if wanted else {}
    participants = []
    for email in dict.fromkeys(emails):
        key = email.lower()
        people = found.get(key, [])
        participants.append({
            "email": email, "ignored": key not in {w.lower() for w in wanted},
            "records": [{"id": p.id, "type": p.type, "name": p.name, "email": p.email,
                         "account": p.account_name} for p in people]})
    return jsonify({"participants": participants})


def _record(record: Any) -> dict[str, Any]:
    data = {"id": record.id, "type": record.type, "name": record.name}
    if record.email:
        data["email"] = record.email
    if record.account:
        data["account"] = record.account
    return data
