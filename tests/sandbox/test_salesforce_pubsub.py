"""The sandbox org's Pub/Sub API (gRPC): change events for Event and EventRelation, driven
with a stub generated from the Pub/Sub API's published interface (eventbus.v1) and decoded
with fastavro, as any Salesforce subscriber would."""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastavro
import grpc
import pytest
import requests
from simple_salesforce import Salesforce

import eventbus
from addin.sandbox import SandboxRuntime
from tests.clock import at, day, salesforce
from tests.sandbox.conftest import AVA, BEN

messages = eventbus.messages
EVENTS, RELATIONS = "/data/EventChangeEvent", "/data/EventRelationChangeEvent"
START = salesforce(at(day(4), "10:00"))  # the Friday of the test week, 10:00 UTC


class Subscriber:
    """A Subscribe stream whose credit the test hands out, one FetchRequest at a time."""

    def __init__(self, stub: Any, metadata: Any, topic: str, first: Any):
        self.requests: queue.Queue[Any] = queue.Queue()
        self.responses: queue.Queue[Any] = queue.Queue()
        self.topic = topic
        self.requests.put(first)
        self.call = stub.Subscribe(iter(self.requests.get, None), metadata=metadata)
        self.error: grpc.RpcError | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for response in self.call:
                self.responses.put(response)
        except grpc.RpcError as exc:
            self.error = exc
            self.responses.put(None)

    def more(self, count: int) -> None:
        self.requests.put(messages.FetchRequest(topic_name=self.topic, num_requested=count))

    def next(self, timeout: float = 5.0) -> Any:
        return self.responses.get(timeout=timeout)

    def events(self, count: int, timeout: float = 5.0) -> list[Any]:
        found: list[Any] = []
        while len(found) < count:
            response = self.next(timeout)
            if response is None:
                raise AssertionError(f"stream failed: {self.error}")
            found.extend(response.events)
        return found

    def close(self) -> None:
        self.call.cancel()
        self.requests.put(None)


@pytest.fixture
def pubsub(clean_sandbox: SandboxRuntime) -> Iterator[Callable[..., Any]]:
    channel = grpc.secure_channel(
        clean_sandbox.services["salesforcePubSub"],
        grpc.ssl_channel_credentials(Path(clean_sandbox.ca_path).read_bytes()))
    stub = eventbus.services.PubSubStub(channel)
    opened: list[Subscriber] = []

    def metadata(email: str = AVA) -> tuple[tuple[str, str], ...]:
        token = clean_sandbox.state.tokens.issue("salesforce", email)
        return (("accesstoken", token), ("instanceurl", clean_sandbox.origins["salesforce"]),
                ("tenantid", clean_sandbox.org_id))

    def subscribe(topic: str = EVENTS, requested: int = 100, preset: str = "TIP",
                  replay: bytes = b"") -> Subscriber:
        if preset == "TIP":  # LATEST as of now, not as of when the server reads the request
            bus = clean_sandbox.apps["salesforce"].extensions["salesforce_changes"]
            preset, replay = "CUSTOM", bus.latest_replay().to_bytes(8, "big")
        first = messages.FetchRequest(topic_name=topic, num_requested=requested,
                                      replay_preset=messages.ReplayPreset.Value(preset),
                                      replay_id=replay)
        subscriber = Subscriber(stub, metadata(), topic, first)
        opened.append(subscriber)
        return subscriber

    subscribe.stub = stub  # type: ignore[attr-defined]
    subscribe.metadata = metadata  # type: ignore[attr-defined]
    yield subscribe
    for subscriber in opened:
        subscriber.close()
    channel.close()


def _decode(pubsub: Any, event: Any) -> dict[str, Any]:
    info = pubsub.stub.GetSchema(messages.SchemaRequest(schema_id=event.event.schema_id),
                                 metadata=pubsub.metadata())
    schema = json.loads(info.schema_json)
    record = fastavro.schemaless_reader(io.BytesIO(event.event.payload),
                                        fastavro.parse_schema(schema))
    assert isinstance(record, dict)
    record["_fields"] = [f["name"] for f in schema["fields"]]
    return record


def _named(record: dict[str, Any], bitmaps: list[str]) -> set[str]:
    bits = int(bitmaps[0], 16) if bitmaps else 0
    return {name for index, name in enumerate(record["_fields"]) if bits >> index & 1}


