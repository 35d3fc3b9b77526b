"""The REST resources under ``/services/data/vNN.N`` as plain functions of
(org, caller, method, path, params, body) -> (status, body), so that the Flask routes and
the composite resources run exactly the same code."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from addin.sandbox.salesforce import soql, sosl
from addin.sandbox.salesforce.org import Org, not_found, public_fields
from addin.sandbox.salesforce.schema import SOBJECTS, FieldSpec, SObjectSpec, sobject_of_id
from addin.sandbox.salesforce.selection import Selector
from addin.sandbox.salesforce.values import (
    SalesforceApiError,
    bad_request,
    format_datetime,
    parse_datetime,
    record_attributes,
)

Result = tuple[int, Any]
DEFAULT_BATCH = 2000
COLLECTION_LIMIT = 200


@dataclass(frozen=True)
class Caller:
    user_id: str
    version: str  # "62.0"
    batch_size: int = DEFAULT_BATCH


class QueryCursors:
    """Server-side cursors behind nextRecordsUrl."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def open(self, rows: list[dict[str, Any]]) -> str:
        with self._lock:
            locator = f"01g{next(self._ids):015d}"
            self._rows[locator] = rows
            return locator

    def rows(self, locator: str) -> list[dict[str, Any]]:
        with self._lock:
            if locator not in self._rows:
                raise bad_request("INVALID_QUERY_LOCATOR", "invalid query locator")
            return self._rows[locator]


