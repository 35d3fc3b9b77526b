"""Change Data Capture in the sandbox org: every committed write to a selected entity
(Event, EventRelation) becomes a change event on its channel (/data/EventChangeEvent,
/data/EventRelationChangeEvent), kept for a retention window and served over the Pub/Sub
API (pubsub.py).

What a change event carries (docs/upstream-facts.md, "Salesforce change events"):
- ``ChangeEventHeader``: entityName, recordIds, changeType (CREATE, UPDATE, DELETE,
  UNDELETE and the GAP_* kinds), changeOrigin (who wrote: the API and the client named in
  ``Sforce-Call-Options``), transactionKey, sequenceNumber, commitTimestamp, commitNumber,
  commitUser, and the bitmap fields nulledFields / diffFields / changedFields;
- a CREATE holds every non-null field, an UPDATE only the fields that changed (the others
  null), a DELETE only the header.
Events are published at commit: writes inside an all-or-none transaction that rolls back
publish nothing. Settings: ``salesforce.changeEvents.gap`` turns the next events into GAP_*
events (header only, the record ids kept), ``salesforce.changeEvents.overflowAt`` turns a
transaction touching more records than that into one GAP_OVERFLOW event per entity,
``salesforce.changeEvents.retention`` is how many events stay replayable.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import fastavro

from addin.sandbox.salesforce.schema import SObjectSpec

CHANNELS = {"Event": "/data/EventChangeEvent", "EventRelation": "/data/EventRelationChangeEvent"}
CHANGE_TYPES = ["CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE",
                "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW"]
# fields that are the record's identity or bookkeeping, never in the body of a change event
NOT_IN_BODY = {"Id", "IsDeleted", "SystemModstamp", "attributes"}

# who is writing, set per request by the REST layer: "com/salesforce/api/rest/62.0;client=x"
change_origin: ContextVar[str] = ContextVar("change_origin", default="")

_AVRO_TYPES = {"boolean": "boolean", "int": "int", "double": "double",
               "datetime": {"type": "long", "logicalType": "timestamp-millis"},
               "date": {"type": "int", "logicalType": "date"}}


def avro_schema(spec: SObjectSpec) -> dict[str, Any]:
    """The Avro schema of ``{Entity}ChangeEvent``: the header, then every field of the
    entity as a nullable value (in the entity's field order: the bitmaps index it)."""
    header = {"type": "record", "name": "ChangeEventHeader", "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {"name": "changeType", "type": {"type": "enum", "name": "ChangeType",
                                        "symbols": CHANGE_TYPES}},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
        {"name": "diffFields", "type": {"type": "array", "items": "string"}},
        {"name": "changedFields", "type": {"type": "array", "items": "string"}},
    ]}
    fields: list[dict[str, Any]] = [{"name": "ChangeEventHeader", "type": header}]
    for name, spec_field in spec.fields.items():
        if name in NOT_IN_BODY:
            continue
        value_type = _AVRO_TYPES.get(spec_field.type, "string")
        fields.append({"name": name, "type": ["null", value_type], "default": None})
    return {"type": "record", "name": f"{spec.name}ChangeEvent",
            "namespace": "com.sforce.eventbus", "fields": fields}


def schema_id(schema: dict[str, Any]) -> str:
    """A fingerprint of the schema, as opaque to clients as Salesforce's."""
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()[:22]


def bitmap(schema: dict[str, Any], names: list[str]) -> list[str]:
    """Salesforce's bitmap encoding of a list of top-level field names: bit i stands for
    the schema's field i, written as one hex string ("0x...")."""
    positions = {f["name"]: index for index, f in enumerate(schema["fields"])}
    bits = 0
    for name in names:
        if name in positions:
            bits |= 1 << positions[name]
    return [f"0x{bits:X}"] if bits else []


@dataclass
class StoredEvent:
    replay: int
    channel: str
    event_id: str
    schema_id: str
    payload: bytes
    published: float = field(default_factory=time.time)


@dataclass
class _Pending:
    entity: str
    change_type: str
    record: dict[str, Any]
    fields: list[str]
    user_id: str
    origin: str


