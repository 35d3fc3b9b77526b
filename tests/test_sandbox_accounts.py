"""Seeded people become connected product users; a database that outlives its sandbox
world forgets what only that world knew, and keeps newer tokens within one world."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from addin.devmode.accounts import WORLD_SOURCE, connect_sandbox_users
from addin.devmode.remote import RemoteSandbox
from addin.sandbox import SandboxRuntime
from addin.store.models import Connection, PushSubscription, SyncCursor, User

AVA = "ava.martin@acme-sales.example"


def view_of(sandbox: SandboxRuntime, world_id: str, salesforce_origin: str | None = None
            ) -> RemoteSandbox:
    """The sandbox as another world (or the same world on other ports) would show it."""
    origins = dict(sandbox.origins)
    if salesforce_origin:
        origins["salesforce"] = salesforce_origin
    users = [dataclasses.replace(u, upstream_tokens={k: f"{world_id}-{k}" for k in
                                                     u.upstream_tokens},
                                 upstream_refresh_tokens={}) for u in sandbox.users]
    return RemoteSandbox(url="http://sandbox", world_id=world_id, origins=origins,
                         services=sandbox.services, ca_path=sandbox.ca_path, users=users,
                         org_id=sandbox.org_id, org_name=sandbox.org_name)


def ava_rows(services: Any) -> tuple[int, dict[str, str | None], dict[str, Connection]]:
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == AVA))
        cursors = {c.source: c.cursor for c in session.scalars(
            select(SyncCursor).where(SyncCursor.user_id == user_id))}
        connections = {c.service: c for c in session.scalars(
            select(Connection).where(Connection.user_id == user_id))}
        session.expunge_all()
    return user_id, cursors, connections


def test_each_user_remembers_the_world(services: Any, clean_sandbox: SandboxRuntime) -> None:
    _, cursors, connections = ava_rows(services)
    assert cursors == {WORLD_SOURCE: clean_sandbox.world_id}
    assert services.cipher.decrypt(connections["salesforce"].access_token_encrypted) == \
        clean_sandbox.user(AVA).upstream_tokens["salesforce"]


def test_a_new_world_replaces_tokens_and_forgets_cursors(services: Any,
                                                         clean_sandbox: SandboxRuntime) -> None:
    user_id, _, _ = ava_rows(services)
    with services.db.session() as session:
        session.add(SyncCursor(user_id=user_id, source="graph_changes",
                               cursor="https://old-world/delta?token=x"))
        session.add(PushSubscription(user_id=user_id, provider="graph", subscription_id="old",
                                     resource="me/events", client_state_hash="0" * 64,
                                     expires_at=datetime.now(UTC) + timedelta(days=1)))
    connect_sandbox_users(services, view_of(clean_sandbox, "world2"))
    _, cursors, connections = ava_rows(services)
    assert cursors == {WORLD_SOURCE: "world2"}
    assert services.cipher.decrypt(connections["graph"].access_token_encrypted) == "world2-graph"
    assert connections["graph"].refresh_token_encrypted is None
    with services.db.session() as session:
        assert session.scalar(select(PushSubscription.id)) is None


def test_the_same_world_keeps_cursors_and_takes_current_tokens(
        services: Any, clean_sandbox: SandboxRuntime) -> None:
    """A restarted product keeps where its passes stopped; its connections get the tokens
    the sandbox lists now (a refreshed one it held may have been lost in a crash), and the
    Salesforce instance URL follows the sandbox (it may have moved ports)."""
    user_id, _, _ = ava_rows(services)
    with services.db.session() as session:
        session.add(SyncCursor(user_id=user_id, source="graph_changes", cursor="kept"))
    same = view_of(clean_sandbox, clean_sandbox.world_id, "https://127.0.0.1:1")
    connect_sandbox_users(services, same)
    _, cursors, connections = ava_rows(services)
    assert cursors["graph_changes"] == "kept"
    assert services.cipher.decrypt(connections["graph"].access_token_encrypted) == \
        f"{clean_sandbox.world_id}-graph"
    assert connections["salesforce"].instance_url == "https://127.0.0.1:1"


def test_users_of_several_orgs_join_their_own_organization(services: Any,
                                                           clean_sandbox: SandboxRuntime
                                                           ) -> None:
    from addin.sandbox.seed import multi_org_seed
    from addin.store.models import Organization

    seed = multi_org_seed(2, 3)
    template = clean_sandbox.users[0]
    users = [dataclasses.replace(
        template, email=u.email, name=u.name, provider=u.provider, salesforce_user_id=u.id,
        is_admin=u.is_admin, org_id=seed.org_of(u.email).org_id,
        org_name=seed.org_of(u.email).org_name,
        upstream_tokens={"salesforce": f"sf-{u.email}", u.provider: f"mail-{u.email}"},
        upstream_refresh_tokens={}) for u in seed.users]
    view = RemoteSandbox(url="http://sandbox", world_id="multiorgworld",
                         origins=dict(clean_sandbox.origins), services=clean_sandbox.services,
                         ca_path=clean_sandbox.ca_path, users=users, org_id=seed.org_id,
                         org_name=seed.org_name)
    connect_sandbox_users(services, view)
    connect_sandbox_users(services, view)  # again: nothing doubled
    with services.db.session() as session:
        orgs = {o.salesforce_org_id: o for o in session.scalars(select(Organization))}
        for org_seed in seed.orgs:
            org = orgs[org_seed.org_id]
            assert org.name == org_seed.org_name
            members = session.scalars(select(User).where(User.organization_id == org.id))
            assert {u.email for u in members} == {u.email for u in org_seed.users}
        connected = session.scalars(select(Connection).where(
            Connection.account.in_([u.email for u in seed.users])))
        assert len(list(connected)) == 2 * len(seed.users)
