"""A client of Salesforce's Pub/Sub API (gRPC) for change events: the topic's schema, and a
Subscribe stream with flow control, decoding each event's Avro payload with the schema the
event names (fastavro). It knows nothing of users or mirrors (services/change_events.py)."""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastavro
import grpc

import eventbus

messages = eventbus.messages
REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
BATCH = 100  # events asked for at a time


class ChangeStreamError(Exception):
    """The stream ended; subscribe again (after a pause)."""


class ReplayExpired(ChangeStreamError):
    """The stored replay id is outside the retention window: changes may have been missed."""


class StreamAuthExpired(ChangeStreamError):
    """The access token was refused: refresh it and subscribe again."""


@dataclass
class ChangeEvent:
    replay_id: bytes
    entity: str
    change_type: str
    record_ids: list[str]
    change_origin: str
    commit_user: str
    fields: dict[str, Any]  # the body: every field of a CREATE, the changed ones of an UPDATE
    changed_fields: list[str]


class ChangeEventStream:
    def __init__(self, target: str, *, access_token: str, instance_url: str, org_id: str,
                 ca_path: str | None = None):
        root = open(ca_path, "rb").read() if ca_path else None  # noqa: SIM115
        self._channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root))
        self._stub = eventbus.services.PubSubStub(self._channel)
        self._metadata = (("accesstoken", access_token), ("instanceurl", instance_url),
                          ("tenantid", org_id))
        self._schemas: dict[str, dict[str, Any]] = {}
        self._call: Any = None

    def close(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._channel.close()

    def schema(self, schema_id: str) -> dict[str, Any]:
        if schema_id not in self._schemas:
            info = self._unary(self._stub.GetSchema, messages.SchemaRequest(schema_id=schema_id))
            self._schemas[schema_id] = json.loads(info.schema_json)
        return self._schemas[schema_id]

    def _unary(self, method: Any, request: Any) -> Any:
        try:
            return method(request, metadata=self._metadata, timeout=30)
        except grpc.RpcError as exc:
            raise _translate(exc) from exc

    def subscribe(self, topic: str, after: bytes | None, stop: threading.Event
                  ) -> Iterator[tuple[bytes, list[ChangeEvent]]]:
        """(latest replay id, events) per response, events in order; an empty list is a
        keep-alive (store its replay id all the same)."""
        credit: queue.Queue[Any] = queue.Queue()
        first = messages.FetchRequest(topic_name=topic, num_requested=BATCH)
        if after:
            first.replay_preset = messages.ReplayPreset.Value("CUSTOM")
            first.replay_id = after
        credit.put(first)

        def requests() -> Iterator[Any]:
            while not stop.is_set():
                try:
                    item = credit.get(timeout=0.5)
                except queue.Empty:
                    continue
                if item is None:
                    return
                yield item

        self._call = self._stub.Subscribe(requests(), metadata=self._metadata)
        try:
            for response in self._call:
                events = [self._decode(e) for e in response.events]
                if response.pending_num_requested <= 0 and events:
                    credit.put(messages.FetchRequest(topic_name=topic, num_requested=BATCH))
                yield response.latest_replay_id, events
                if stop.is_set():
                    break
        except grpc.RpcError as exc:
            if stop.is_set() and exc.code() == grpc.StatusCode.CANCELLED:
                return
            raise _translate(exc) from exc
        finally:
            credit.put(None)
            self._call.cancel()

    def _decode(self, consumer: Any) -> ChangeEvent:
        schema = self.schema(consumer.event.schema_id)
        record = fastavro.schemaless_reader(io.BytesIO(consumer.event.payload),
                                            fastavro.parse_schema(schema))
        assert isinstance(record, dict)
        header = record.pop("ChangeEventHeader")
        names = [f["name"] for f in schema["fields"]]
        return ChangeEvent(
            replay_id=consumer.replay_id, entity=header["entityName"],
            change_type=header["changeType"], record_ids=list(header["recordIds"]),
            change_origin=header.get("changeOrigin") or "",
            commit_user=header.get("commitUser") or "",
            fields={k: v for k, v in record.items() if v is not None},
            changed_fields=fields_of_bitmap(names, header.get("changedFields") or []))


def fields_of_bitmap(names: list[str], bitmaps: list[str]) -> list[str]:
    """Field names from Salesforce's bitmap encoding (bit i = the schema's field i); the
    nested form "N-0x..." (fields of compound field N) names the compound field."""
    found: list[str] = []
    for item in bitmaps:
        if "-" in item:
            index = int(item.split("-", 1)[0])
            if index < len(names):
                found.append(names[index])
            continue
        bits = int(item, 16)
        found.extend(name for index, name in enumerate(names) if bits >> index & 1)
    return found


def _translate(exc: grpc.RpcError) -> ChangeStreamError:
    code = exc.code() if hasattr(exc, "code") else None
    trailers = dict(exc.trailing_metadata() or ()) if hasattr(exc, "trailing_metadata") else {}
    if trailers.get("error-code") == REPLAY_CORRUPTED:
        return ReplayExpired("the stored replay id is no longer retained")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return StreamAuthExpired("the Pub/Sub API refused the session")
    return ChangeStreamError(f"the change-event stream ended ({code.name if code else 'error'})")
