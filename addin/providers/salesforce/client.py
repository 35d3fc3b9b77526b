"""The product's Salesforce adapter, on simple-salesforce over the single HTTP path.

Every operation that the sidebar or the sync engine performs costs ONE API request (the
org's daily allowance is the scarce resource): composite requests bundle what belongs
together. Values put into SOQL go through simple-salesforce's ``format_soql`` (quoting and
escaping), into SOSL through ``escape_sosl``: injection is impossible by construction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import SalesforceError as LibraryError

from addin.providers.salesforce.answered import AnsweredSession, AnswerHook
from addin.providers.salesforce.directory import RecordsDirectory, escape_sosl
from addin.providers.salesforce.records import (
    AccountMatch,
    EventRelationRecord,
    EventSnapshot,
    PersonCreated,
    PersonRecord,
    RecordSummary,
    SalesforceAuthError,
    SalesforceChanges,
    SalesforceError,
    SalesforceLimitExceeded,
    SalesforceNotFound,
    SalesforceUnavailable,
    SalesforceValidationError,
    _collect_people,
    _error_for,
    _raise_collection_failures,
    _relation,
    _safe_id,
    _safe_key,
    _strip,
    _translate,
    _urlencode,
)

__all__ = [
    "AccountMatch", "EventRelationRecord", "EventSnapshot", "PersonCreated", "PersonRecord",
    "RecordSummary", "SalesforceAuthError", "SalesforceChanges", "SalesforceClient",
    "SalesforceError", "SalesforceLimitExceeded", "SalesforceNotFound",
    "SalesforceUnavailable", "SalesforceValidationError", "escape_sosl",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# The External ID custom field on Activity (so on Event) that marks an Event with the request
# that created it; installed by an admin (POST /api/v1/admin/salesforce-setup).
REQUEST_ID_FIELD = "Addin_Request_Id__c"
LOCK_RETRIES = 3
EMAILS_PER_QUERY = 100
IDS_PER_QUERY = 200  # Event ids named in one IN list
COMPOSITE_LIMIT = 25  # subrequests in one composite request
COMPOSITE_HEAVY_LIMIT = 5  # of which query or sObject Collections subrequests
COLLECTION_SIZE = 200  # records in one sObject Collections request
EVENT_FIELDS = (
    "Id", "Subject", "StartDateTime", "EndDateTime", "ActivityDate", "EndDate",
    "DurationInMinutes", "IsAllDayEvent", "Location", "Description", "ShowAs", "IsPrivate",
    "IsReminderSet", "ReminderDateTime", "WhoId", "WhatId", "OwnerId", "IsChild",
    "IsGroupEvent", "LastModifiedDate", "SystemModstamp",
)
RELATION_FIELDS = (
    "Id", "EventId", "RelationId", "Relation.Type", "Relation.Email", "Relation.Name",
    "IsInvitee", "IsParent", "IsWhat", "Status", "IsDeleted", "SystemModstamp",
)
_RELATIONS_SUBSELECT = f"(SELECT {', '.join(RELATION_FIELDS)} FROM EventRelations)"


def soql_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


CALL_OPTIONS_CLIENT = "addin-sync"


def _relation_changes(event_id: str, rows: Mapping[str, EventRelationRecord],
                      add: Sequence[str], remove: Sequence[str], statuses: dict[str, str]
                      ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """The EventRelations to create, to update (row id -> values) and to delete for an
    invitee change (``statuses`` loses those set on a created row)."""
    creates: list[dict[str, Any]] = []
    updates: dict[str, dict[str, Any]] = {}
    deletes: list[str] = []
    for relation_id in dict.fromkeys(add):
        row = rows.get(relation_id)
        if row is None:
            creates.append({"attributes": {"type": "EventRelation"}, "EventId": event_id,
                            "RelationId": relation_id, "IsInvitee": True,
                            **({"Status": statuses.pop(relation_id)}
                               if relation_id in statuses else {})})
        elif not row.is_invitee:
            updates.setdefault(row.id, {})["IsInvitee"] = True
    for relation_id in dict.fromkeys(remove):
        row = rows.get(relation_id)
        if row is None or not row.is_invitee:
            continue
        if row.is_parent or row.is_what:
            updates.setdefault(row.id, {})["IsInvitee"] = False
        else:
            deletes.append(row.id)
    for relation_id, status in statuses.items():
        row = rows.get(relation_id)
        if row is not None and row.id not in deletes and row.status != status:
            updates.setdefault(row.id, {})["Status"] = status
    return creates, updates, deletes


def _planned(groups: list[list[dict[str, Any]]], collections: str
             ) -> list[tuple[dict[str, Any], list[int]]]:
    """``send_composites``' subrequests, each with the group indexes it carries: the
    groups' collection writes merged by method into chunks, then the other subrequests."""
    merged: dict[str, list[tuple[int, Any]]] = {"DELETE": [], "PATCH": [], "POST": []}
    singles: list[tuple[int, dict[str, Any]]] = []
    for index, group in enumerate(groups):
        for sub in group:
            url, method = str(sub["url"]), str(sub["method"])
            if url.split("?")[0] != collections:
                singles.append((index, sub))
            elif method == "DELETE":
                ids = url.split("ids=", 1)[1].split("&")[0].split(",")
                merged["DELETE"] += [(index, i) for i in ids if i]
            else:
                merged[method] += [(index, r) for r in sub["body"]["records"]]
    planned: list[tuple[dict[str, Any], list[int]]] = []
    for method in ("DELETE", "PATCH", "POST"):
        entries = merged[method]
        for start in range(0, len(entries), COLLECTION_SIZE):
            chunk = entries[start: start + COLLECTION_SIZE]
            ref = f"{method.lower()}{start // COLLECTION_SIZE}"
            planned_sub: dict[str, Any] = {"method": method, "referenceId": ref,
                                           "url": collections}
            if method == "DELETE":
                planned_sub["url"] += "?allOrNone=false&ids=" + ",".join(i for _, i in chunk)
            else:
                planned_sub["body"] = {"allOrNone": False, "records": [r for _, r in chunk]}
            planned.append((planned_sub, [index for index, _ in chunk]))
    return planned + [(sub, [index]) for index, sub in singles]


