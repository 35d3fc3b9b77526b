"""GET /api/openapi.json: the API described from the marshmallow schemas (apispec)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, current_app, jsonify

from addin import schemas
from addin.web import api

blueprint = Blueprint("openapi", __name__)
DOCUMENTED = (api.post_event, api.get_event, api.delete_event, api.put_attendees,
              api.post_record, api.records, api.context)


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="addin sidebar API", version="1.0.0", openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "The JSON API of the Outlook pane and the Gmail card. "
                             "Errors: {error: {code, message, fields?}}."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in ("EventCreateSchema", "EventViewSchema", "EventCancelledSchema",
                 "AttendeesUpdateSchema", "NewRecordSchema", "RecordCreatedSchema", "RecordSchema",
                 "ErrorEnvelopeSchema"):
        spec.components.schema(name.removesuffix("Schema"), schema=getattr(schemas, name))
    with current_app.test_request_context():
        for view in DOCUMENTED:
            spec.path(view=view, app=current_app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@blueprint.get("/api/openapi.json")
def openapi() -> Any:
    return jsonify(build_spec())
