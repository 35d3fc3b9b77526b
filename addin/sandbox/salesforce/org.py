"""The in-memory org: records, validation as Salesforce does it, EventRelation semantics
(invitees, related contacts, child events of invited Users), replication (getUpdated /
getDeleted) and the data the UI actions need."""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from addin.sandbox.salesforce.event_times import all_day_times, timed_times
from addin.sandbox.salesforce.schema import SOBJECTS, FieldSpec, SObjectSpec, sobject_of_id
from addin.sandbox.salesforce.series import MAX_SERIES_INVITEES, PATTERN_FIELDS, SeriesBook
from addin.sandbox.salesforce.values import (
    SalesforceApiError,
    bad_request,
    format_datetime,
    normalize_id,
    parse_date,
    parse_datetime,
)
from addin.sandbox.seed import SeedData, salesforce_id

MAX_INVITEES = 1000
MAX_RELATED_CONTACTS = 50
WHO_TYPES = ("Contact", "Lead")
WHAT_TYPES = ("Account", "Opportunity", "Case")


def blank(sobject: str) -> dict[str, Any]:
    """A record of that type: every field null, except booleans, which Salesforce never
    leaves null (they default to false)."""
    return {name: False if spec.type == "boolean" else None
            for name, spec in SOBJECTS[sobject].fields.items()}


def not_found() -> SalesforceApiError:
    return SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")


