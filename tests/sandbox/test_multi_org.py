"""A multi-org seed: separate Salesforce orgs behind one sandbox origin. A user's session
reaches only their own org (records, users, API counter, change events); the mailboxes of
every org's users are spread over Graph, Google and EWS."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests

import eventbus
from addin.sandbox import SandboxRuntime
from addin.sandbox.seed import DEFAULT_SEED, multi_org_seed
from tests.clock import at, day, salesforce

messages = eventbus.messages
EVENTS = "/data/EventChangeEvent"
API = "/services/data/v62.0"
START = salesforce(at(day(4), "10:00"))  # the Friday of the test week, 10:00 UTC


@pytest.fixture(scope="module")
def orgs_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRuntime]:
    runtime = SandboxRuntime(tmp_path_factory.mktemp("multi-org"),
                             seed=multi_org_seed(2, 3)).start()
    yield runtime
    runtime.stop()


@pytest.fixture
def client(orgs_sandbox: SandboxRuntime) -> requests.Session:
    session = requests.Session()
    session.verify = orgs_sandbox.ca_path
    session.trust_env = False
    return session


def _token(sandbox: SandboxRuntime, email: str) -> str:
    return sandbox.user(email).upstream_tokens["salesforce"]


def _get(client: requests.Session, sandbox: SandboxRuntime, email: str, path: str,
         **params: str) -> requests.Response:
    return client.get(f"{sandbox.origins['salesforce']}{API}{path}", params=params,
                      headers={"Authorization": f"Bearer {_token(sandbox, email)}"})


def _query(client: requests.Session, sandbox: SandboxRuntime, email: str, soql: str
           ) -> list[dict[str, Any]]:
    answer = _get(client, sandbox, email, "/query", q=soql)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["records"])


def test_the_default_seed_is_one_org() -> None:
    assert DEFAULT_SEED.organizations == ()
    assert DEFAULT_SEED.orgs == (DEFAULT_SEED,)
    assert DEFAULT_SEED.record_number_offset == 0


def test_multi_org_seed_ids_are_unique_and_mailboxes_spread() -> None:
    seed = multi_org_seed(3, 4)
    assert len(seed.users) == 12
    assert len({org.org_id for org in seed.orgs}) == 3
    assert all(org.org_id.startswith("00D") and len(org.org_id) == 18 for org in seed.orgs)
    ids = [u.id for u in seed.users] + [r["Id"] for org in seed.orgs
                                        for r in (*org.accounts, *org.contacts)]
    assert len(ids) == len(set(ids))
    assert len({u.email for u in seed.users}) == 12
    for org in seed.orgs:
        assert {u.provider for u in org.users} == {"graph", "google", "ews"}
        assert [u.is_admin for u in org.users] == [True, False, False, False]
        assert seed.org_of(org.users[-1].email) is org
    assert len({org.record_number_offset for org in seed.orgs}) == 3
    with pytest.raises(ValueError):
        multi_org_seed(0, 3)


def test_index_names_each_users_org(orgs_sandbox: SandboxRuntime) -> None:
    index = orgs_sandbox.describe()
    first, second = orgs_sandbox.seed.orgs
    assert index["org"]["id"] == first.org_id
    by_org: dict[str, set[str]] = {}
    for user in index["users"]:
        by_org.setdefault(user["orgId"], set()).add(user["email"])
        assert set(user["upstreamTokens"]) == {"salesforce", user["provider"]}
    assert by_org == {org.org_id: {u.email for u in org.users} for org in (first, second)}


def test_a_user_sees_only_their_own_orgs_records(orgs_sandbox: SandboxRuntime,
                                                 client: requests.Session) -> None:
    first, second = orgs_sandbox.seed.orgs
    alice, bob = first.users[1].email, second.users[1].email
    mine = _query(client, orgs_sandbox, alice, "SELECT Id FROM Account")
    assert {r["Id"] for r in mine} == {a["Id"] for a in first.accounts}
    users = _query(client, orgs_sandbox, bob, "SELECT Id FROM User")
    assert {r["Id"] for r in users} == {u.id for u in second.users}
    other = _get(client, orgs_sandbox, alice, f"/sobjects/Account/{second.accounts[0]['Id']}")
    assert other.status_code == 404
    assert other.json()[0]["errorCode"] == "NOT_FOUND"
    own = _get(client, orgs_sandbox, bob, f"/sobjects/Account/{second.accounts[0]['Id']}")
    assert own.status_code == 200


def test_records_created_in_one_org_stay_there(orgs_sandbox: SandboxRuntime,
                                               client: requests.Session) -> None:
    first, second = orgs_sandbox.seed.orgs
    alice, bob = first.users[0].email, second.users[0].email
    created = []
    for email in (alice, bob):
        answer = client.post(
            f"{orgs_sandbox.origins['salesforce']}{API}/sobjects/Event",
            json={"Subject": f"by {email}", "StartDateTime": START, "DurationInMinutes": 30},
            headers={"Authorization": f"Bearer {_token(orgs_sandbox, email)}"})
        assert answer.status_code == 201, answer.text
        created.append(answer.json()["id"])
    assert created[0] != created[1]
    seen = _query(client, orgs_sandbox, alice, "SELECT Id, Subject FROM Event")
    assert [r["Id"] for r in seen] == [created[0]]
    assert _get(client, orgs_sandbox, alice, f"/sobjects/Event/{created[1]}").status_code == 404


def test_a_token_of_no_seeded_user_is_refused(orgs_sandbox: SandboxRuntime,
                                              client: requests.Session) -> None:
    answer = client.get(f"{orgs_sandbox.origins['salesforce']}{API}/limits",
                        headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_each_org_has_its_own_api_counter(orgs_sandbox: SandboxRuntime,
                                          client: requests.Session) -> None:
    first, second = orgs_sandbox.seed.orgs
    alice, bob = first.users[2].email, second.users[2].email

    def used(email: str) -> int:
        header = _get(client, orgs_sandbox, email, "/limits").headers["Sforce-Limit-Info"]
        return int(header.removeprefix("api-usage=").split("/")[0])

    alice_before, bob_before = used(alice), used(bob)
    for _ in range(3):
        _get(client, orgs_sandbox, alice, "/limits")
    assert used(alice) == alice_before + 4  # three, then the one that reads the header
    assert used(bob) == bob_before + 1


def test_identity_names_the_users_org(orgs_sandbox: SandboxRuntime,
                                      client: requests.Session) -> None:
    second = orgs_sandbox.seed.orgs[1]
    user = second.users[1]
    answer = client.get(f"{orgs_sandbox.origins['salesforce']}/services/oauth2/userinfo",
                        headers={"Authorization": f"Bearer {_token(orgs_sandbox, user.email)}"})
    assert answer.status_code == 200
    assert (answer.json()["organization_id"], answer.json()["user_id"]) == (second.org_id,
                                                                           user.id)


def test_sandbox_ui_edits_reach_the_org_of_the_record(orgs_sandbox: SandboxRuntime,
                                                      client: requests.Session) -> None:
    second = orgs_sandbox.seed.orgs[1]
    bob = second.users[0].email
    origin = orgs_sandbox.origins["salesforce"]
    created = client.post(
        f"{origin}{API}/sobjects/Event",
        json={"Subject": "Before", "StartDateTime": START, "DurationInMinutes": 30},
        headers={"Authorization": f"Bearer {_token(orgs_sandbox, bob)}"}).json()["id"]
    edit = client.post(f"{origin}/sandbox-ui/events/{created}/edit",
                       json={"fields": {"Subject": "After"}})
    assert edit.status_code == 200, edit.text
    record = _get(client, orgs_sandbox, bob, f"/sobjects/Event/{created}").json()
    assert record["Subject"] == "After"


class _Stream:
    def __init__(self, stub: Any, metadata: Any) -> None:
        self.requests: queue.Queue[Any] = queue.Queue()
        self.events: queue.Queue[Any] = queue.Queue()
        self.requests.put(messages.FetchRequest(
            topic_name=EVENTS, num_requested=100,
            replay_preset=messages.ReplayPreset.Value("LATEST")))
        self.call = stub.Subscribe(iter(self.requests.get, None), metadata=metadata)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for response in self.call:
                for event in response.events:
                    self.events.put(event)
        except grpc.RpcError:
            pass

    def close(self) -> None:
        self.call.cancel()
        self.requests.put(None)


def test_change_events_per_org(orgs_sandbox: SandboxRuntime,
                               client: requests.Session) -> None:
    first, second = orgs_sandbox.seed.orgs
    alice, bob = first.users[0].email, second.users[0].email
    channel = grpc.secure_channel(
        orgs_sandbox.services["salesforcePubSub"],
        grpc.ssl_channel_credentials(Path(orgs_sandbox.ca_path).read_bytes()))
    stub = eventbus.services.PubSubStub(channel)

    def metadata(email: str, org_id: str) -> tuple[tuple[str, str], ...]:
        return (("accesstoken", _token(orgs_sandbox, email)),
                ("instanceurl", orgs_sandbox.origins["salesforce"]), ("tenantid", org_id))

    topic = stub.GetTopic(messages.TopicRequest(topic_name=EVENTS),
                          metadata=metadata(bob, second.org_id))
    assert topic.tenant_guid == second.org_id
    with pytest.raises(grpc.RpcError) as wrong_tenant:
        stub.GetTopic(messages.TopicRequest(topic_name=EVENTS),
                      metadata=metadata(bob, first.org_id))
    assert wrong_tenant.value.code() == grpc.StatusCode.UNAUTHENTICATED
    streams = {org.org_id: _Stream(stub, metadata(org.users[0].email, org.org_id))
               for org in (first, second)}
    try:
        ids = {}
        for email, org in ((alice, first), (bob, second)):
            answer = client.post(
                f"{orgs_sandbox.origins['salesforce']}{API}/sobjects/Event",
                json={"Subject": "Streamed", "StartDateTime": START, "DurationInMinutes": 30},
                headers={"Authorization": f"Bearer {_token(orgs_sandbox, email)}"})
            assert answer.status_code == 201
            ids[org.org_id] = answer.json()["id"]
        for org_id, stream in streams.items():
            event = stream.events.get(timeout=10)
            assert ids[org_id].encode() in event.event.payload
            other = next(i for o, i in ids.items() if o != org_id)
            assert other.encode() not in event.event.payload
            with pytest.raises(queue.Empty):
                stream.events.get(timeout=0.5)  # the other org's event never arrives
    finally:
        for stream in streams.values():
            stream.close()
        channel.close()


def test_no_id_of_the_demo_org_is_reused() -> None:
    seed = multi_org_seed(2, 7)
    demo = {DEFAULT_SEED.org_id, *(u.id for u in DEFAULT_SEED.users),
            *(r["Id"] for r in (*DEFAULT_SEED.accounts, *DEFAULT_SEED.contacts))}
    ours = {*(o.org_id for o in seed.orgs), *(u.id for u in seed.users),
            *(r["Id"] for o in seed.orgs for r in (*o.accounts, *o.contacts))}
    assert not demo & ours


def test_a_restart_with_a_state_folder_keeps_every_org(tmp_path: Path) -> None:
    seed = multi_org_seed(2, 2)
    second = seed.orgs[1]
    runtime = SandboxRuntime(tmp_path / "instance", seed=seed,
                             state_dir=tmp_path / "state").start()
    try:
        session = requests.Session()
        session.verify, session.trust_env = runtime.ca_path, False
        token = runtime.user(second.users[0].email).upstream_tokens["salesforce"]
        created = session.post(
            f"{runtime.origins['salesforce']}{API}/sobjects/Event",
            json={"Subject": "Kept", "StartDateTime": START, "DurationInMinutes": 30},
            headers={"Authorization": f"Bearer {token}"}).json()["id"]
    finally:
        runtime.stop()
    again = SandboxRuntime(tmp_path / "instance", seed=seed,
                           state_dir=tmp_path / "state").start()
    try:
        assert again.restored
        session = requests.Session()
        session.verify, session.trust_env = again.ca_path, False
        token = again.user(second.users[0].email).upstream_tokens["salesforce"]
        found = session.get(f"{again.origins['salesforce']}{API}/sobjects/Event/{created}",
                            headers={"Authorization": f"Bearer {token}"})
        assert found.status_code == 200
        assert found.json()["Subject"] == "Kept"
    finally:
        again.stop()
