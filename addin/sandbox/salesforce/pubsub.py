"""Salesforce's Pub/Sub API (gRPC, eventbus.v1) for the sandbox org: GetTopic, GetSchema and
Subscribe on the change-event channels, over TLS with the development CA, authenticated by
the call metadata Salesforce asks for (accesstoken, instanceurl, tenantid).

Subscribe follows the documented contract: the first FetchRequest names the topic and the
starting point (LATEST, EARLIEST, CUSTOM after a replay id); every FetchRequest adds credit
(num_requested); events are sent within the credit; with nothing to send, an empty response
carrying the latest replay id is sent every ``salesforce.pubsub.keepAliveSeconds``. A replay
id the bus no longer holds fails the call with INVALID_ARGUMENT and the trailer
``error-code: sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted``.
Publish is refused: change-event channels cannot be published to.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc

import eventbus
from addin.sandbox.salesforce.change_events import ChangeEventBus
from addin.sandbox.state import SandboxState

messages = eventbus.messages
ERROR_CODE = "error-code"
REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.service.topic.not.found"
AUTH_FAILED = "sfdc.platform.eventbus.grpc.service.auth.error"


def replay_bytes(number: int) -> bytes:
    return number.to_bytes(8, "big")


def replay_number(raw: bytes) -> int | None:
    return int.from_bytes(raw, "big") if len(raw) == 8 else None


class PubSubService(eventbus.services.PubSubServicer):
    def __init__(self, state: SandboxState, bus: ChangeEventBus, org_id: str,
                 instance_url: str, users: Any):
        self.state, self.bus, self.org_id = state, bus, org_id
        self.instance_url = instance_url
        self._user_by_email = users  # email -> user record or None

    # -- auth ---------------------------------------------------------------------------
    def _authenticate(self, context: grpc.ServicerContext) -> None:
        metadata = dict(context.invocation_metadata())
        token = self.state.tokens.lookup("salesforce", str(metadata.get("accesstoken", "")))
        rpc_id = str(uuid.uuid4())
        if token is None or self._user_by_email(token.subject) is None:
            context.set_trailing_metadata(((ERROR_CODE, AUTH_FAILED), ("rpc-id", rpc_id)))
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"Invalid session or missing credentials. rpcId: {rpc_id}")
        if metadata.get("tenantid") not in (None, self.org_id):
            context.set_trailing_metadata(((ERROR_CODE, AUTH_FAILED), ("rpc-id", rpc_id)))
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"The tenant id does not match the session. rpcId: {rpc_id}")
        self.state.stats.count("salesforce", "pubsub")

    def _schema_for(self, topic: str, context: grpc.ServicerContext) -> str:
        sid = self.bus.channel_schema.get(topic)
        if sid is None:
            context.set_trailing_metadata(((ERROR_CODE, TOPIC_NOT_FOUND),))
            context.abort(grpc.StatusCode.NOT_FOUND, f"Topic {topic} not found.")
        return str(sid)

    # -- unary calls --------------------------------------------------------------------
    def GetTopic(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._authenticate(context)
        sid = self._schema_for(request.topic_name, context)
        return messages.TopicInfo(topic_name=request.topic_name, tenant_guid=self.org_id,
                                  can_publish=False, can_subscribe=True, schema_id=sid,
                                  rpc_id=str(uuid.uuid4()))

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._authenticate(context)
        schema = self.bus.schemas.get(request.schema_id)
        if schema is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Schema {request.schema_id} not found.")
        return messages.SchemaInfo(schema_json=json.dumps(schema), schema_id=request.schema_id,
                                   rpc_id=str(uuid.uuid4()))

    def Publish(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._authenticate(context)
        context.abort(grpc.StatusCode.PERMISSION_DENIED,
                      f"Publishing to {request.topic_name} is not allowed.")

    # -- the stream ---------------------------------------------------------------------
    def Subscribe(self, requests: Iterator[Any], context: grpc.ServicerContext
                  ) -> Iterator[Any]:
        self._authenticate(context)
        first = next(requests, None)
        if first is None:
            return
        topic = first.topic_name
        self._schema_for(topic, context)
        position = self._start(first, context)
        credit = [max(0, first.num_requested)]
        credit_lock = threading.Condition()

        def read_more() -> None:  # later FetchRequests only add credit
            try:
                for more in requests:
                    if more.topic_name and more.topic_name != topic:
                        continue
                    with credit_lock:
                        credit[0] += max(0, more.num_requested)
                        credit_lock.notify_all()
            except grpc.RpcError:
                pass
            with credit_lock:
                credit_lock.notify_all()

        threading.Thread(target=read_more, daemon=True, name="pubsub-credit").start()
        keep_alive = float(self.state.setting("salesforce.pubsub.keepAliveSeconds"))
        last_sent = time.monotonic()
        while context.is_active():
            with credit_lock:
                wanted = credit[0]
            found = self.bus.after(topic, position, wanted) if wanted > 0 else []
            if found:
                with credit_lock:
                    credit[0] -= len(found)
                    left = credit[0]
                position = found[-1].replay
                last_sent = time.monotonic()
                yield messages.FetchResponse(
                    events=[messages.ConsumerEvent(
                        event=messages.ProducerEvent(id=e.event_id, schema_id=e.schema_id,
                                                     payload=e.payload),
                        replay_id=replay_bytes(e.replay)) for e in found],
                    latest_replay_id=replay_bytes(position), rpc_id=str(uuid.uuid4()),
                    pending_num_requested=left)
                continue
            self.bus.wait(self.bus.latest_replay(), min(keep_alive, 0.5))
            if time.monotonic() - last_sent >= keep_alive \
                    and not self.bus.after(topic, position, 1):
                position = max(position, self.bus.latest_replay())
                last_sent = time.monotonic()
                with credit_lock:
                    left = credit[0]
                yield messages.FetchResponse(latest_replay_id=replay_bytes(position),
                                             rpc_id=str(uuid.uuid4()),
                                             pending_num_requested=left)

    def _start(self, first: Any, context: grpc.ServicerContext) -> int:
        preset = first.replay_preset
        if preset == messages.ReplayPreset.Value("EARLIEST"):
            return self.bus.oldest_replay() - 1
        if preset == messages.ReplayPreset.Value("CUSTOM"):
            number = replay_number(first.replay_id)
            if number is None or number > self.bus.latest_replay() \
                    or number < self.bus.oldest_replay() - 1:
                context.set_trailing_metadata(((ERROR_CODE, REPLAY_CORRUPTED),))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                              "The Replay ID validation failed.")
            return int(number or 0)
        return self.bus.latest_replay()


class PubSubServer:
    """A gRPC server for one sandbox org, TLS with the development certificate."""

    def __init__(self, service: PubSubService, host: str, port: int, key_pem: bytes,
                 cert_pem: bytes):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16,
                                                             thread_name_prefix="pubsub"))
        eventbus.services.add_PubSubServicer_to_server(service, self.server)
        credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
        self.port = self.server.add_secure_port(f"{host}:{port}", credentials)
        self.target = f"{host}:{self.port}"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=0.5).wait()


def start_pubsub(state: SandboxState, salesforce_app: Any, key_path: str, cert_path: str,
                 host: str, port: int, org_id: str, instance_url: str) -> PubSubServer:
    """The Pub/Sub API of the sandbox org whose REST app is ``salesforce_app``."""
    service: Any = _org_service(state, salesforce_app, instance_url)
    orgs = salesforce_app.extensions.get("salesforce_orgs")
    if orgs:  # several orgs behind one origin (multi_org.py): one endpoint for all
        from addin.sandbox.salesforce.multi_org import PubSubRouter

        service = PubSubRouter(salesforce_app.extensions["salesforce_directory"], {
            org: _org_service(state, app, instance_url) for org, app in orgs.items()})
    with open(key_path, "rb") as key, open(cert_path, "rb") as cert:
        server = PubSubServer(service, host, port, key.read(), cert.read())
    server.start()
    return server


def _org_service(state: SandboxState, app: Any, instance_url: str) -> PubSubService:
    org = app.extensions["salesforce_org"]
    return PubSubService(state, app.extensions["salesforce_changes"], org.org_id,
                         instance_url, org.user_by_email)