class Org:
    """All records of the sandbox org. Every public method takes the org lock."""

    def __init__(self, seed: SeedData, setting: Callable[[str], Any], first_number: int = 1000):
        self.lock = threading.RLock()
        self._setting = setting
        self.org_id = seed.org_id
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SOBJECTS}
        self.deleted: dict[str, dict[str, Any]] = {}  # id -> {"sobject", "deletedDate", ...}
        # the numbers behind new record ids: a different base per sandbox world
        self._counter = itertools.count(first_number)
        # fields an admin added through the Tooling API: sObject -> name -> spec
        self.custom_fields: dict[str, dict[str, FieldSpec]] = {}
        # users with Customize Application (the seeded admins): they may add fields
        self.admins = {user.id for user in seed.users if user.is_admin}
        # the change-event bus (change_events.py), attached by the app: wiring, not data
        self.changes: Any = None
        # Lightning event series (series.py): series id -> {Id, OwnerId, first, excluded}
        self.series: dict[str, dict[str, Any]] = {}
        self._load(seed)

    @property
    def series_book(self) -> SeriesBook:
        return SeriesBook(self)

    def setting(self, name: str) -> Any:
        return self._setting(name)

    # -- seeding --------------------------------------------------------------------
    def _load(self, seed: SeedData) -> None:
        admin = seed.users[0].id
        stamp = format_datetime(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        for user in seed.users:
            self._put("User", {
                "Id": user.id, "FirstName": user.first_name, "LastName": user.last_name,
                "Email": user.email, "Username": user.email, "IsActive": True,
                "UserPreferencesLightningExperiencePreferred": user.lightning,
                "TimeZoneSidKey": "Europe/London", "Title": "Account Executive",
            }, admin, stamp)
        for sobject, rows in (("Account", seed.accounts), ("Contact", seed.contacts),
                              ("Lead", seed.leads), ("Opportunity", seed.opportunities),
                              ("Case", seed.cases)):
            for row in rows:
                data = {"OwnerId": admin, **row}
                self._put(sobject, data, admin, row.get("LastModifiedDate", stamp))

    def _put(self, sobject: str, data: dict[str, Any], user_id: str, stamp: str) -> None:
        record = blank(sobject)
        record.update(data)
        record.update({"IsDeleted": False, "CreatedDate": stamp, "CreatedById": user_id,
                       "LastModifiedDate": data.get("LastModifiedDate", stamp),
                       "LastModifiedById": user_id, "SystemModstamp": stamp})
        self._derive_name(sobject, record)
        self.records[sobject][record["Id"]] = record

    # -- reading --------------------------------------------------------------------
    def spec(self, sobject: str) -> SObjectSpec:
        for name, spec in SOBJECTS.items():
            if name.lower() == sobject.lower():
                return spec.with_fields(self.custom_fields.get(name, {}))
        raise SalesforceApiError(404, "NOT_FOUND", f"The requested resource does not exist: "
                                 f"sObject type '{sobject}' is not supported.")

    def find(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        sobject = sobject_of_id(record_id)
        if sobject is None:
            return None
        record = self.records[sobject].get(record_id)
        return (sobject, record) if record is not None else None

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        spec = self.spec(sobject)
        record_id = normalize_id(record_id, "Id")
        record = self.records[spec.name].get(record_id)
        if record is None:
            raise not_found()
        return record

    def live(self, sobject: str, record_id: str) -> dict[str, Any]:
        """A record about to be changed: a deleted one answers ENTITY_IS_DELETED, as
        Salesforce does for an update or delete of a record in the recycle bin."""
        spec = self.spec(sobject)
        if normalize_id(record_id, "Id") in self.deleted:
            raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return self.get(spec.name, record_id)

    def all_records(self, sobject: str, include_deleted: bool = False
                    ) -> Iterator[dict[str, Any]]:
        yield from self.records[sobject].values()
        if include_deleted:
            for entry in self.deleted.values():
                if entry["sobject"] == sobject:
                    yield entry["record"]

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        for user in self.records["User"].values():
            if (user.get("Email") or "").lower() == email.lower():
                return user
        return None

    def by_external_id(self, sobject: str, field_name: str, value: str
                       ) -> tuple[SObjectSpec, FieldSpec, list[dict[str, Any]]]:
        """The records whose External ID field holds ``value`` (case-insensitive)."""
        spec = self.spec(sobject)
        field = spec.field(field_name)
        if field is None or not (field.external_id or field.name == "Id"):
            raise SalesforceApiError(404, "NOT_FOUND", f"Provided external ID field does not "
                                     f"exist or is not accessible: {field_name}")
        matches = [r for r in self.records[spec.name].values()
                   if str(r.get(field.name) or "").lower() == value.lower()]
        return spec, field, matches

    def new_id(self, prefix: str) -> str:
        return salesforce_id(prefix, next(self._counter))

    # -- setup ----------------------------------------------------------------------
    def add_custom_field(self, sobjects: tuple[str, ...], field: FieldSpec) -> None:
        for sobject in sobjects:
            if self.spec(sobject).field(field.name) is not None:
                raise bad_request("DUPLICATE_DEVELOPER_NAME",
                                  f"There is already a field named "
                                  f"{field.name.removesuffix('__c')} on {sobject}.", [])
        for sobject in sobjects:
            self.custom_fields.setdefault(sobject, {})[field.name] = field
            for record in self.records[sobject].values():
                record.setdefault(field.name, None)

    # -- writing --------------------------------------------------------------------
    def create(self, sobject: str, body: dict[str, Any], user_id: str) -> str:
        spec = self.spec(sobject)
        values = self._validated(spec, body, creating=True)
        self._check_unique(spec, values, None)
        record_id = salesforce_id(spec.key_prefix, next(self._counter))
        stamp = self._stamp()
        record = blank(spec.name)
        record.update({name: None for name in self.custom_fields.get(spec.name, {})})
        record.update({"Id": record_id, "IsDeleted": False, "CreatedDate": stamp,
                       "CreatedById": user_id, "LastModifiedDate": stamp,
                       "LastModifiedById": user_id, "SystemModstamp": stamp})
        if "OwnerId" in spec.fields:
            record["OwnerId"] = user_id
        if spec.name == "User":
            record["IsActive"] = True
        if spec.name == "Lead":
            record["IsConverted"] = False
        record.update(values)
        self._derive_name(spec.name, record)
        if spec.name == "Event":
            self._event_times(record, values, previous=None)
            if values.get("IsRecurrence2"):
                return self.series_book.create(record, values, user_id)
            given = [name for name in PATTERN_FIELDS if values.get(name) is not None]
            if given:
                raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"{given[0]}: only an event "
                                  "series (IsRecurrence2 true) has a recurrence pattern",
                                  given)
            self.records["Event"][record_id] = record
            self._sync_parent_rows(record)
            self._refresh_group(record)
        elif spec.name == "EventRelation":
            if "IsInvitee" not in values:  # a row is an invitee unless it says otherwise
                record["IsInvitee"] = not values.get("IsParent") and not values.get("IsWhat")
            record["Status"] = record.get("Status") or "New"
            self._check_relation(record)
            self.records["EventRelation"][record_id] = record
            self._after_relation_change(record, user_id)
        else:
            self.records[spec.name][record_id] = record
        self.publish_change(spec.name, "CREATE", record, [], user_id)
        return record_id

    def update(self, sobject: str, record_id: str, body: dict[str, Any], user_id: str) -> None:
        spec = self.spec(sobject)
        record = self.live(spec.name, record_id)
        values = self._validated(spec, body, creating=False)
        self._check_unique(spec, values, record_id)
        if spec.name == "Event" and record.get("IsChild"):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "You can't edit an event you were invited to; the organizer "
                              "owns it.", [])
        pattern_change = False
        if spec.name == "Event":
            values = self._series_values(record, values)
            pattern_change = self.series_book.is_pattern_change(record, values)
            if not pattern_change:
                values = {k: v for k, v in values.items() if k not in PATTERN_FIELDS}
        candidate = {**record, **values}
        if spec.name == "Event":
            self._event_times(candidate, values, previous=record)
            if pattern_change:
                self.series_book.change_pattern(record, candidate, values, user_id)
                return
            self.series_book.edit_occurrence(candidate, any(
                record.get(k) != candidate.get(k) for k in values))
        if spec.name == "EventRelation":
            self._check_relation(candidate)
        changed = [name for name, value in candidate.items() if record.get(name) != value]
        record.update(candidate)
        self._derive_name(spec.name, record)
        self._touch(record, user_id)
        if spec.name == "Event":
            self._sync_parent_rows(record)
            self._refresh_group(record)
            self._update_children(record)
        if spec.name == "EventRelation":
            self._after_relation_change(record, user_id)
        self.publish_change(spec.name, "UPDATE", record, [*changed, "LastModifiedDate"], user_id)

    def delete(self, sobject: str, record_id: str) -> None:
        spec = self.spec(sobject)
        record = self.live(spec.name, record_id)
        if spec.name == "Event":
            series = self.series.get(record.get("_seriesId") or "")
            if series and series["first"] == record["Id"] and not record.get("IsChild") \
                    and self.setting("salesforce.deleteFirstOccurrenceDeletesSeries"):
                self.series_book.delete_onwards(record)
                return
            self.delete_event_tree(record)
            if record.get("_seriesId") and not record.get("IsChild"):
                self.series_book.delete_occurrence(record)
            return
        self._remove(spec.name, record)
        if spec.name == "EventRelation":
            event = self.records["Event"].get(record["EventId"])
            if event is not None:
                self._remove_child_of(event["Id"], record["RelationId"])
                self._refresh_group(event)
                self._touch(event, event["OwnerId"])

    def delete_onwards(self, record_id: str) -> None:
        """DELETE .../sobjects/Event/{id}/fromThisEventOnwards."""
        self.series_book.delete_onwards(self.live("Event", record_id))

    def delete_event_tree(self, record: dict[str, Any]) -> None:
        """Remove an Event with its EventRelations and child events."""
        self._remove("Event", record)
        for relation in list(self.records["EventRelation"].values()):
            if relation["EventId"] == record["Id"]:
                self._remove("EventRelation", relation)
        for child in self._children(record["Id"]):
            self._remove("Event", child)

    def after_event_write(self, record: dict[str, Any]) -> None:
        self._sync_parent_rows(record)
        self._refresh_group(record)

    def touch_event(self, record: dict[str, Any]) -> None:
        self._touch(record, record["OwnerId"])
        self._update_children(record)

    def _series_values(self, record: dict[str, Any], values: dict[str, Any]
                       ) -> dict[str, Any]:
        """IsRecurrence2 can't be switched on or off by an update; pattern fields belong to
        an event series only."""
        if "IsRecurrence2" in values and values["IsRecurrence2"] != bool(
                record.get("IsRecurrence2")):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", "IsRecurrence2: an existing event "
                              "can't be turned into an event series or out of one",
                              ["IsRecurrence2"])
        given = [n for n in PATTERN_FIELDS if n in values]
        if given and not record.get("IsRecurrence2"):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION", f"{given[0]}: only an event series "
                              "(IsRecurrence2 true) has a recurrence pattern", given)
        return {k: v for k, v in values.items() if k != "IsRecurrence2"}

    def _remove(self, sobject: str, record: dict[str, Any]) -> None:
        self.records[sobject].pop(record["Id"], None)
        stamp = self._stamp()
        tombstone = {**record, "IsDeleted": True, "SystemModstamp": stamp}
        self.deleted[record["Id"]] = {"sobject": sobject, "deletedDate": stamp,
                                      "record": tombstone}
        self.publish_change(sobject, "DELETE", record, [], record.get("LastModifiedById") or "")

    def publish_change(self, sobject: str, change_type: str, record: dict[str, Any],
                 fields: list[str], user_id: str) -> None:
        """Tell the change-event bus (published at commit; see change_events.py)."""
        if self.changes is not None and not record.get("IsChild"):
            self.changes.record(sobject, change_type, record, fields, user_id)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: any exception restores the org as it was."""
        with self.lock:
            saved = copy.deepcopy((self.records, self.deleted, self.series))
            if self.changes is not None:
                self.changes.begin()
            committed = False
            try:
                yield
                committed = True
            except BaseException:
                self.records, self.deleted, self.series = saved
                raise
            finally:
                if self.changes is not None:
                    self.changes.end(committed)

    # -- validation -----------------------------------------------------------------
    def _check_unique(self, spec: SObjectSpec, values: dict[str, Any],
                      record_id: str | None) -> None:
        for name, value in values.items():
            field = spec.fields.get(name)
            if field is None or not field.unique or value in (None, ""):
                continue
            for other in self.records[spec.name].values():
                if other["Id"] != record_id and \
                        str(other.get(name) or "").lower() == str(value).lower():
                    raise bad_request("DUPLICATE_VALUE",
                                      f"duplicate value found: {name} duplicates value on "
                                      f"record with id: {other['Id']}", [name])

    def _validated(self, spec: SObjectSpec, body: dict[str, Any], creating: bool
                   ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("JSON_PARSER_ERROR", "The request body must be a JSON object")
        values: dict[str, Any] = {}
        for raw_name, value in body.items():
            if raw_name == "attributes":
                continue
            field = spec.field(raw_name)
            if field is None:
                raise bad_request("INVALID_FIELD",
                                  f"No such column '{raw_name}' on sobject of type {spec.name}",
                                  [raw_name])
            allowed = field.createable if creating else field.updateable
            if not allowed:
                verb = "create" if creating else "update"
                raise bad_request("INVALID_FIELD_FOR_INSERT_UPDATE",
                                  f"Unable to {verb} fields: {field.name}. Please check the "
                                  "security settings of this field and verify that it is "
                                  "read/write for your profile or permission set.",
                                  [field.name])
            values[field.name] = self._coerce(spec, field, value)
        if creating:
            for field in spec.fields.values():
                if (not field.nillable and field.createable and field.type != "boolean"
                        and values.get(field.name) in (None, "")):
                    raise bad_request("REQUIRED_FIELD_MISSING",
                                      f"Required fields are missing: [{field.name}]",
                                      [field.name])
        return values

    def _coerce(self, spec: SObjectSpec, field: FieldSpec, value: Any) -> Any:
        if value is None:
            if not field.nillable:
                raise bad_request("REQUIRED_FIELD_MISSING",
                                  f"Required fields are missing: [{field.name}]", [field.name])
            return None
        kind = field.type
        if kind == "boolean":
            if not isinstance(value, bool):
                raise bad_request("JSON_PARSER_ERROR", f"Cannot deserialize instance of "
                                  f"boolean from value {value}", [field.name])
            return value
        if kind == "datetime":
            return format_datetime(parse_datetime(value, field.name))
        if kind == "date":
            return parse_date(value, field.name).isoformat()
        if kind in ("int", "double", "currency"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad_request("JSON_PARSER_ERROR", f"Cannot deserialize instance of "
                                  f"{kind} from value {value}", [field.name])
            return int(value) if kind == "int" else value
        if kind == "reference":
            return self._reference(spec, field, value)
        if not isinstance(value, str):
            raise bad_request("JSON_PARSER_ERROR", f"Cannot deserialize instance of string "
                              f"from value {value}", [field.name])
        if field.length and len(value) > field.length:
            raise bad_request("STRING_TOO_LONG", f"{field.name}: data value too large: "
                              f"{value[:40]}... (max length={field.length})", [field.name])
        if kind == "email" and value and not _looks_like_email(value):
            raise bad_request("INVALID_EMAIL_ADDRESS", f"{field.name}: invalid email address: "
                              f"{value}", [field.name])
        if kind == "picklist" and field.picklist and value not in field.picklist:
            raise bad_request("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                              f"{field.name}: bad value for restricted picklist field: {value}",
                              [field.name])
        return value

    def _reference(self, spec: SObjectSpec, field: FieldSpec, value: Any) -> str:
        record_id = normalize_id(value, field.name)
        target = sobject_of_id(record_id)
        if target not in field.reference_to:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              f"{field.name}: id value of incorrect type: {value}",
                              [field.name])
        if record_id not in self.records[target]:
            raise bad_request("INVALID_CROSS_REFERENCE_KEY",
                              f"invalid cross reference id: {value}", [field.name])
        return record_id

    # -- Event semantics ------------------------------------------------------------
    def _event_times(self, record: dict[str, Any], values: dict[str, Any],
                     previous: dict[str, Any] | None) -> None:
        """Derive the time fields the way Salesforce keeps them consistent. Moving the
        start without a new end keeps the duration."""
        max_minutes = 14 * 1440 if self._setting("salesforce.multiDayEvents") else 1440
        if record.get("IsAllDayEvent"):
            all_day_times(record, values, previous, max_minutes)
        else:
            timed_times(record, values, previous, max_minutes)
        if record.get("ShowAs") is None:
            record["ShowAs"] = "Busy"
        if record.get("EventSubtype") is None:
            record["EventSubtype"] = "Event"

    def relations_of(self, event_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records["EventRelation"].values() if r["EventId"] == event_id]

    def _check_relation(self, relation: dict[str, Any]) -> None:
        event = self.records["Event"].get(relation["EventId"])
        if event is None or event.get("IsChild"):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "EventId: invitees can only be added to the organizer's event",
                              ["EventId"])
        target = sobject_of_id(relation["RelationId"])
        if relation["IsInvitee"] and target not in ("User", "Contact", "Lead"):
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "RelationId: only users, contacts and leads can be invited",
                              ["RelationId"])
        if relation["IsParent"] and target not in WHO_TYPES:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "RelationId: only contacts and leads can be related people",
                              ["RelationId"])
        if relation["RelationId"] == event["OwnerId"] and relation["IsInvitee"]:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "RelationId: the organizer can't be invited to their own event",
                              ["RelationId"])
        others = [r for r in self.relations_of(event["Id"]) if r["Id"] != relation.get("Id")]
        if any(r["RelationId"] == relation["RelationId"] for r in others):
            raise bad_request("DUPLICATE_VALUE",
                              "duplicate value found: RelationId duplicates value on record "
                              "with id: " + next(r["Id"] for r in others
                                                 if r["RelationId"] == relation["RelationId"]),
                              ["RelationId"])
        most = MAX_SERIES_INVITEES if event.get("IsRecurrence2") else MAX_INVITEES
        if relation["IsInvitee"] and sum(r["IsInvitee"] for r in others) >= most:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              f"An event can't have more than {most} invitees.", [])
        parents = [r for r in others if r["IsParent"]]
        if relation["IsParent"]:
            kinds = {sobject_of_id(r["RelationId"]) for r in parents} | {target}
            if "Lead" in kinds and len(parents) >= 1:
                raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                                  "An event can be related to one lead or up to "
                                  f"{MAX_RELATED_CONTACTS} contacts.", ["RelationId"])
            if len(parents) >= MAX_RELATED_CONTACTS:
                raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                                  f"An event can't have more than {MAX_RELATED_CONTACTS} "
                                  "related contacts.", ["RelationId"])
        if relation["Status"] != "New" and not relation.get("RespondedDate"):
            relation["RespondedDate"] = self._stamp()

    def _after_relation_change(self, relation: dict[str, Any], user_id: str) -> None:
        event = self.records["Event"][relation["EventId"]]
        if relation["IsInvitee"] and sobject_of_id(relation["RelationId"]) == "User":
            if not any(c["OwnerId"] == relation["RelationId"] for c in
                       self._children(event["Id"])):
                self._create_child(event, relation["RelationId"])
        elif sobject_of_id(relation["RelationId"]) == "User":
            self._remove_child_of(event["Id"], relation["RelationId"])
        if relation["IsParent"] and not event.get("WhoId"):
            event["WhoId"] = relation["RelationId"]
        self._refresh_group(event)
        self._touch(event, user_id)

    def _sync_parent_rows(self, event: dict[str, Any]) -> None:
        """WhoId is the primary related person: it has an IsParent row; WhatId an IsWhat row."""
        rows = self.relations_of(event["Id"])
        for field, flag in (("WhoId", "IsParent"), ("WhatId", "IsWhat")):
            target = event.get(field)
            if not target:
                continue
            existing = next((r for r in rows if r["RelationId"] == target), None)
            if existing is not None:
                existing[flag] = True
                continue
            relation_id = salesforce_id("0RE", next(self._counter))
            stamp = self._stamp()
            row = blank("EventRelation")
            row.update({"Id": relation_id, "EventId": event["Id"], "RelationId": target,
                        "IsInvitee": False, "IsParent": flag == "IsParent",
                        "IsWhat": flag == "IsWhat", "Status": "New", "IsDeleted": False,
                        "CreatedDate": stamp, "CreatedById": event["OwnerId"],
                        "LastModifiedDate": stamp, "LastModifiedById": event["OwnerId"],
                        "SystemModstamp": stamp})
            self.records["EventRelation"][relation_id] = row

    def _refresh_group(self, event: dict[str, Any]) -> None:
        group = any(r["IsInvitee"] for r in self.relations_of(event["Id"]))
        event["IsGroupEvent"] = group
        event["GroupEventType"] = "1" if group else "0"

    def _children(self, event_id: str) -> list[dict[str, Any]]:
        return [e for e in self.records["Event"].values()
                if e.get("IsChild") and e.get("_parentId") == event_id]

    def _create_child(self, event: dict[str, Any], user_id: str) -> None:
        child_id = salesforce_id("00U", next(self._counter))
        child = {k: v for k, v in event.items()}
        stamp = self._stamp()
        child.update({"Id": child_id, "OwnerId": user_id, "IsChild": True,
                      "IsGroupEvent": True, "GroupEventType": "1", "_parentId": event["Id"],
                      "CreatedDate": stamp, "LastModifiedDate": stamp,
                      "SystemModstamp": stamp})
        self.records["Event"][child_id] = child

    def _remove_child_of(self, event_id: str, user_id: str) -> None:
        for child in self._children(event_id):
            if child["OwnerId"] == user_id:
                self._remove("Event", child)

    def _update_children(self, event: dict[str, Any]) -> None:
        shared = ("Subject", "StartDateTime", "EndDateTime", "ActivityDateTime", "ActivityDate",
                  "EndDate", "DurationInMinutes", "IsAllDayEvent", "Location", "Description",
                  "WhoId", "WhatId")
        for child in self._children(event["Id"]):
            child.update({k: event.get(k) for k in shared})
            child["SystemModstamp"] = child["LastModifiedDate"] = self._stamp()

    # -- helpers --------------------------------------------------------------------
    def _derive_name(self, sobject: str, record: dict[str, Any]) -> None:
        if sobject in ("User", "Contact", "Lead"):
            parts = [record.get("FirstName"), record.get("LastName")]
            record["Name"] = " ".join(p for p in parts if p)

    def _touch(self, record: dict[str, Any], user_id: str) -> None:
        stamp = self._stamp()
        record.update({"LastModifiedDate": stamp, "LastModifiedById": user_id,
                       "SystemModstamp": stamp})

    def _stamp(self) -> str:
        return format_datetime(datetime.now(UTC))


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and " " not in value)


def public_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without the emulator's private bookkeeping keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