def _event(sf: Salesforce, **fields: Any) -> str:
    return str(sf.Event.create({"Subject": "Demo", "StartDateTime": START,
                                "DurationInMinutes": 30, **fields})["id"])


def test_topic_and_schema(pubsub: Any, clean_sandbox: SandboxRuntime) -> None:
    topic = pubsub.stub.GetTopic(messages.TopicRequest(topic_name=EVENTS),
                                 metadata=pubsub.metadata())
    assert (topic.topic_name, topic.tenant_guid) == (EVENTS, clean_sandbox.org_id)
    assert topic.can_subscribe and not topic.can_publish
    schema = json.loads(pubsub.stub.GetSchema(
        messages.SchemaRequest(schema_id=topic.schema_id), metadata=pubsub.metadata()
    ).schema_json)
    assert schema["name"] == "EventChangeEvent"
    assert schema["fields"][0]["name"] == "ChangeEventHeader"
    names = [f["name"] for f in schema["fields"]]
    assert {"Subject", "StartDateTime", "OwnerId", "WhoId"} <= set(names)
    with pytest.raises(grpc.RpcError) as missing:
        pubsub.stub.GetTopic(messages.TopicRequest(topic_name="/data/NopeChangeEvent"),
                             metadata=pubsub.metadata())
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_session_the_org_did_not_issue_is_refused(pubsub: Any,
                                                    clean_sandbox: SandboxRuntime) -> None:
    bad = (("accesstoken", "nope"), ("instanceurl", clean_sandbox.origins["salesforce"]),
           ("tenantid", clean_sandbox.org_id))
    with pytest.raises(grpc.RpcError) as refused:
        pubsub.stub.GetTopic(messages.TopicRequest(topic_name=EVENTS), metadata=bad)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    trailers = dict(refused.value.trailing_metadata())
    assert trailers["error-code"] == "sfdc.platform.eventbus.grpc.service.auth.error"


def test_create_update_delete_as_change_events(pubsub: Any, sf: Salesforce) -> None:
    stream = pubsub()
    event_id = _event(sf, Location="Room 1")
    sf.Event.update(event_id, {"Location": "Room 2"})
    sf.Event.delete(event_id)
    created, updated, deleted = (_decode(pubsub, e) for e in stream.events(3))
    header = created["ChangeEventHeader"]
    assert (header["entityName"], header["changeType"], header["recordIds"]) == (
        "Event", "CREATE", [event_id])
    assert created["Subject"] == "Demo" and created["Location"] == "Room 1"
    assert created["OwnerId"] == header["commitUser"]
    assert updated["ChangeEventHeader"]["changeType"] == "UPDATE"
    changed = _named(updated, updated["ChangeEventHeader"]["changedFields"])
    assert "Location" in changed and "Subject" not in changed
    assert updated["Location"] == "Room 2" and updated["Subject"] is None  # only changes
    assert deleted["ChangeEventHeader"]["changeType"] == "DELETE"
    assert deleted["Subject"] is None


def test_credit_limits_what_is_sent(pubsub: Any, sf: Salesforce) -> None:
    stream = pubsub(requested=2)
    ids = [_event(sf, Subject=f"Demo {n}") for n in range(3)]
    first = stream.events(2)
    assert [e["ChangeEventHeader"]["recordIds"][0] for e in
            (_decode(pubsub, x) for x in first)] == ids[:2]
    with pytest.raises(queue.Empty):  # the third waits for credit
        while True:
            response = stream.next(timeout=1.5)
            assert not response.events
    stream.more(5)
    third = stream.events(1)
    assert _decode(pubsub, third[0])["ChangeEventHeader"]["recordIds"] == [ids[2]]


def test_resume_after_a_replay_id_and_expired_ones(pubsub: Any, sf: Salesforce,
                                                  clean_sandbox: SandboxRuntime) -> None:
    stream = pubsub()
    _event(sf)
    first = stream.events(1)
    later = [_event(sf, Subject=f"After {n}") for n in range(2)]
    resumed = pubsub(preset="CUSTOM", replay=first[0].replay_id)
    again = [_decode(pubsub, e)["ChangeEventHeader"]["recordIds"][0]
             for e in resumed.events(2)]
    assert again == later
    clean_sandbox.state.update_settings({"salesforce.changeEvents.retention": 2})
    for n in range(3):
        _event(sf, Subject=f"Flood {n}")
    expired = pubsub(preset="CUSTOM", replay=first[0].replay_id)
    assert expired.next() is None
    assert expired.error is not None
    assert expired.error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(expired.error.trailing_metadata())["error-code"] == \
        "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"


