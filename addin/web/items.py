"""The pane opened on a calendar item: ``GET /api/v1/mirrors?itemId=`` finds the Salesforce
Event mirrored from it; ``POST /api/v1/mirrors`` saves the item to Salesforce."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, fields, validate

from addin.container import current_container
from addin.errors import ApiError
from addin.services.calendar_items import mirror_of_item, save_calendar_item
from addin.web.api import public_view
from addin.web.auth import current_user

blueprint = Blueprint("items", __name__, url_prefix="/api/v1")
ITEM_ID = fields.String(required=True, validate=validate.Length(min=1, max=1024), metadata={
    "description": "The calendar item's id: Graph's (Office.js: convertToRestId of itemId, "
                   "REST v2.0), Google's event id or the EWS ItemId."})


class MirrorQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    itemId = ITEM_ID


class MirrorSaveSchema(Schema):
    """The calendar item to save; Name and Related To of the new Event, optionally."""

    class Meta:
        unknown = RAISE

    itemId = ITEM_ID
    timeZone = fields.String(validate=validate.Length(max=64), metadata={
        "description": "The mailbox's time zone (IANA or Windows name)."})
    whoId = fields.String(allow_none=True, validate=validate.Length(max=18))
    whatId = fields.String(allow_none=True, validate=validate.Length(max=18))


@blueprint.get("/mirrors")
def find_mirror() -> Any:
    """The Salesforce Event mirrored from a calendar item of the caller (the event view,
    attendees with their link and response), or 404 ``not_mirrored``.
    ---
    get:
      summary: The Salesforce Event of a calendar item
      parameters:
        - in: query
          schema: MirrorQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: EventViewSchema
    """
    item_id = MirrorQuerySchema().load(request.args.to_dict())["itemId"]
    return jsonify(public_view(mirror_of_item(current_container(), current_user(), item_id)))


@blueprint.post("/mirrors")
def save_item() -> Any:
    """Save a calendar item to Salesforce: its Event is created (exactly once) and the item
    becomes its mirror; the item's attendees are linked in Salesforce, nobody is emailed.
    ---
    post:
      summary: Save a calendar item to Salesforce
      requestBody:
        content:
          application/json:
            schema: MirrorSaveSchema
      responses:
        201:
          content:
            application/json:
              schema: EventViewSchema
        200:
          description: Saved before; the event view.
          content:
            application/json:
              schema: EventViewSchema
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("A JSON object with the itemId is required.",
                       fields={"itemId": "required"})
    data = MirrorSaveSchema().load(body)
    item_id = data.pop("itemId")
    status, view = save_calendar_item(current_container(), current_user(), item_id, data)
    return jsonify(public_view(view)), status
