"""Schemas of the records endpoints: the draft of an attendee's Contact or Lead, and the
record the rep saves from it (marshmallow; also in the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

EVENT_ID = r"^00U[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$"
ACCOUNT_ID = r"^001[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$"
PERSON_TYPES = ("Contact", "Lead")


def _text(max_length: int, what: str, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(
        max=max_length, error=f"{what} can be at most {max_length} characters."), **kwargs)


class NewRecordSchema(Schema):
    """The Contact or Lead the rep saves for an unlinked attendee (after editing the
    draft). A Contact's Account is an existing one (``accountId``) or a new one created
    with it (``newAccountName``), or none."""

    class Meta:
        unknown = RAISE

    eventId = fields.String(required=True, validate=validate.Regexp(
        EVENT_ID, error="Not a Salesforce Event id."))
    email = fields.Email(required=True, error_messages={
        "invalid": "Enter an email address like name@example.com."})
    type = fields.String(required=True, validate=validate.OneOf(
        PERSON_TYPES, error="Choose Contact or Lead."))
    firstName = _text(40, "The first name", load_default="")
    lastName = fields.String(required=True, validate=[
        validate.Length(min=1, error="Enter a last name."),
        validate.Length(max=80, error="The last name can be at most 80 characters.")],
        error_messages={"required": "Enter a last name.", "null": "Enter a last name."})
    company = _text(255, "The company", load_default="")
    accountId = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        ACCOUNT_ID, error="Not a Salesforce Account id."))
    newAccountName = _text(255, "The Account name", load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, str] = {}
        if not (data.get("lastName") or "").strip():
            errors["lastName"] = "Enter a last name."
        if data.get("type") == "Lead":
            if not (data.get("company") or "").strip():
                errors["company"] = "A Lead needs a company."
            for field in ("accountId", "newAccountName"):
                if data.get(field):
                    errors[field] = "A Lead has a company, not an Account."
        elif data.get("accountId") and data.get("newAccountName"):
            errors["newAccountName"] = "Pick an existing Account or name a new one, not both."
        elif data.get("newAccountName") is not None and not data["newAccountName"].strip():
            errors["newAccountName"] = "Enter the new Account's name."
        if errors:
            raise ValidationError(errors)


class RecordDraftQuerySchema(Schema):
    """GET /api/v1/records/draft: whose record, and which kind."""

    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, error_messages={
        "invalid": "Enter an email address like name@example.com."})
    name = _text(255, "The name", load_default="")
    type = fields.String(load_default="Contact", validate=validate.OneOf(
        PERSON_TYPES, error="Choose Contact or Lead."))


class AccountChoiceSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    matchedBy = fields.String(required=True, validate=validate.OneOf(("website", "contacts")),
                              metadata={"description": "the Account's Website is the "
                                        "domain, or its Contacts have addresses there"})


class RecordDraftSchema(Schema):
    """The prefilled form: the rep edits it, then POSTs it to /api/v1/records."""

    type = fields.String(required=True)
    email = fields.String(required=True)
    firstName = fields.String(required=True)
    lastName = fields.String(required=True)
    company = fields.String(required=True, metadata={"description": "a Lead's company"})
    domain = fields.String(allow_none=True, required=True, metadata={
        "description": "the address's organisation domain; null for free mail"})
    account = fields.Nested(AccountChoiceSchema, allow_none=True, required=True,
                            metadata={"description": "the suggested existing Account"})
    accounts = fields.List(fields.Nested(AccountChoiceSchema), required=True)
    newAccountName = fields.String(allow_none=True, required=True, metadata={
        "description": "offered when no Account matches the domain"})