def test_published_at_commit_only(pubsub: Any, sf: Salesforce,
                                  upstream: requests.Session,
                                  clean_sandbox: SandboxRuntime) -> None:
    stream = pubsub()
    token = clean_sandbox.state.tokens.issue("salesforce", AVA)
    url = f"{clean_sandbox.origins['salesforce']}/services/data/v62.0/composite"
    body = {"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Event", "referenceId": "a",
         "body": {"Subject": "One", "StartDateTime": START, "DurationInMinutes": 30}},
        {"method": "POST", "url": "/services/data/v62.0/sobjects/Event", "referenceId": "b",
         "body": {"Subject": "Two"}}]}  # no start: refused, so "One" rolls back
    answer = upstream.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert [r["httpStatusCode"] for r in answer.json()["compositeResponse"]] == [400, 400]
    body["compositeRequest"][1]["body"] = {"Subject": "Two", "StartDateTime": START,
                                           "DurationInMinutes": 30}
    assert upstream.post(url, json=body,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200
    one, two = (_decode(pubsub, e) for e in stream.events(2))
    assert (one["Subject"], two["Subject"]) == ("One", "Two")  # the rolled-back One: none
    assert one["ChangeEventHeader"]["transactionKey"] == \
        two["ChangeEventHeader"]["transactionKey"]
    assert [one["ChangeEventHeader"]["sequenceNumber"],
            two["ChangeEventHeader"]["sequenceNumber"]] == [1, 2]
    with pytest.raises(queue.Empty):
        stream.next(timeout=1.0)


def test_change_origin_names_the_client(pubsub: Any, clean_sandbox: SandboxRuntime,
                                        upstream: requests.Session) -> None:
    stream = pubsub()
    token = clean_sandbox.state.tokens.issue("salesforce", BEN)
    answer = upstream.post(
        f"{clean_sandbox.origins['salesforce']}/services/data/v62.0/sobjects/Event",
        json={"Subject": "Mine", "StartDateTime": START, "DurationInMinutes": 30},
        headers={"Authorization": f"Bearer {token}", "Sforce-Call-Options": "client=addin-x"})
    assert answer.status_code == 201
    header = _decode(pubsub, stream.events(1)[0])["ChangeEventHeader"]
    assert header["changeOrigin"] == "com/salesforce/api/rest/62.0;client=addin-x"


def test_invitees_on_their_own_channel(pubsub: Any, sf: Salesforce) -> None:
    stream = pubsub(topic=RELATIONS)
    event_id = _event(sf)
    contact = sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
    relation = sf.EventRelation.create({"EventId": event_id, "RelationId": contact})["id"]
    found = _decode(pubsub, stream.events(1)[0])
    assert found["ChangeEventHeader"]["recordIds"] == [relation]
    assert (found["EventId"], found["RelationId"]) == (event_id, contact)


def test_gap_and_overflow_events(pubsub: Any, sf: Salesforce,
                                 clean_sandbox: SandboxRuntime) -> None:
    stream = pubsub()
    clean_sandbox.state.update_settings({"salesforce.changeEvents.gap": True})
    event_id = _event(sf, Location="Gap")
    gap = _decode(pubsub, stream.events(1)[0])
    assert gap["ChangeEventHeader"]["changeType"] == "GAP_CREATE"
    assert gap["ChangeEventHeader"]["recordIds"] == [event_id] and gap["Location"] is None
    clean_sandbox.state.update_settings({"salesforce.changeEvents.gap": False,
                                         "salesforce.changeEvents.overflowAt": 1})
    result = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True, "records": [
            {"attributes": {"type": "Event"}, "Subject": f"Bulk {n}", "StartDateTime": START,
             "DurationInMinutes": 30} for n in range(2)]})
    assert all(r["success"] for r in result)
    overflow = _decode(pubsub, stream.events(1)[0])["ChangeEventHeader"]
    assert overflow["changeType"] == "GAP_OVERFLOW" and overflow["recordIds"] == []


def test_idle_streams_get_keep_alives(pubsub: Any, clean_sandbox: SandboxRuntime) -> None:
    clean_sandbox.state.update_settings({"salesforce.pubsub.keepAliveSeconds": 1})
    stream = pubsub()
    response = stream.next(timeout=5)
    assert response is not None and list(response.events) == []
    assert len(response.latest_replay_id) == 8
    assert response.pending_num_requested == 100
