"""The sObjects the sandbox org knows and their fields, as describe reports them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # id string email textarea picklist boolean datetime date int double reference
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    searchable: bool = False  # looked at by SOSL IN ALL FIELDS / NAME FIELDS
    custom: bool = False  # added to the org (Tooling API), name ends in __c
    external_id: bool = False  # upsert and read by it: /sobjects/{type}/{field}/{value}
    unique: bool = False  # no two records hold the same value (case-insensitive)

    @property
    def filterable(self) -> bool:
        """A long text area (textarea over 255 characters) can't be filtered in SOQL."""
        return not (self.type == "textarea" and self.length > 255)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "length": self.length,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "filterable": self.filterable,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "picklistValues": [{"value": v, "label": v, "active": True} for v in self.picklist],
            "custom": self.custom,
            "externalId": self.external_id,
            "unique": self.unique,
        }


@dataclass(frozen=True)
class SObjectSpec:
    name: str
    key_prefix: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    label: str = ""

    def field(self, name: str) -> FieldSpec | None:
        """Field lookup is case-insensitive, as in Salesforce."""
        return self._lower.get(name.lower())

    @cached_property
    def _lower(self) -> dict[str, FieldSpec]:
        return {k.lower(): v for k, v in self.fields.items()}

    def with_fields(self, extra: dict[str, FieldSpec]) -> SObjectSpec:
        """This sObject with the org's custom fields added."""
        return replace(self, fields={**self.fields, **extra}) if extra else self

    def relationship(self, name: str) -> FieldSpec | None:
        for spec in self.fields.values():
            if spec.relationship_name and spec.relationship_name.lower() == name.lower():
                return spec
        return None


def _ro(name: str, type_: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, type_, createable=False, updateable=False, **kw)


def _ref(name: str, to: tuple[str, ...], relationship: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "reference", length=18, reference_to=to,
                     relationship_name=relationship, **kw)


AUDIT = (
    _ro("Id", "id", length=18, nillable=False),
    _ro("IsDeleted", "boolean", nillable=False),
    _ro("CreatedDate", "datetime", nillable=False),
    _ro("CreatedById", "reference", length=18, reference_to=("User",),
        relationship_name="CreatedBy"),
    _ro("LastModifiedDate", "datetime", nillable=False),
    _ro("LastModifiedById", "reference", length=18, reference_to=("User",),
        relationship_name="LastModifiedBy"),
    _ro("SystemModstamp", "datetime", nillable=False),
)


def _sobject(name: str, prefix: str, *fields: FieldSpec, label: str = "") -> SObjectSpec:
    return SObjectSpec(name, prefix, {f.name: f for f in (*AUDIT, *fields)}, label or name)


PERSON = (
    FieldSpec("FirstName", "string", 40, searchable=True),
    FieldSpec("LastName", "string", 80, nillable=False, searchable=True),
    _ro("Name", "string", length=121, searchable=True),
    FieldSpec("Email", "email", 80, searchable=True),
    FieldSpec("Title", "string", 128, searchable=True),
    FieldSpec("Phone", "phone", 40, searchable=True),
)