class ChangeEventBus:
    """The org's event bus for change events. Wiring (not durable data): a restart of the
    sandbox starts with an empty bus, as a stream whose retention has passed."""

    def __init__(self, specs: Callable[[str], SObjectSpec], setting: Callable[[str], Any]):
        self._specs = specs
        self._setting = setting
        self._lock = threading.Condition()
        self.events: list[StoredEvent] = []
        self._replay = 0
        self._commit = 0
        self._local = threading.local()
        self.schemas: dict[str, dict[str, Any]] = {}  # schema id -> schema
        self.channel_schema: dict[str, str] = {}  # channel -> schema id
        for entity, channel in CHANNELS.items():
            schema = avro_schema(specs(entity))
            sid = schema_id(schema)
            self.schemas[sid] = schema
            self.channel_schema[channel] = sid

    # -- the org's side ---------------------------------------------------------------
    def begin(self) -> None:
        self._local.depth = getattr(self._local, "depth", 0) + 1
        if self._local.depth == 1:
            self._local.pending = []

    def end(self, committed: bool) -> None:
        self._local.depth -= 1
        if self._local.depth == 0:
            pending: list[_Pending] = self._local.pending
            self._local.pending = []
            if committed:
                self._publish(pending)

    def record(self, entity: str, change_type: str, record: dict[str, Any],
               fields: list[str], user_id: str) -> None:
        if entity not in CHANNELS:
            return
        change = _Pending(entity, change_type, dict(record), list(fields), user_id,
                          change_origin.get())
        if getattr(self._local, "depth", 0) > 0:
            self._local.pending.append(change)
        else:
            self._publish([change])

    # -- publishing -------------------------------------------------------------------
    def _publish(self, changes: list[_Pending]) -> None:
        if not changes:
            return
        with self._lock:
            self._commit += 1
            transaction = str(uuid.uuid4())
            overflow_at = int(self._setting("salesforce.changeEvents.overflowAt") or 0)
            if overflow_at and len(changes) > overflow_at:
                entities = dict.fromkeys(c.entity for c in changes)
                for sequence, entity in enumerate(entities, start=1):
                    self._store(_Pending(entity, "GAP_OVERFLOW", {}, [], changes[0].user_id,
                                         changes[0].origin), transaction, sequence)
            else:
                gap = bool(self._setting("salesforce.changeEvents.gap"))
                for sequence, change in enumerate(changes, start=1):
                    if gap:
                        change.change_type = "GAP_" + change.change_type
                    self._store(change, transaction, sequence)
            retention = int(self._setting("salesforce.changeEvents.retention") or 10000)
            del self.events[:-retention]
            self._lock.notify_all()

    def _store(self, change: _Pending, transaction: str, sequence: int) -> None:
        channel = CHANNELS[change.entity]
        sid = self.channel_schema[channel]
        schema = self.schemas[sid]
        types = {f["name"]: f["type"][1] for f in schema["fields"][1:]}
        body: dict[str, Any] = dict.fromkeys(types)
        changed: list[str] = []
        if change.change_type in ("CREATE", "UNDELETE"):
            for name in body:
                body[name] = _avro_value(change.record.get(name), types[name])
        elif change.change_type == "UPDATE":
            changed = [n for n in change.fields if n in body]
            for name in changed:
                body[name] = _avro_value(change.record.get(name), types[name])
        record_ids = [change.record["Id"]] if change.record.get("Id") else []
        header = {
            "entityName": change.entity, "recordIds": record_ids,
            "changeType": change.change_type, "changeOrigin": change.origin,
            "transactionKey": transaction, "sequenceNumber": sequence,
            "commitTimestamp": int(time.time() * 1000), "commitNumber": self._commit,
            "commitUser": change.user_id,
            "nulledFields": bitmap(schema, [n for n in changed if body.get(n) is None]),
            "diffFields": [], "changedFields": bitmap(schema, changed),
        }
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema),
                                   {"ChangeEventHeader": header, **body})
        self._replay += 1
        self.events.append(StoredEvent(self._replay, channel, str(uuid.uuid4()), sid,
                                       buffer.getvalue()))

    # -- the subscriber's side ----------------------------------------------------------
    def oldest_replay(self) -> int:
        return self.events[0].replay if self.events else self._replay + 1

    def latest_replay(self) -> int:
        return self._replay

    def after(self, channel: str, replay: int, limit: int) -> list[StoredEvent]:
        with self._lock:
            found = [e for e in self.events if e.replay > replay and e.channel == channel]
            return found[:limit]

    def wait(self, replay: int, timeout: float) -> None:
        """Until an event after ``replay`` is published (any channel) or the timeout."""
        with self._lock:
            if self._replay <= replay:
                self._lock.wait(timeout)


def _avro_value(value: Any, avro_type: Any) -> Any:
    """A record's JSON value as the schema's Avro type wants it."""
    if value is None or not isinstance(avro_type, dict):
        return None if value is None else (str(value) if avro_type == "string" else value)
    if avro_type.get("logicalType") == "timestamp-millis":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00").replace("+0000",
                                                                                "+00:00"))
    if avro_type.get("logicalType") == "date":
        return date.fromisoformat(str(value)[:10])
    return value
