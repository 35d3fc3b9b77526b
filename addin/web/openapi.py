"""GET /api/openapi.json: the API described from the marshmallow schemas (apispec)."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, current_app, jsonify

from addin.services import schemas
from addin.web import admin, api, items
from addin.web import status as sync_status

blueprint = Blueprint("openapi", __name__)
DOCUMENTED = (api.post_event, api.get_event, api.delete_event, api.put_attendees,
              api.put_occurrence_attendees, api.post_record, api.record_draft, api.records,
              api.context, admin.get_settings, admin.patch_settings, admin.salesforce_usage,
              sync_status.status, sync_status.sync_now, sync_status.retry_outbox,
              sync_status.retry_failed_mirror, sync_status.admin_status, items.find_mirror,
              items.save_item)
# Every operation can answer these (in the error envelope); an operation adds its own.
ERRORS = {
    "400": "Invalid input: `error.fields` names each wrong field (also a JSON body nested "
           "deeper than 32 levels: `too_deeply_nested`).",
    "401": "No valid bearer token.",
    "409": "A connection is missing (`not_connected`, e.g. Salesforce), or the event "
           "changed meanwhile (`changed_meanwhile`).",
    "413": "The request body is larger than 1 MiB (`payload_too_large`).",
    "503": "An upstream service (Salesforce, the calendar) is unavailable; try again. "
           "`error.reference` identifies the failure in the server's log.",
}
OWN_ERRORS = {
    "post_event": {"422": "The Idempotency-Key was used before with a different body.",
                   "409": "A connection is missing (`not_connected`), or a request with "
                          "this Idempotency-Key is still in progress (`in_progress`, with "
                          "`Retry-After`): it is never done twice."},
    "get_event": {"404": "No such event (or not yours)."},
    "delete_event": {"404": "No such event (or not yours)."},
    "put_attendees": {"404": "No such event (or not yours)."},
    "post_record": {"404": "No such event (or not yours)."},
    "get_settings": {"403": "Administrators only."},
    "patch_settings": {"403": "Administrators only."},
    "salesforce_usage": {"403": "Administrators only."},
    "status": {"403": "Another user's status: administrators only.",
               "404": "No such user in the organization."},
    "retry_outbox": {"404": "No such operation (or not yours)."},
    "retry_failed_mirror": {"404": "No such event (or not yours)."},
    "admin_status": {"403": "Administrators only."},
    "find_mirror": {"404": "No Salesforce Event is mirrored from the item (`not_mirrored`)."},
    "save_item": {"404": "No such item in the caller's calendar.",
                  "409": "A connection is missing (`not_connected`), the caller is not the "
                         "organizer (`not_organizer`), the meeting was cancelled "
                         "(`cancelled`), or the same item is being saved (`in_progress`)."},
}


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="addin sidebar API", version="1.0.0", openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "The JSON API of the Outlook pane and the Gmail card. "
                             "Errors: {error: {code, message, fields?}}."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("OrgSettings", schema=admin.OrgSettingsSchema)
    spec.components.schema("OrgSettingsPatch", schema=admin.OrgSettingsPatchSchema)
    spec.components.schema("SalesforceUsage", schema=admin.SalesforceUsageSchema)
    for name in ("EventCreateSchema", "EventViewSchema", "EventAcceptedSchema",
                 "EventCancelledSchema",
                 "AttendeesUpdateSchema", "OccurrenceAttendeesSchema", "NewRecordSchema",
                 "RecordCreatedSchema", "RecordSchema", "RecordDraftSchema",
                 "ErrorEnvelopeSchema"):
        spec.components.schema(name.removesuffix("Schema"), schema=getattr(schemas, name))
    with current_app.test_request_context():
        for view in DOCUMENTED:
            spec.path(view=view, app=current_app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    for view in DOCUMENTED:
        _operation(document, view.__name__)["operationId"] = view.__name__
        _document_errors(document, view.__name__)
    _types_parameter(document)
    return document


def _operation(document: dict[str, Any], view_name: str) -> dict[str, Any]:
    """The operation of one of the API's views in the document."""
    rule = next(r for r in current_app.url_map.iter_rules()
                if r.endpoint.split(".")[-1] == view_name
                and r.endpoint.split(".")[0] in (api.blueprint.name, admin.blueprint.name,
                                               sync_status.blueprint.name,
                                               items.blueprint.name))
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
    method = next(iter(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))).lower()
    operation: dict[str, Any] = document["paths"][path][method]
    return operation


def _document_errors(document: dict[str, Any], view_name: str) -> None:
    operation = _operation(document, view_name)
    responses = operation.setdefault("responses", {})
    for status, text in {**ERRORS, **OWN_ERRORS.get(view_name, {})}.items():
        responses[status] = {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    for status, response in responses.items():
        response.setdefault("description", "OK" if status.startswith("2") else "Error")


def _types_parameter(document: dict[str, Any]) -> None:
    """Lists in the query string, comma-separated: ``types`` of the records lookup (record
    types) and ``emails`` of the context lookup."""
    for parameter in _operation(document, "records").get("parameters", []):
        if parameter["name"] == "types":
            parameter.update(style="form", explode=False, schema={
                "type": "array", "minItems": 1, "uniqueItems": True,
                "items": {"type": "string", "enum": list(schemas.RecordsQuerySchema.ALLOWED)},
                "default": ["Contact", "Lead", "Account", "Opportunity"]})
    for parameter in _operation(document, "context").get("parameters", []):
        if parameter["name"] == "emails":  # comma-separated addresses
            parameter.update(style="form", explode=False, schema={
                "type": "array", "minItems": 1, "maxItems": 100,
                "items": {"type": "string", "format": "email"}})


@blueprint.get("/api/openapi.json")
def openapi() -> Any:
    return jsonify(build_spec())