SOBJECTS: dict[str, SObjectSpec] = {
    spec.name: spec
    for spec in (
        _sobject(
            "User", "005", *PERSON,
            FieldSpec("Username", "string", 80, searchable=True),
            FieldSpec("IsActive", "boolean"),
            FieldSpec("UserPreferencesLightningExperiencePreferred", "boolean"),
            FieldSpec("TimeZoneSidKey", "picklist", 40),
        ),
        _sobject(
            "Account", "001",
            FieldSpec("Name", "string", 255, nillable=False, searchable=True),
            FieldSpec("Website", "url", 255, searchable=True),
            FieldSpec("Phone", "phone", 40, searchable=True),
            _ref("OwnerId", ("User",), "Owner"),
        ),
        _sobject(
            "Contact", "003", *PERSON,
            _ref("AccountId", ("Account",), "Account"),
            _ref("OwnerId", ("User",), "Owner"),
        ),
        _sobject(
            "Lead", "00Q", *PERSON,
            FieldSpec("Company", "string", 255, nillable=False, searchable=True),
            FieldSpec("Status", "picklist", 40,
                      picklist=("Open - Not Contacted", "Working - Contacted",
                                "Closed - Converted", "Closed - Not Converted")),
            _ro("IsConverted", "boolean"),
            _ref("OwnerId", ("User",), "Owner"),
        ),
        _sobject(
            "Opportunity", "006",
            FieldSpec("Name", "string", 120, nillable=False, searchable=True),
            _ref("AccountId", ("Account",), "Account"),
            FieldSpec("StageName", "picklist", 40, nillable=False),
            FieldSpec("CloseDate", "date", nillable=False),
            FieldSpec("Amount", "currency"),
            _ref("OwnerId", ("User",), "Owner"),
        ),
        _sobject(
            "Case", "500",
            FieldSpec("Subject", "string", 255, searchable=True),
            _ro("CaseNumber", "string", length=30, searchable=True),
            FieldSpec("Status", "picklist", 40),
            _ref("AccountId", ("Account",), "Account"),
            _ref("ContactId", ("Contact",), "Contact"),
            _ref("OwnerId", ("User",), "Owner"),
        ),
        _sobject(
            "Event", "00U",
            FieldSpec("Subject", "combobox", 255, searchable=True),
            FieldSpec("StartDateTime", "datetime"),
            FieldSpec("EndDateTime", "datetime"),
            FieldSpec("ActivityDateTime", "datetime"),
            FieldSpec("ActivityDate", "date"),
            FieldSpec("EndDate", "date"),
            FieldSpec("DurationInMinutes", "int"),
            FieldSpec("IsAllDayEvent", "boolean"),
            FieldSpec("Location", "string", 255),
            FieldSpec("Description", "textarea", 32000),
            FieldSpec("ShowAs", "picklist", 40, picklist=("Busy", "OutOfOffice", "Free")),
            FieldSpec("IsPrivate", "boolean"),
            FieldSpec("IsReminderSet", "boolean"),
            FieldSpec("ReminderDateTime", "datetime"),
            FieldSpec("EventSubtype", "picklist", 40, picklist=("Event",)),
            _ref("WhoId", ("Contact", "Lead"), "Who"),
            _ref("WhatId", ("Account", "Opportunity", "Case"), "What"),
            _ref("OwnerId", ("User",), "Owner"),
            _ro("IsGroupEvent", "boolean"),
            _ro("GroupEventType", "picklist", length=40, picklist=("0", "1", "2")),
            _ro("IsChild", "boolean"),
            # Lightning event series (API 52.0+ creates them); Classic's recurrence is
            # shown read-only and never set by this sandbox
            FieldSpec("IsRecurrence2", "boolean"),
            FieldSpec("Recurrence2PatternText", "textarea", 512),
            FieldSpec("Recurrence2PatternStartDate", "datetime"),
            FieldSpec("Recurrence2PatternTimeZone", "string", 255),
            _ro("Recurrence2PatternVersion", "picklist", length=40, picklist=("1",)),
            _ro("IsRecurrence2Exception", "boolean"),
            _ro("IsRecurrence2Exclusion", "boolean"),
            _ro("IsRecurrence", "boolean"),
            _ro("RecurrenceActivityId", "reference", length=18, reference_to=("Event",),
                relationship_name="RecurrenceActivity"),
        ),
        _sobject(
            "EventRelation", "0RE",
            FieldSpec("EventId", "reference", 18, reference_to=("Event",),
                      relationship_name="Event", updateable=False, nillable=False),
            FieldSpec("RelationId", "reference", 18, reference_to=("User", "Contact", "Lead",
                                                                    "Account", "Opportunity",
                                                                    "Case"),
                      relationship_name="Relation", updateable=False, nillable=False),
            FieldSpec("IsInvitee", "boolean"),
            FieldSpec("IsParent", "boolean"),
            FieldSpec("IsWhat", "boolean"),
            FieldSpec("Status", "picklist", 40, picklist=("New", "Accepted", "Declined")),
            FieldSpec("Response", "string", 255),
            FieldSpec("RespondedDate", "datetime"),
        ),
    )
}

# parent sObject -> child relationship name -> (child sObject, its field naming the parent)
CHILD_RELATIONSHIPS: dict[str, dict[str, tuple[str, str]]] = {
    "Event": {"EventRelations": ("EventRelation", "EventId")},
    "Account": {"Contacts": ("Contact", "AccountId"),
                "Opportunities": ("Opportunity", "AccountId"), "Cases": ("Case", "AccountId")},
    "Contact": {"Cases": ("Case", "ContactId")},
}

PREFIX_TO_SOBJECT = {spec.key_prefix: name for name, spec in SOBJECTS.items()}

# The fields every polymorphic "Name" relationship (Who, What, Owner, Relation) exposes.
NAME_FIELDS = ("Id", "Name", "Email", "FirstName", "LastName", "Title", "Type", "Phone")


def sobject_of_id(record_id: str) -> str | None:
    return PREFIX_TO_SOBJECT.get(record_id[:3])