class SalesforceClient(RecordsDirectory):
    def __init__(self, *, instance_url: str, access_token: str, session: requests.Session,
                 api_version: str = "62.0", on_refresh: Callable[[], str] | None = None,
                 organization_id: int | None = None, on_answer: AnswerHook | None = None):
        """``organization_id``: the organization whose user the client acts for; each
        Salesforce answer to this client is handed to ``on_answer`` with it (the org's
        API budget counts it)."""
        self.instance_url = instance_url
        self.api_version = api_version
        self.organization_id = organization_id
        self._session: Any = session
        if on_answer is not None and organization_id is not None:
            self._session = AnsweredSession(session, organization_id, on_answer)
        self._on_refresh = on_refresh
        self._sf = self._connect(access_token)

    def _connect(self, token: str) -> Salesforce:
        client = Salesforce(instance_url=self.instance_url, session_id=token,
                            version=self.api_version, session=self._session)
        # names the product in change events (changeOrigin), so that the change-event
        # listener recognises its own writes (services/change_events.py)
        client.headers["Sforce-Call-Options"] = f"client={CALL_OPTIONS_CLIENT}"
        return client

    def _rest(self, method: str, path: str, **kwargs: Any) -> Any:
        """One REST call relative to /services/data/vNN.N/ (JSON or None for 204)."""
        return self._call(lambda sf: sf.restful(path, method=method, **kwargs))

    @property
    def base_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    # -- the one place errors are mapped and retried ---------------------------------
    def _call(self, action: Callable[[Salesforce], T]) -> T:
        refreshed = False
        for attempt in range(LOCK_RETRIES + 1):
            try:
                return action(self._sf)
            except LibraryError as exc:
                error = _translate(exc)
                if isinstance(error, SalesforceAuthError) and self._on_refresh and not refreshed:
                    refreshed = True
                    self._sf = self._connect(self._on_refresh())
                    continue
                if error.error_code == "UNABLE_TO_LOCK_ROW" and attempt < LOCK_RETRIES:
                    time.sleep(0.2 * 2 ** attempt)
                    continue
                raise error from exc
            except requests.RequestException as exc:
                raise SalesforceUnavailable("Salesforce could not be reached "  # no hosts
                                            f"({exc.__class__.__name__})") from exc
        raise SalesforceUnavailable("Salesforce kept a row locked; try again later")

    def _composite(self, subrequests: list[dict[str, Any]], all_or_none: bool = True
                   ) -> dict[str, Any]:
        """One API request; raises the first failing subrequest's error."""
        body = {"allOrNone": all_or_none, "compositeRequest": subrequests}
        response = self._rest("POST", "composite", json=body)
        results = {r["referenceId"]: r for r in response["compositeResponse"]}
        failed = []
        for sub in subrequests:
            result = results.get(sub["referenceId"])
            if result is None:
                continue
            status = int(result["httpStatusCode"])
            if status >= 300:
                errors = result["body"] if isinstance(result["body"], list) else []
                first = next((e for e in errors if e.get("errorCode") != "PROCESSING_HALTED"),
                             errors[0] if errors else {})
                failed.append(_error_for(status, first, sub.get("url"), result["body"]))
                continue
            _raise_collection_failures(result["body"], sub.get("url"))
        if failed:  # the cause, not the subrequests rolled back because of it
            raise next((e for e in failed if e.error_code != "PROCESSING_HALTED"), failed[0])
        return {ref: r["body"] for ref, r in results.items()}

    # -- Events -----------------------------------------------------------------------
    def create_event(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create an Event and read it back: ONE API request (composite)."""
        bodies = self._composite([
            {"method": "POST", "url": f"{self.base_path}/sobjects/Event",
             "referenceId": "newEvent", "body": fields},
            {"method": "GET", "url": f"{self.base_path}/sobjects/Event/@{{newEvent.id}}",
             "referenceId": "readEvent"},
        ])
        return _strip(bodies["readEvent"])

    def upsert_event(self, request_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create the Event marked with ``request_id`` in the External ID field
        ``REQUEST_ID_FIELD``, or update it when an earlier attempt created it, and read it
        back: ONE API request (composite), however often it is retried."""
        path = f"{self.base_path}/sobjects/Event/{REQUEST_ID_FIELD}/{_safe_key(request_id)}"
        try:
            bodies = self._composite([
                {"method": "PATCH", "url": path, "referenceId": "upsert", "body": fields},
                {"method": "GET", "referenceId": "read",
                 "url": f"{self.base_path}/sobjects/Event/@{{upsert.id}}"},
            ])
        except SalesforceValidationError as exc:
            if exc.error_code != "DUPLICATE_VALUE":
                raise
            # two attempts raced and the other one created it a moment ago
            return _strip(self._rest("GET", path.removeprefix(self.base_path + "/")))
        return _strip(bodies["read"])

    def install_request_id_field(self) -> bool:
        """Add the External ID field that makes creates retry-safe (Tooling API; needs
        Customize Application). False when the org has it already."""
        try:
            self._rest("POST", "tooling/sobjects/CustomField", json={
                "FullName": f"Activity.{REQUEST_ID_FIELD}",
                "Metadata": {"label": "Sidebar Request Id", "type": "Text", "length": 64,
                             "externalId": True, "unique": True,
                             "description": "Set by the email sidebar so a retried create "
                                            "never makes a second Event."}})
        except SalesforceValidationError as exc:
            if exc.error_code == "DUPLICATE_DEVELOPER_NAME":
                return False
            raise
        return True

    def find_created_event(self, owner_id: str, fields: Mapping[str, Any],
                           created_since: datetime, exclude: Iterable[str] = ()
                           ) -> dict[str, Any] | None:
        """The Event an earlier create with these ``fields`` made, if it reached Salesforce
        (its answer lost to a timeout or a crash): the user's own top-level Event with the
        same subject and start created since ``created_since``, not one in ``exclude``.
        ONE API request. Used only when a create's outcome is unknown."""
        soql = format_soql(
            f"SELECT {', '.join(EVENT_FIELDS)} FROM Event WHERE OwnerId = {{}} "
            "AND IsChild = false AND CreatedDate >= {:literal} AND Subject = {}",
            owner_id, soql_datetime(created_since), fields.get("Subject"))
        if fields.get("IsAllDayEvent"):
            soql += format_soql(" AND IsAllDayEvent = true AND ActivityDate = {:literal}",
                                str(fields.get("ActivityDate")))
        else:
            start = datetime.fromisoformat(str(fields.get("StartDateTime")))
            soql += format_soql(" AND StartDateTime = {:literal}", soql_datetime(start))
        soql += " ORDER BY CreatedDate"
        skip = set(exclude)
        result = self._call(lambda sf: sf.query_all(soql))
        for record in result["records"]:
            if record["Id"] not in skip:
                return _strip(record)
        return None

    def get_event(self, event_id: str) -> dict[str, Any]:
        return _strip(self._rest("GET", f"sobjects/Event/{_safe_id(event_id)}"))

    def update_event(self, event_id: str, fields: dict[str, Any]) -> None:
        self._rest("PATCH", f"sobjects/Event/{_safe_id(event_id)}", json=fields)

    def delete_event(self, event_id: str) -> None:
        self._rest("DELETE", f"sobjects/Event/{_safe_id(event_id)}")

    def changed_events(self, since: datetime, owner_id: str | None = None
                       ) -> list[dict[str, Any]]:
        """Events (not invitees' child events) modified after ``since``, oldest first."""
        soql = format_soql(
            f"SELECT {', '.join(EVENT_FIELDS)} FROM Event "
            "WHERE SystemModstamp > {:literal} AND IsChild = false", soql_datetime(since))
        if owner_id:
            soql += format_soql(" AND OwnerId = {}", owner_id)
        soql += " ORDER BY SystemModstamp"
        result = self._call(lambda sf: sf.query_all(soql))
        return [_strip(r) for r in result["records"]]

    def deleted_events(self, start: datetime, end: datetime) -> list[str]:
        result = self._rest("GET", "sobjects/Event/deleted/", params={
            "start": start.astimezone(UTC).isoformat(timespec="seconds"),
            "end": end.astimezone(UTC).isoformat(timespec="seconds")})
        return [row["id"] for row in result.get("deletedRecords", [])]

    # -- a pass's reads: one request for everything that changed ------------------------
    def changes_since(self, since: datetime, owner_id: str) -> SalesforceChanges:
        """Everything a sync pass needs from Salesforce: ONE API request (a composite of
        four queries) plus one per further page. The owner's top-level Events modified
        since ``since`` come with their EventRelations (a child sub-select); deleted ones
        come through queryAll (IsDeleted). Events whose invitee rows changed without the
        Event itself changing are found by a semi-join (Salesforce allows no semi-join
        under OR, hence a second query); deleted invitee rows by queryAll."""
        stamp = soql_datetime(since)
        fields = f"{', '.join(EVENT_FIELDS)}, {_RELATIONS_SUBSELECT}"
        queries = {
            "changed": ("queryAll", format_soql(
                f"SELECT {fields}, IsDeleted FROM Event WHERE OwnerId = {{}} "
                "AND IsChild = false AND SystemModstamp > {:literal}", owner_id, stamp)),
            "invited": ("query", format_soql(
                f"SELECT {fields} FROM Event WHERE OwnerId = {{}} AND IsChild = false AND "
                "Id IN (SELECT EventId FROM EventRelation WHERE SystemModstamp > {:literal})",
                owner_id, stamp)),
            "uninvited": ("queryAll", format_soql(
                "SELECT EventId FROM EventRelation WHERE IsDeleted = true AND "
                "SystemModstamp > {:literal} AND EventId IN (SELECT Id FROM Event WHERE "
                "OwnerId = {})", stamp, owner_id)),
            "owner": ("query", format_soql(
                "SELECT UserPreferencesLightningExperiencePreferred FROM User WHERE Id = {}",
                owner_id)),
        }
        bodies = self._composite([
            {"method": "GET", "referenceId": ref,
             "url": f"{self.base_path}/{resource}?{_urlencode(q=soql)}"}
            for ref, (resource, soql) in queries.items()], all_or_none=False)
        events: dict[str, EventSnapshot] = {}
        deleted: set[str] = set()
        for ref in ("changed", "invited"):
            for record in self._all_pages(bodies[ref]):
                if record.get("IsDeleted"):
                    deleted.add(record["Id"])
                else:
                    events[record["Id"]] = self._snapshot(record)
        uninvited = {row["EventId"] for row in self._all_pages(bodies["uninvited"])}
        owner = bodies["owner"]["records"]
        lightning = bool(owner and owner[0]["UserPreferencesLightningExperiencePreferred"])
        return SalesforceChanges(events, deleted, uninvited - set(events) - deleted,
                                 "lightning" if lightning else "classic")

    def events_with_relations(self, event_ids: Iterable[str]) -> dict[str, EventSnapshot]:
        """The named Events, each with its EventRelations: ONE query per 200 ids (plus
        one per further page). An id missing from the answer is deleted or not visible."""
        ids = sorted({_safe_id(i) for i in event_ids})
        found: dict[str, EventSnapshot] = {}
        for start in range(0, len(ids), IDS_PER_QUERY):
            soql = format_soql(f"SELECT {', '.join(EVENT_FIELDS)}, {_RELATIONS_SUBSELECT} "
                               "FROM Event WHERE Id IN {}", ids[start: start + IDS_PER_QUERY])
            first: dict[str, Any] = self._rest("GET", "query", params={"q": soql})
            for record in self._all_pages(first):
                found[record["Id"]] = self._snapshot(record)
        return found

    def _all_pages(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A query answer's records, following nextRecordsUrl (one request a page)."""
        records = list(body.get("records") or [])
        while not body.get("done", True) and body.get("nextRecordsUrl"):
            path = str(body["nextRecordsUrl"]).removeprefix(self.base_path + "/")
            body = self._rest("GET", path)
            records += body.get("records") or []
        return records

    def _snapshot(self, record: Mapping[str, Any]) -> EventSnapshot:
        """An Event read with its EventRelations sub-select; a child result cut into
        pages (done false) is read whole."""
        children = record.get("EventRelations") or {"records": [], "done": True}
        relations = [_relation(r) for r in children.get("records") or []]
        if not children.get("done", True):
            relations = self.event_relations(record["Id"])
        event = {k: v for k, v in _strip(record).items()
                 if k not in ("EventRelations", "IsDeleted")}
        return EventSnapshot(event, relations, {})

    # -- attendees ----------------------------------------------------------------------
    def event_relations(self, event_id: str) -> list[EventRelationRecord]:
        soql = format_soql(f"SELECT {', '.join(RELATION_FIELDS)} FROM EventRelation "
                           "WHERE EventId = {}", event_id)
        result = self._call(lambda sf: sf.query_all(soql))
        return [_relation(r) for r in result["records"]]

    def changed_event_relations(self, since: datetime,
                                event_ids: Sequence[str] | None = None
                                ) -> list[EventRelationRecord]:
        """Invitee rows added, changed or deleted since ``since`` (deleted rows come with
        is_deleted=True: queryAll)."""
        soql = format_soql(f"SELECT {', '.join(RELATION_FIELDS)} FROM EventRelation "
                           "WHERE SystemModstamp > {:literal}", soql_datetime(since))
        if event_ids:
            soql += format_soql(" AND EventId IN {}", list(event_ids))
        result = self._call(lambda sf: sf.query_all(soql, include_deleted=True))
        return [_relation(r) for r in result["records"]]

    def change_invitees(self, event_id: str, *, add: Sequence[str] = (),
                        remove: Sequence[str] = (), who_id: str | None = None,
                        statuses: Mapping[str, str] | None = None,
                        existing: Sequence[EventRelationRecord] | None = None) -> None:
        """Invite ``add`` and uninvite ``remove`` (RelationIds), set WhoId and response
        statuses (RelationId -> New|Accepted|Declined): ONE API request when the caller
        passes the ``existing`` rows it just read (otherwise one more to read them)."""
        subrequests = self.invitee_subrequests(event_id, add=add, remove=remove,
                                               who_id=who_id, statuses=statuses,
                                               existing=existing)
        if subrequests:
            self._composite(subrequests)

    def invitee_subrequests(self, event_id: str, *, add: Sequence[str] = (),
                            remove: Sequence[str] = (), who_id: str | None = None,
                            statuses: Mapping[str, str] | None = None,
                            existing: Sequence[EventRelationRecord] | None = None
                            ) -> list[dict[str, Any]]:
        """The composite subrequests ``change_invitees`` sends (referenceIds unique per
        Event), so several Events' changes can share one composite request."""
        statuses = dict(statuses or {})
        if existing is None and (remove or statuses or add):
            existing = self.event_relations(event_id)
        rows = {row.relation_id: row for row in existing or ()}
        creates, updates, deletes = _relation_changes(event_id, rows, add, remove, statuses)
        subrequests: list[dict[str, Any]] = []
        collections = f"{self.base_path}/composite/sobjects"
        if deletes:
            subrequests.append({"method": "DELETE", "referenceId": "uninvite",
                                "url": f"{collections}?allOrNone=true&ids={','.join(deletes)}"})
        if updates:
            subrequests.append({"method": "PATCH", "url": collections, "referenceId": "change",
                                "body": {"allOrNone": True, "records": [
                                    {"attributes": {"type": "EventRelation"}, "id": row_id,
                                     **values} for row_id, values in updates.items()]}})
        for index in range(0, len(creates), 200):
            subrequests.append({"method": "POST", "url": collections,
                                "referenceId": f"invite{index // 200}",
                                "body": {"allOrNone": True,
                                         "records": creates[index: index + 200]}})
        if who_id:
            subrequests.append({"method": "PATCH", "referenceId": "who",
                                "url": f"{self.base_path}/sobjects/Event/{event_id}",
                                "body": {"WhoId": who_id}})
        for sub in subrequests:
            sub["referenceId"] = f"{sub['referenceId']}_{event_id}"
        return subrequests

    def send_composites(self, groups: list[list[dict[str, Any]]]
                        ) -> dict[int, SalesforceError | None]:
        """Several Events' writes (a group of ``invitee_subrequests`` or field PATCHes
        each) in as few requests as Salesforce allows: every group's EventRelation
        deletes, updates and creates merged into sObject Collections of 200 records
        (allOrNone false, so one record's failure is its Event's alone), the rest as
        they are, in composites of at most 25 subrequests of which at most 5 are
        collections. Answers per group index None or its first error."""
        collections = f"{self.base_path}/composite/sobjects"
        planned = _planned(groups, collections)
        outcome: dict[int, SalesforceError | None] = dict.fromkeys(range(len(groups)))
        batch: list[tuple[dict[str, Any], list[int]]] = []
        heavy = 0
        for entry in planned:
            is_heavy = entry[0]["url"].split("?")[0] == collections
            if batch and (len(batch) == COMPOSITE_LIMIT or
                          (is_heavy and heavy == COMPOSITE_HEAVY_LIMIT)):
                self._send_planned(batch, outcome)
                batch, heavy = [], 0
            batch.append(entry)
            heavy += is_heavy
        if batch:
            self._send_planned(batch, outcome)
        return outcome

    def _send_planned(self, batch: list[tuple[dict[str, Any], list[int]]],
                      outcome: dict[int, SalesforceError | None]) -> None:
        response = self._rest("POST", "composite", json={
            "allOrNone": False, "compositeRequest": [sub for sub, _ in batch]})
        results = {r["referenceId"]: r for r in response["compositeResponse"]}
        for sub, owners in batch:
            result = results.get(sub["referenceId"]) or {"httpStatusCode": 500, "body": []}
            status, body = int(result["httpStatusCode"]), result.get("body")
            if status >= 300:
                errors = body if isinstance(body, list) and body else [{}]
                error = _error_for(status, errors[0], sub["url"], body)
                for index in owners:
                    outcome[index] = outcome[index] or error
                continue
            for index, answer in zip(owners, body if isinstance(body, list) else [],
                                     strict=False):
                if isinstance(answer, Mapping) and answer.get("success") is False:
                    first = (answer.get("errors") or [{}])[0]
                    outcome[index] = outcome[index] or _error_for(400, first, sub["url"],
                                                                  body)

    # -- people and records -------------------------------------------------------------
    def find_people_by_emails(self, emails: Iterable[str]) -> dict[str, list[PersonRecord]]:
        """Active Users, Contacts and unconverted Leads by email (case-insensitive), in
        ONE API request for up to 100 addresses (a composite of three queries)."""
        keys = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found: dict[str, list[PersonRecord]] = {key: [] for key in keys}
        for start in range(0, len(keys), EMAILS_PER_QUERY):
            chunk = keys[start: start + EMAILS_PER_QUERY]
            _collect_people(self._composite(self._people_queries(chunk), all_or_none=False),
                            found)
        return found

    def _people_queries(self, emails: list[str]) -> list[dict[str, Any]]:
        queries = {
            "users": format_soql("SELECT Id, Name, Email, LastModifiedDate FROM User "
                                 "WHERE IsActive = true AND Email IN {}", emails),
            "contacts": format_soql("SELECT Id, Name, Email, LastModifiedDate, "
                                    "Account.Name FROM Contact WHERE Email IN {}", emails),
            "leads": format_soql("SELECT Id, Name, Email, LastModifiedDate, Company "
                                 "FROM Lead WHERE IsConverted = false AND Email IN {}", emails),
        }
        return [{"method": "GET", "referenceId": ref,
                 "url": f"{self.base_path}/query?{_urlencode(q=soql)}"}
                for ref, soql in queries.items()]

    def event_with_relations(self, event_id: str, emails: Iterable[str] = ()
                             ) -> EventSnapshot:
        """The Event, its EventRelations and (for up to 100 ``emails``) the people those
        addresses match: ONE API request (a composite of reads)."""
        keys = sorted({e.strip().lower() for e in emails if e and e.strip()})
        first, rest = keys[:EMAILS_PER_QUERY], keys[EMAILS_PER_QUERY:]
        relations_soql = format_soql(f"SELECT {', '.join(RELATION_FIELDS)} FROM "
                                     "EventRelation WHERE EventId = {}", event_id)
        subrequests = [
            {"method": "GET", "referenceId": "event",
             "url": f"{self.base_path}/sobjects/Event/{_safe_id(event_id)}"},
            {"method": "GET", "referenceId": "relations",
             "url": f"{self.base_path}/query?{_urlencode(q=relations_soql)}"},
        ]
        if first:
            subrequests += self._people_queries(first)
        bodies = self._composite(subrequests, all_or_none=False)
        relations_body = bodies["relations"]
        relations = [_relation(r) for r in relations_body["records"]] \
            if relations_body.get("done", True) else self.event_relations(event_id)
        people: dict[str, list[PersonRecord]] = {key: [] for key in first}
        if first:
            _collect_people(bodies, people)
        if rest:
            people.update(self.find_people_by_emails(rest))
        return EventSnapshot(_strip(bodies["event"]), relations, people)

    def user_experience(self, user_id: str) -> str:
        """'lightning' or 'classic', read from the User's
        UserPreferencesLightningExperiencePreferred."""
        soql = format_soql("SELECT UserPreferencesLightningExperiencePreferred FROM User "
                           "WHERE Id = {}", user_id)
        rows = self._call(lambda sf: sf.query(soql))["records"]
        if not rows:
            raise SalesforceNotFound(f"no user {user_id}", status=404, error_code="NOT_FOUND")
        return "lightning" if rows[0]["UserPreferencesLightningExperiencePreferred"] else \
            "classic"
