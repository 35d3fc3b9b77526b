"""Running a parsed SOQL query over the org: field paths checked against the schema,
literals typed (``soql_types``), semi-joins and child relationship sub-selects evaluated,
rows ordered, paged and projected into the JSON shape Salesforce answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from addin.sandbox.salesforce import soql
from addin.sandbox.salesforce.org import Org
from addin.sandbox.salesforce.schema import (
    CHILD_RELATIONSHIPS,
    NAME_FIELDS,
    SOBJECTS,
    SObjectSpec,
)
from addin.sandbox.salesforce.soql_types import ID_TYPES, LiteralTyper, check_offset
from addin.sandbox.salesforce.values import bad_request, record_attributes

Row = dict[str, Any]


class Selector:
    """SOQL (and SOSL's RETURNING filters) for one org, on behalf of one user."""

    def __init__(self, org: Org):
        self.org = org

    # -- queries ------------------------------------------------------------------------
    def run(self, user_id: str, version: str, parsed: soql.Query, include_deleted: bool
            ) -> tuple[list[Row], dict[str, Any] | None]:
        """The projected records of a query, or (for COUNT) the finished body."""
        check_offset(parsed.offset)
        spec = self.queryable(parsed.sobject)
        rows = self.select(user_id, spec, parsed,
                           self.org.all_records(spec.name, include_deleted))
        if parsed.is_count:
            if parsed.count is None:  # COUNT(): the number is totalSize, no records
                return [], {"totalSize": len(rows), "done": True, "records": []}
            counted = sum(1 for r in rows if self.resolve(spec, r, parsed.count) is not None)
            return [], {"totalSize": 1, "done": True, "records": [
                {"attributes": {"type": "AggregateResult"}, "expr0": counted}]}
        children = [self._child_rows(user_id, spec, sub, rows) for sub in parsed.subqueries]
        records = []
        for row in rows:
            record = self.project(spec, row, parsed.fields, version)
            for name, child_spec, sub, by_parent in children:
                found = by_parent.get(row["Id"], [])
                record[name] = {"totalSize": len(found), "done": True, "records": [
                    self.project(child_spec, child, sub.fields, version) for child in found]
                } if found else None
            records.append(record)
        return records, None

    def select(self, user_id: str, spec: SObjectSpec, parsed: soql.Query,
               candidates: Iterable[Row], nested: bool = False) -> list[Row]:
        for path in parsed.fields:
            self.check_path(spec, path)
        where = self.typer(user_id, spec, nested).condition(parsed.where)
        resolver = self.resolver(spec)
        rows = [r for r in candidates if soql.matches(r, where, resolver)]
        for path, descending, nulls_last in reversed(parsed.order):
            self.check_path(spec, path)
            present = [r for r in rows if self.resolve(spec, r, path) is not None]
            absent = [r for r in rows if self.resolve(spec, r, path) is None]

            def key(record: Row, order_path: tuple[str, ...] = path) -> Any:
                return soql.sort_key(record, order_path, resolver)

            present.sort(key=key, reverse=descending)
            rows = present + absent if nulls_last else absent + present
        rows = rows[parsed.offset:]
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        return rows

    def typer(self, user_id: str, spec: SObjectSpec, nested: bool = False) -> LiteralTyper:
        """Literals typed for this sObject; date literals in the user's time zone."""
        user = self.org.records["User"].get(user_id) or {}
        try:
            zone = ZoneInfo(str(user.get("TimeZoneSidKey") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")

        def semi_join(path: tuple[str, ...], inner: soql.Query) -> frozenset[str]:
            return self._semi_join(user_id, inner)

        def filterable_type(path: tuple[str, ...]) -> str:
            field = spec.field(path[0]) if len(path) == 1 else None
            if field is not None and not field.filterable:
                raise bad_request("INVALID_FIELD", f"field '{field.name}' can not be filtered "
                                  "in a query call", [field.name])
            return self.field_type(spec, path)

        return LiteralTyper(filterable_type, zone, semi_join=None if nested else semi_join)

    def _semi_join(self, user_id: str, inner: soql.Query) -> frozenset[str]:
        """The ids a semi-join's sub-select yields (it selects exactly one id field)."""
        spec = self.queryable(inner.sobject)
        if len(inner.fields) != 1 or inner.is_count or inner.subqueries:
            raise bad_request("MALFORMED_QUERY", "a semi join sub-select selects exactly one "
                              "id field")
        if self.field_type(spec, inner.fields[0]) not in ID_TYPES:
            raise bad_request("INVALID_QUERY_FILTER_OPERATOR",
                              "a semi join sub-select must select an id field")
        rows = self.select(user_id, spec, inner, self.org.all_records(spec.name), nested=True)
        values = (self.resolve(spec, r, inner.fields[0]) for r in rows)
        return frozenset(str(v).lower() for v in values if v)

    def _child_rows(self, user_id: str, spec: SObjectSpec, sub: soql.Query, parents: list[Row]
                    ) -> tuple[str, SObjectSpec, soql.Query, dict[str, list[Row]]]:
        relationships = {name.lower(): (name, target) for name, target in
                         CHILD_RELATIONSHIPS.get(spec.name, {}).items()}
        found = relationships.get(sub.sobject.lower())
        if found is None or sub.is_count or sub.subqueries:
            raise bad_request("INVALID_TYPE", f"Didn't understand relationship "
                              f"'{sub.sobject}' in FROM part of query call. If you are "
                              "attempting to use a custom relationship, be sure to append "
                              "the '__r' after the custom relationship name.")
        name, (child_type, foreign_key) = found
        child_spec = self.org.spec(child_type)
        parent_ids = {row["Id"] for row in parents}
        by_parent: dict[str, list[Row]] = {}
        candidates = [r for r in self.org.all_records(child_type)
                      if r.get(foreign_key) in parent_ids]
        for parent_id in parent_ids:
            mine = [r for r in candidates if r.get(foreign_key) == parent_id]
            if mine:
                by_parent[parent_id] = self.select(user_id, child_spec, sub, mine, nested=True)
        return name, child_spec, sub, by_parent

    # -- schema -------------------------------------------------------------------------
    def queryable(self, sobject: str) -> SObjectSpec:
        for name in SOBJECTS:
            if name.lower() == sobject.lower():
                return self.org.spec(name)
        raise bad_request("INVALID_TYPE", f"sObject type '{sobject}' is not supported. If "
                          "you are attempting to use a custom object, be sure to append the "
                          "'__c' after the entity name.")

    def check_path(self, spec: SObjectSpec, path: tuple[str, ...]) -> None:
        self.field_type(spec, path)

    def field_type(self, spec: SObjectSpec, path: tuple[str, ...]) -> str:
        if len(path) == 1 and (field := spec.field(path[0])) is not None:
            return field.type
        if len(path) == 2:
            reference = spec.relationship(path[0])
            if reference is not None:
                targets = reference.reference_to
                if len(targets) > 1 or reference.relationship_name in ("Owner",):
                    name = path[1].lower()
                    if name in (n.lower() for n in NAME_FIELDS):
                        return {"id": "id", "email": "email"}.get(name, "string")
                elif (field := SOBJECTS[targets[0]].field(path[1])) is not None:
                    return field.type
        raise bad_request("INVALID_FIELD", f"No such column '{'.'.join(path)}' on entity "
                          f"'{spec.name}'. If you are attempting to use a custom field, be "
                          "sure to append the '__c' after the custom field name.")

    # -- values -------------------------------------------------------------------------
    def resolver(self, spec: SObjectSpec) -> Callable[[Row, tuple[str, ...]], Any]:
        return lambda record, path: self.resolve(spec, record, path)

    def resolve(self, spec: SObjectSpec, record: Row, path: tuple[str, ...]) -> Any:
        self.check_path(spec, path)
        if len(path) == 1:
            field = spec.field(path[0])
            return record.get(field.name) if field else None
        parent = self._parent(spec, record, path[0])
        if parent is None:
            return None
        parent_type, parent_record = parent
        if path[1].lower() == "type":
            return parent_type
        field = SOBJECTS[parent_type].field(path[1])
        return parent_record.get(field.name) if field else None

    def _parent(self, spec: SObjectSpec, record: Row, relationship: str
                ) -> tuple[str, Row] | None:
        reference = spec.relationship(relationship)
        if reference is None:
            return None
        target_id = record.get(reference.name)
        return self.org.find(target_id) if target_id else None

    def project(self, spec: SObjectSpec, record: Row, paths: list[tuple[str, ...]],
                version: str) -> Row:
        out: Row = {"attributes": record_attributes(spec.name, record["Id"], version)}
        for path in paths:
            self.check_path(spec, path)
            if len(path) == 1:
                field = spec.field(path[0])
                assert field is not None
                out[field.name] = record.get(field.name)
                continue
            reference = spec.relationship(path[0])
            assert reference is not None and reference.relationship_name
            key = reference.relationship_name
            parent = self._parent(spec, record, path[0])
            if parent is None:
                out.setdefault(key, None)
                continue
            parent_type, parent_record = parent
            nested = out.get(key) or {"attributes": record_attributes(
                parent_type, parent_record["Id"], version)}
            field = SOBJECTS[parent_type].field(path[1])
            name = field.name if field else path[1][:1].upper() + path[1][1:]
            nested[name] = parent_type if path[1].lower() == "type" else (
                parent_record.get(field.name) if field else None)
            out[key] = nested
        return out
