"""Lightning event series in Salesforce, on the product's Salesforce adapter.

Salesforce keeps an Event record per occurrence, each carrying the series' pattern fields;
no field links an occurrence to its series (the series record is not an Event the REST
API shows), so the occurrences of a series are the owner's Events with the same
``Recurrence2PatternStartDate`` and ``Recurrence2PatternText``. Invitees
(EventRelations) are per occurrence: an invitee of the series is one on every occurrence,
written in ONE composite request whatever the number of occurrences. The REST API never
emails anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from simple_salesforce import format_soql

from addin.providers.salesforce.client import (
    EVENT_FIELDS,
    RELATION_FIELDS,
    SalesforceClient,
    _relation,
    soql_datetime,
)
from addin.providers.salesforce.records import EventRelationRecord

SERIES_FIELDS = ("IsRecurrence2", "Recurrence2PatternText", "Recurrence2PatternStartDate",
                 "Recurrence2PatternTimeZone", "IsRecurrence2Exception")
PER_COLLECTION = 200  # sObject Collections: records per request
PER_COMPOSITE = 25  # composite: subrequests per request


def series_key(record: Mapping[str, Any]) -> dict[str, str] | None:
    """What identifies the series of an occurrence record; None for a single Event."""
    if not record.get("IsRecurrence2") or not record.get("Recurrence2PatternStartDate"):
        return None
    return {"ownerId": str(record["OwnerId"]),
            "patternStartDate": str(record["Recurrence2PatternStartDate"]),
            "patternText": str(record.get("Recurrence2PatternText") or "")}


def occurrences(salesforce: SalesforceClient, key: Mapping[str, str], *,
                same_text: bool = True) -> list[dict[str, Any]]:
    """The live occurrence Events of a series, by start: ONE API request. ``same_text``
    False keeps occurrences whose pattern text changed since (a later "critical change"
    ends the earlier occurrences' rule with an UNTIL)."""
    fields = ", ".join(dict.fromkeys((*EVENT_FIELDS, *SERIES_FIELDS)))
    soql = format_soql(f"SELECT {fields} FROM Event WHERE OwnerId = {{}} "
                       "AND IsRecurrence2 = true AND IsChild = false "
                       "AND Recurrence2PatternStartDate = {:literal} ORDER BY StartDateTime",
                       key["ownerId"], key["patternStartDate"])
    result = salesforce._call(lambda sf: sf.query_all(soql))
    return [{k: v for k, v in r.items() if k != "attributes"} for r in result["records"]
            if not same_text or str(r.get("Recurrence2PatternText") or "") == key["patternText"]]


def recreated_since(salesforce: SalesforceClient, owner_id: str, subject: str,
                    since: datetime, known: Iterable[str]) -> list[str]:
    """Series occurrences of this owner and subject created since ``since`` that are not
    ``known``: what a change of the pattern in Salesforce (which deletes the series from
    that occurrence on and makes a new one) leaves. ONE API request."""
    soql = format_soql("SELECT Id FROM Event WHERE OwnerId = {} AND IsRecurrence2 = true "
                       "AND IsChild = false AND Subject = {} AND CreatedDate > {:literal}",
                       owner_id, subject, soql_datetime(since))
    taken = set(known)
    return [str(r["Id"]) for r in _query(salesforce, soql) if str(r["Id"]) not in taken]


def delete_series(salesforce: SalesforceClient, first_event_id: str) -> None:
    """Delete the whole series from its first live occurrence on: ONE API request."""
    salesforce._rest("DELETE", f"sobjects/Event/{first_event_id}/fromThisEventOnwards")


def relations(salesforce: SalesforceClient, event_ids: Sequence[str]
              ) -> dict[str, list[EventRelationRecord]]:
    """The EventRelations of every occurrence: ONE API request (per 200 occurrences)."""
    found: dict[str, list[EventRelationRecord]] = {e: [] for e in event_ids}
    for index in range(0, len(event_ids), PER_COLLECTION):
        soql = format_soql(f"SELECT {', '.join(RELATION_FIELDS)} FROM EventRelation "
                           "WHERE EventId IN {}", list(event_ids[index: index + PER_COLLECTION]))
        for row in _query(salesforce, soql):
            relation = _relation(row)
            found.setdefault(relation.event_id, []).append(relation)
    return found


def change_series_invitees(salesforce: SalesforceClient,
                           existing: Mapping[str, Sequence[EventRelationRecord]], *,
                           add: Sequence[str] = (), remove: Sequence[str] = ()) -> int:
    """Invite ``add`` and uninvite ``remove`` (RelationIds) on every occurrence in
    ``existing`` (occurrence id -> its relations, as just read): one composite request per
    25 x 200 rows. Returns how many requests it took."""
    creates: list[dict[str, Any]] = []
    deletes: list[str] = []
    updates: list[dict[str, Any]] = []
    for event_id, rows in existing.items():
        by_relation = {row.relation_id: row for row in rows}
        for relation_id in dict.fromkeys(add):
            row = by_relation.get(relation_id)
            if row is None:
                creates.append({"attributes": {"type": "EventRelation"}, "EventId": event_id,
                                "RelationId": relation_id, "IsInvitee": True})
            elif not row.is_invitee:
                updates.append({"attributes": {"type": "EventRelation"}, "id": row.id,
                                "IsInvitee": True})
        for relation_id in dict.fromkeys(remove):
            row = by_relation.get(relation_id)
            if row is None or not row.is_invitee:
                continue
            if row.is_parent or row.is_what:
                updates.append({"attributes": {"type": "EventRelation"}, "id": row.id,
                                "IsInvitee": False})
            else:
                deletes.append(row.id)
    collections = f"{salesforce.base_path}/composite/sobjects"
    subrequests: list[dict[str, Any]] = []
    for index in range(0, len(deletes), PER_COLLECTION):
        ids = ",".join(deletes[index: index + PER_COLLECTION])
        subrequests.append({"method": "DELETE", "referenceId": f"uninvite{index}",
                            "url": f"{collections}?allOrNone=true&ids={ids}"})
    for index in range(0, len(updates), PER_COLLECTION):
        subrequests.append({"method": "PATCH", "url": collections,
                            "referenceId": f"change{index}",
                            "body": {"allOrNone": True,
                                     "records": updates[index: index + PER_COLLECTION]}})
    for index in range(0, len(creates), PER_COLLECTION):
        subrequests.append({"method": "POST", "url": collections,
                            "referenceId": f"invite{index}",
                            "body": {"allOrNone": True,
                                     "records": creates[index: index + PER_COLLECTION]}})
    for index in range(0, len(subrequests), PER_COMPOSITE):
        salesforce._composite(subrequests[index: index + PER_COMPOSITE])
    return -(-len(subrequests) // PER_COMPOSITE)


def _query(salesforce: SalesforceClient, soql: str) -> list[dict[str, Any]]:
    return list(salesforce._call(lambda sf: sf.query_all(soql))["records"])


def update_occurrences(salesforce: SalesforceClient, event_ids: Sequence[str],
                       fields: Mapping[str, Any]) -> None:
    """The same fields on every occurrence: one composite request (per 25 x 200)."""
    collections = f"{salesforce.base_path}/composite/sobjects"
    subrequests = [{"method": "PATCH", "url": collections, "referenceId": f"rename{index}",
                    "body": {"allOrNone": True, "records": [
                        {"attributes": {"type": "Event"}, "id": event_id, **fields}
                        for event_id in event_ids[index: index + PER_COLLECTION]]}}
                   for index in range(0, len(event_ids), PER_COLLECTION)]
    for index in range(0, len(subrequests), PER_COMPOSITE):
        salesforce._composite(subrequests[index: index + PER_COMPOSITE])