class RestApi:
    def __init__(self, org: Org):
        self.org = org
        self.cursors = QueryCursors()
        self.selector = Selector(org)

    # -- routing ----------------------------------------------------------------------
    ROUTES: list[tuple[str, str, str]] = [
        ("GET", r"", "resources"),
        ("GET", r"/limits", "limits"),
        ("GET", r"/sobjects", "describe_global"),
        ("GET", r"/sobjects/(?P<sobject>\w+)", "sobject_info"),
        ("GET", r"/sobjects/(?P<sobject>\w+)/describe", "describe"),
        ("GET", r"/sobjects/(?P<sobject>\w+)/updated", "updated"),
        ("GET", r"/sobjects/(?P<sobject>\w+)/deleted", "deleted"),
        ("POST", r"/sobjects/(?P<sobject>\w+)", "create"),
        ("DELETE", r"/sobjects/Event/(?P<record_id>\w+)/fromThisEventOnwards",
         "delete_onwards"),
        ("GET", r"/sobjects/(?P<sobject>\w+)/(?P<record_id>\w+)", "read"),
        ("GET", r"/sobjects/(?P<sobject>\w+)/(?P<field>\w+)/(?P<value>[^/]+)",
         "read_by_external_id"),
        ("PATCH", r"/sobjects/(?P<sobject>\w+)/(?P<field>\w+)/(?P<value>[^/]+)", "upsert"),
        ("POST", r"/tooling/sobjects/CustomField", "create_custom_field"),
        ("PATCH", r"/sobjects/(?P<sobject>\w+)/(?P<record_id>\w+)", "update"),
        ("DELETE", r"/sobjects/(?P<sobject>\w+)/(?P<record_id>\w+)", "delete"),
        ("GET", r"/query", "query"),
        ("GET", r"/queryAll", "query_all"),
        ("GET", r"/query/(?P<locator>01g\w+)-(?P<offset>\d+)", "query_more"),
        ("GET", r"/queryAll/(?P<locator>01g\w+)-(?P<offset>\d+)", "query_more"),
        ("GET", r"/search", "search"),
        ("POST", r"/composite/sobjects", "collection_create"),
        ("PATCH", r"/composite/sobjects", "collection_update"),
        ("DELETE", r"/composite/sobjects", "collection_delete"),
    ]
    _COMPILED = [(m, re.compile(r"^" + p + r"/?$"), name) for m, p, name in ROUTES]

    def route(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        allowed = False
        for route_method, pattern, name in self._COMPILED:
            match = pattern.match(path)
            if match:
                if route_method == method:
                    return name, match.groupdict()
                allowed = True
        if allowed:
            raise SalesforceApiError(405, "METHOD_NOT_ALLOWED",
                                     f"HTTP Method '{method}' not allowed. Allowed are GET")
        raise not_found()

    def handle(self, caller: Caller, method: str, path: str, params: dict[str, str],
               body: Any) -> Result:
        name, args = self.route(method, path)
        handler: Callable[..., Result] = getattr(self, name)
        with self.org.lock:
            return handler(caller, params=params, body=body, **args)

    # -- describe -----------------------------------------------------------------------
    def resources(self, caller: Caller, **_: Any) -> Result:
        base = f"/services/data/v{caller.version}"
        names = ("sobjects", "query", "queryAll", "search", "composite", "limits")
        return 200, {name: f"{base}/{name}" for name in names}

    def limits(self, caller: Caller, **_: Any) -> Result:
        return 200, {"DailyApiRequests": self.usage()}

    usage: Callable[[], dict[str, int]] = staticmethod(lambda: {})  # set by the app

    def describe_global(self, caller: Caller, **_: Any) -> Result:
        return 200, {"encoding": "UTF-8", "maxBatchSize": COLLECTION_LIMIT, "sobjects": [
            self._basic(spec, caller) for spec in SOBJECTS.values()]}

    def _basic(self, spec: SObjectSpec, caller: Caller) -> dict[str, Any]:
        base = f"/services/data/v{caller.version}/sobjects/{spec.name}"
        return {"name": spec.name, "label": spec.label, "keyPrefix": spec.key_prefix,
                "createable": True, "updateable": True, "deletable": True,
                "queryable": True, "searchable": True,
                "urls": {"sobject": base, "describe": f"{base}/describe",
                         "rowTemplate": f"{base}/{{ID}}"}}

    def sobject_info(self, caller: Caller, sobject: str, **_: Any) -> Result:
        spec = self.org.spec(sobject)
        return 200, {"objectDescribe": self._basic(spec, caller), "recentItems": []}

    def describe(self, caller: Caller, sobject: str, **_: Any) -> Result:
        spec = self.org.spec(sobject)
        return 200, {**self._basic(spec, caller),
                     "fields": [f.describe() for f in spec.fields.values()]}

    # -- records ------------------------------------------------------------------------
    def create(self, caller: Caller, sobject: str, body: Any, **_: Any) -> Result:
        record_id = self.org.create(sobject, body, caller.user_id)
        return 201, {"id": record_id, "success": True, "errors": []}

    def read(self, caller: Caller, sobject: str, record_id: str, params: dict[str, str],
             **_: Any) -> Result:
        spec = self.org.spec(sobject)
        record = self.org.get(spec.name, record_id)
        wanted = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        if wanted:
            paths = [tuple(name.split(".")) for name in wanted]
            return 200, self.selector.project(spec, record, paths, caller.version)
        data = {"attributes": record_attributes(spec.name, record["Id"], caller.version)}
        data.update({k: v for k, v in public_fields(record).items()})
        return 200, data

    def read_by_external_id(self, caller: Caller, sobject: str, field: str, value: str,
                            params: dict[str, str], **_: Any) -> Result:
        spec, _field, matches = self.org.by_external_id(sobject, field, value)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            return 300, [f"/services/data/v{caller.version}/sobjects/{spec.name}/{r['Id']}"
                         for r in matches]
        return self.read(caller, spec.name, matches[0]["Id"], params)

    def upsert(self, caller: Caller, sobject: str, field: str, value: str, body: Any,
               **_: Any) -> Result:
        """Create the record unless one holds ``value`` in the External ID ``field``, else
        update it (API 46.0 and later answer 200 with ``created: false``)."""
        spec, external, matches = self.org.by_external_id(sobject, field, value)
        if len(matches) > 1:
            return 300, [f"/services/data/v{caller.version}/sobjects/{spec.name}/{r['Id']}"
                         for r in matches]
        values = dict(body) if isinstance(body, dict) else body
        if isinstance(values, dict):
            given = values.pop(external.name, None)
            if given is not None and str(given).lower() != value.lower():
                raise bad_request("INVALID_FIELD", f"The external ID field {external.name} "
                                  "in the body does not match the URL", [external.name])
        if matches:
            record_id = matches[0]["Id"]
            self.org.update(spec.name, record_id, values, caller.user_id)
            return 200, {"id": record_id, "success": True, "errors": [], "created": False}
        if isinstance(values, dict):
            values[external.name] = value
        record_id = self.org.create(spec.name, values, caller.user_id)
        return 201, {"id": record_id, "success": True, "errors": [], "created": True}

    def create_custom_field(self, caller: Caller, body: Any, **_: Any) -> Result:
        """Tooling API: add a Text field (the only kind this sandbox adds) to an sObject;
        ``Activity.X__c`` adds it to Event (and Task, which this sandbox does not have)."""
        if not isinstance(body, dict) or not isinstance(body.get("Metadata"), dict):
            raise bad_request("JSON_PARSER_ERROR", "FullName and Metadata are required")
        full_name = str(body.get("FullName") or "")
        owner, _dot, name = full_name.partition(".")
        metadata = body["Metadata"]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", name) or "__" in name[:-3]:
            raise bad_request("INVALID_FIELD", f"Invalid field name: {full_name}",
                              ["FullName"])
        targets = ("Event",) if owner in ("Activity", "Event") else (owner,)
        if owner not in ("Activity", *SOBJECTS):
            raise bad_request("INVALID_TYPE", f"sObject type '{owner}' is not supported.",
                              ["FullName"])
        if metadata.get("type") != "Text":
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "This sandbox adds Text fields only", ["Metadata"])
        length = metadata.get("length")
        if not isinstance(length, int) or not 1 <= length <= 255:
            raise bad_request("FIELD_INTEGRITY_EXCEPTION",
                              "Length must be between 1 and 255", ["Metadata"])
        if caller.user_id not in self.org.admins:
            raise SalesforceApiError(403, "INSUFFICIENT_ACCESS",
                                     "Customize Application is required to add fields")
        self.org.add_custom_field(targets, FieldSpec(
            name, "string", length, searchable=False, custom=True,
            external_id=bool(metadata.get("externalId")), unique=bool(metadata.get("unique"))))
        field_id = self.org.new_id("00N")
        return 201, {"id": field_id, "success": True, "errors": [], "warnings": [],
                     "infos": []}

    def update(self, caller: Caller, sobject: str, record_id: str, body: Any, **_: Any
               ) -> Result:
        self.org.update(sobject, record_id, body, caller.user_id)
        return 204, None

    def delete(self, caller: Caller, sobject: str, record_id: str, **_: Any) -> Result:
        self.org.delete(sobject, record_id)
        return 204, None

    def delete_onwards(self, caller: Caller, record_id: str, **_: Any) -> Result:
        """Delete Lightning Experience Event Series: this occurrence and every later one
        (from the first occurrence: the whole series)."""
        self.org.delete_onwards(record_id)
        return 200, {"success": "We're deleting the selected events from the series. Wait "
                                "for all events to be removed."}

    # -- replication --------------------------------------------------------------------
    def _window(self, params: dict[str, str]) -> tuple[datetime, datetime]:
        try:
            start = parse_datetime(params["start"], "start")
            end = parse_datetime(params["end"], "end")
        except KeyError as missing:
            raise bad_request("MISSING_ARGUMENT", f"{missing.args[0]} not specified") from None
        now = datetime.now(UTC)
        # Salesforce ignores the seconds and wants more than a minute between the two
        start, end = (t.replace(second=0, microsecond=0) for t in (start, end))
        if end - start <= timedelta(minutes=1):
            raise bad_request("INVALID_REPLICATION_DATE", "startDate must chronologically "
                              "precede endDate by more than one minute")
        if start < now - timedelta(days=30):
            raise bad_request("INVALID_REPLICATION_DATE", "startDate can't be more than 30 "
                              "days ago")
        return start, min(end, now)

    def updated(self, caller: Caller, sobject: str, params: dict[str, str], **_: Any
                ) -> Result:
        spec = self.org.spec(sobject)
        start, end = self._window(params)
        ids = [r["Id"] for r in self.org.all_records(spec.name)
               if start <= parse_datetime(r["SystemModstamp"]) < end]
        return 200, {"ids": ids, "latestDateCovered": format_datetime(end)}

    def deleted(self, caller: Caller, sobject: str, params: dict[str, str], **_: Any
                ) -> Result:
        spec = self.org.spec(sobject)
        start, end = self._window(params)
        rows = [{"id": record_id, "deletedDate": entry["deletedDate"]}
                for record_id, entry in self.org.deleted.items()
                if entry["sobject"] == spec.name
                and start <= parse_datetime(entry["deletedDate"]) < end]
        earliest = min((e["deletedDate"] for e in self.org.deleted.values()), default=None)
        return 200, {"deletedRecords": rows, "earliestDateAvailable": earliest,
                     "latestDateCovered": format_datetime(end)}

    # -- SOQL ---------------------------------------------------------------------------
    def query(self, caller: Caller, params: dict[str, str], **_: Any) -> Result:
        return self._run_query(caller, params, include_deleted=False)

    def query_all(self, caller: Caller, params: dict[str, str], **_: Any) -> Result:
        return self._run_query(caller, params, include_deleted=True)

    def _run_query(self, caller: Caller, params: dict[str, str], include_deleted: bool
                   ) -> Result:
        text = params.get("q")
        if not text:
            raise bad_request("MALFORMED_QUERY", "A query string (q) is required")
        parsed = soql.parse(text)
        records, finished = self.selector.run(caller.user_id, caller.version, parsed,
                                              include_deleted)
        if finished is not None:
            return 200, finished
        return 200, self._page(caller, records, 0, "queryAll" if include_deleted else "query")

    def query_more(self, caller: Caller, locator: str, offset: str, **_: Any) -> Result:
        records = self.cursors.rows(locator)
        kind = "query"
        return 200, self._page(caller, records, int(offset), kind, locator)

    def _page(self, caller: Caller, records: list[dict[str, Any]], offset: int, kind: str,
              locator: str | None = None) -> dict[str, Any]:
        size = caller.batch_size
        page = records[offset: offset + size]
        body: dict[str, Any] = {"totalSize": len(records),
                                "done": offset + size >= len(records), "records": page}
        if not body["done"]:
            locator = locator or self.cursors.open(records)
            body["nextRecordsUrl"] = (f"/services/data/v{caller.version}/{kind}/"
                                      f"{locator}-{offset + size}")
        return body

    # -- SOSL ---------------------------------------------------------------------------
    def search(self, caller: Caller, params: dict[str, str], **_: Any) -> Result:
        text = params.get("q")
        if not text:
            raise bad_request("MALFORMED_SEARCH", "A search string (q) is required")
        parsed = sosl.parse(text)
        words = sosl.term_words(parsed.term)
        # without RETURNING, Salesforce searches every searchable object and returns Ids
        returning = parsed.returning or [sosl.Returning(sobject=name) for name in SOBJECTS
                                         if any(f.searchable for f in SOBJECTS[name].fields
                                                .values())]
        found: list[dict[str, Any]] = []
        for item in returning:
            spec = self.selector.queryable(item.sobject)
            searchable = [f.name for f in spec.fields.values() if f.searchable and (
                parsed.scope == "ALL" or (parsed.scope == "EMAIL" and f.type == "email")
                or (parsed.scope == "NAME" and "Name" in f.name)
                or (parsed.scope == "PHONE" and f.type == "phone"))]
            where = self.selector.typer(caller.user_id, spec).condition(item.where)
            resolver = self.selector.resolver(spec)
            hits = []
            for record in self.org.all_records(spec.name):
                texts = [str(record.get(name) or "") for name in searchable]
                if all(any(w.search(t) for t in texts) for w in words) and soql.matches(
                        record, where, resolver):
                    hits.append(record)
            hits.sort(key=lambda r: str(r.get("Name") or r.get("Subject") or "").lower())
            if item.limit is not None:
                hits = hits[: item.limit]
            paths = item.fields or [("Id",)]
            found.extend(self.selector.project(spec, r, paths, caller.version) for r in hits)
        if parsed.limit is not None:
            found = found[: parsed.limit]
        return 200, {"searchRecords": found}

    # -- sObject Collections ------------------------------------------------------------
    def _collection_records(self, body: Any) -> tuple[list[dict[str, Any]], bool]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise bad_request("JSON_PARSER_ERROR", "The request body must contain records")
        records = body["records"]
        if len(records) > COLLECTION_LIMIT:
            raise bad_request("EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more "
                              f"than {COLLECTION_LIMIT} records into this call")
        return records, bool(body.get("allOrNone", False))

    def _each(self, items: list[Any], all_or_none: bool,
              action: Callable[[Any], str]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        failed = False
        with self.org.transaction() if all_or_none else nullcontext():
            for item in items:
                try:
                    record_id = action(item)
                    results.append({"id": record_id, "success": True, "errors": []})
                except SalesforceApiError as exc:
                    failed = True
                    results.append({"success": False, "errors": [
                        {"statusCode": e["errorCode"], "message": e["message"],
                         "fields": e["fields"]} for e in exc.errors]})
            if failed and all_or_none:
                halted = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                          "message": "Record rolled back because not all records were valid "
                                     "and the request was using AllOrNone header",
                          "fields": []}
                results = [r if not r["success"] else {"id": None, "success": False,
                                                        "errors": [halted]} for r in results]
                raise _RolledBack(results)
        return results

    def collection_create(self, caller: Caller, body: Any, **_: Any) -> Result:
        records, all_or_none = self._collection_records(body)

        def create(item: dict[str, Any]) -> str:
            sobject = (item.get("attributes") or {}).get("type")
            if not sobject:
                raise bad_request("INVALID_TYPE", "Must specify a type in attributes")
            return self.org.create(sobject, item, caller.user_id)

        return 200, self._guarded(records, all_or_none, create)

    def collection_update(self, caller: Caller, body: Any, **_: Any) -> Result:
        records, all_or_none = self._collection_records(body)

        def update(item: dict[str, Any]) -> str:
            record_id = item.get("id") or item.get("Id")
            sobject = (item.get("attributes") or {}).get("type") or sobject_of_id(
                str(record_id))
            if not record_id or not sobject:
                raise bad_request("MISSING_ARGUMENT", "Id not specified in an update call")
            fields = {k: v for k, v in item.items() if k not in ("id", "Id")}
            self.org.update(sobject, record_id, fields, caller.user_id)
            return str(record_id)

        return 200, self._guarded(records, all_or_none, update)

    def collection_delete(self, caller: Caller, params: dict[str, str], **_: Any) -> Result:
        ids = [i for i in params.get("ids", "").split(",") if i]
        if len(ids) > COLLECTION_LIMIT:
            raise bad_request("EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more "
                              f"than {COLLECTION_LIMIT} records into this call")
        all_or_none = params.get("allOrNone", "false").lower() == "true"

        def delete(record_id: str) -> str:
            sobject = sobject_of_id(record_id)
            if sobject is None:
                raise bad_request("MALFORMED_ID", f"malformed id {record_id}")
            self.org.delete(sobject, record_id)
            return record_id

        return 200, self._guarded(ids, all_or_none, delete)

    def _guarded(self, items: list[Any], all_or_none: bool, action: Callable[[Any], str]
                 ) -> list[dict[str, Any]]:
        try:
            return self._each(items, all_or_none, action)
        except _RolledBack as rolled_back:
            return rolled_back.results


class _RolledBack(Exception):
    def __init__(self, results: list[dict[str, Any]]):
        super().__init__("rolled back")
        self.results = results

