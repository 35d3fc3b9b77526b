"""Admin-only API: the organization's sync settings, its Salesforce setup and the
Microsoft 365 tenants it accepts."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from addin.container import current_container
from addin.errors import Forbidden
from addin.services import organizations
from addin.services.org_settings import (
    DELETE_PROPAGATION,
    GRAPH_CLASSIC_POLICIES,
    SYNC_DIRECTIONS,
    load_org_settings,
    update_org_settings,
)
from addin.services.salesforce_setup import install_request_id_field
from addin.web.auth import CurrentUser, current_user

blueprint = Blueprint("admin", __name__, url_prefix="/api/v1/admin")

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class OrgSettingsPatchSchema(Schema):
    """The settings to change (any of them); the answer is every setting."""

    syncDirection = fields.String(validate=validate.OneOf(SYNC_DIRECTIONS))
    graphClassicPolicy = fields.String(validate=validate.OneOf(GRAPH_CLASSIC_POLICIES))
    deletePropagation = fields.String(validate=validate.OneOf(DELETE_PROPAGATION))
    ignoredDomains = fields.List(fields.String(validate=validate.Length(max=253)),
                                 validate=validate.Length(max=500))
    pollIntervalSeconds = fields.Integer(validate=validate.Range(min=15, max=86400))

    @validates("ignoredDomains")
    def _domains(self, value: list[str], **_: Any) -> None:
        bad = [d for d in value if not DOMAIN.match(d.strip().lower())]
        if bad:
            raise ValidationError(f"not a domain name: {', '.join(bad[:5])}")


def _admin() -> CurrentUser:
    user = current_user()
    if not user.is_admin:
        raise Forbidden("Only an administrator of the organization can do this.")
    return user


class OrgSettingsSchema(OrgSettingsPatchSchema):
    """The organization's sync settings as they are in effect."""

    syncDirection = fields.String(required=True, validate=validate.OneOf(SYNC_DIRECTIONS))
    graphClassicPolicy = fields.String(required=True,
                                       validate=validate.OneOf(GRAPH_CLASSIC_POLICIES))
    deletePropagation = fields.String(required=True,
                                      validate=validate.OneOf(DELETE_PROPAGATION))
    ignoredDomains = fields.List(fields.String(), required=True)
    pollIntervalSeconds = fields.Integer(required=True)
    requestIdField = fields.Boolean(
        required=True, metadata={"description": "The org has the External ID field that "
                                 "makes creates retry-safe (POST /api/v1/admin/"
                                 "salesforce-setup sets it)."})


@blueprint.get("/settings")
def get_settings() -> Any:
    """The organization's sync settings (administrators only).
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: OrgSettingsSchema
    """
    user = _admin()
    return jsonify(load_org_settings(current_container(), user.organization_id).as_json())


@blueprint.patch("/settings")
def patch_settings() -> Any:
    """Change some of the organization's sync settings (administrators only).
    ---
    patch:
      requestBody:
        content:
          application/json:
            schema: OrgSettingsPatchSchema
      responses:
        200:
          content:
            application/json:
              schema: OrgSettingsSchema
    """
    user = _admin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["A JSON object is required."]})
    changes = OrgSettingsPatchSchema().load(body)
    if "ignoredDomains" in changes:
        changes["ignoredDomains"] = sorted({d.strip().lower() for d in changes["ignoredDomains"]})
    effective = update_org_settings(current_container(), user.organization_id, changes)
    return jsonify(effective.as_json())


class SalesforceUsageSchema(Schema):
    """The organization's Salesforce API use (today, UTC) and how syncing adapts to it."""

    day = fields.Date(required=True)
    requestsByProduct = fields.Integer(required=True, metadata={
        "description": "Salesforce requests the product made for the organization today, "
                       "counted by every process."})
    apiUsage = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The org's use in the last 24 hours as Salesforce last reported it "
                       "(Sforce-Limit-Info api-usage, every integration included)."})
    apiLimit = fields.Integer(allow_none=True, required=True)
    percent = fields.Float(allow_none=True, required=True)
    reportedAt = fields.DateTime(allow_none=True, required=True)
    syncing = fields.String(required=True, validate=validate.OneOf(
        ("normal", "slow", "stop")), metadata={
        "description": "normal; slow: polls spaced out and backfills deferred; stop: only "
                       "passes a person or a notification asked for."})
    slowAbovePercent = fields.Float(required=True)
    stopAbovePercent = fields.Float(required=True)


@blueprint.get("/salesforce-usage")
def salesforce_usage() -> Any:
    """The organization's Salesforce API budget as the product sees it (administrators only).
    ---
    get:
      responses:
        200:
          content:
            application/json:
              schema: SalesforceUsageSchema
    """
    user = _admin()
    return jsonify(SalesforceUsageSchema().dump(
        organizations.salesforce_usage(current_container(), user.organization_id)))


@blueprint.post("/salesforce-setup")
def salesforce_setup() -> Any:
    """Install what makes creates retry-safe in the organization's Salesforce: the External
    ID field ``Addin_Request_Id__c`` on Activity (one Tooling API request, with the admin's
    own connection, which needs Customize Application). Afterwards every create is an
    upsert by its request id: a retried create can never make a second Event.
    ---
    post:
      summary: Add the request-id External ID field to the org's Salesforce
      responses:
        200:
          description: The field was added, or was there already; the effective settings.
        403:
          description: Not an administrator, or Salesforce refused (no Customize
            Application permission).
    """
    user = _admin()
    container = current_container()
    added = install_request_id_field(container, user)
    effective = update_org_settings(container, user.organization_id, {"requestIdField": True})
    return jsonify({"requestIdField": "added" if added else "already there",
                    "settings": effective.as_json()})


class TenantsSchema(Schema):
    allowedTenantIds = fields.List(fields.UUID(), required=True,
                                   validate=validate.Length(max=100))


@blueprint.get("/tenants")
def get_tenants() -> Any:
    """The Microsoft 365 tenant the organization is bound to, and the other tenants whose
    people it accepts (e.g. a subsidiary's).
    ---
    get:
      summary: The organization's Microsoft 365 tenants
      responses:
        200:
          description: "{tenantId, allowedTenantIds}"
        403:
          description: Not an administrator.
    """
    user = _admin()
    return jsonify(organizations.tenants(current_container(), user.organization_id))


@blueprint.put("/tenants")
def put_tenants() -> Any:
    """Which other tenants' people the organization accepts (each as their own tenant +
    object id).
    ---
    put:
      summary: Set the other Microsoft 365 tenants the organization accepts
      responses:
        200:
          description: "{tenantId, allowedTenantIds}"
        400:
          description: allowedTenantIds is not a list of tenant ids (GUIDs).
        403:
          description: Not an administrator.
    """
    user = _admin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["A JSON object is required."]})
    allowed = sorted({str(t).lower() for t in TenantsSchema().load(body)["allowedTenantIds"]})
    return jsonify(organizations.set_allowed_tenants(current_container(), user.organization_id,
                                                     allowed))
