"""Sandbox mode: the seeded people become product users, already connected to the
emulated Salesforce org and their emulated mailbox (as if they had gone through OAuth),
with the identities the sandbox's identity providers give them (Entra ID tenant + object
id, Google ``sub``); the org is bound to the emulated Microsoft 365 tenant.

A product database may outlive the sandbox it was used with (a user-given
ADDIN_DATABASE_URL, a standalone sandbox started afresh). Each sandbox world has an id;
each user's row remembers the world it was last connected to (a ``SyncCursor`` with the
source ``sandbox_world``). At every start the users' connections get the tokens the
sandbox lists (valid at that moment). When the world changes:

- the user's sync cursors (delta links, sync tokens, Salesforce high-water marks) and push
  subscriptions, which only the old world knew, are forgotten, so the next pass starts
  from a full read of the new world;
- rows about the old world's records (mirrored events, outbox operations) stay, dormant:
  record ids never repeat across worlds (each world numbers its records from its own
  base), so no old row is ever matched to a new world's record or handed to another user.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from addin.store.models import Connection, Organization, PushSubscription, SyncCursor, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from addin.container import Container
    from addin.sandbox.runtime import SandboxUser, SandboxView

log = logging.getLogger(__name__)

WORLD_SOURCE = "sandbox_world"
ATTEMPTS = 5  # processes starting together (gunicorn workers) may race to create the rows


def connect_sandbox_users(container: Container, sandbox: SandboxView) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with container.db.session() as session:
                _connect(container, session, sandbox)
            return
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("another process is connecting the sandbox users; trying again")


def _connect(container: Container, session: Session, sandbox: SandboxView) -> None:
    from addin.sandbox.entra import TENANT_ID, object_id
    from addin.sandbox.google_identity import subject

    orgs: dict[str, Organization] = {}

    def organization(org_id: str, name: str) -> Organization:
        """The product's row for that Salesforce org, created the first time."""
        if org_id in orgs:
            return orgs[org_id]
        org = session.scalar(
            select(Organization).where(Organization.salesforce_org_id == org_id))
        if org is None:
            org = Organization(salesforce_org_id=org_id, name=name, settings={},
                               allowed_tenant_ids=[])
            session.add(org)
            session.flush()
        if "graph" in sandbox.origins and org_id == sandbox.org_id:
            # the sandbox's one Microsoft 365 tenant, unless an organization of an earlier
            # seed in the same database holds it already (a tenant binds one organization)
            holder = session.scalar(select(Organization.id).where(
                Organization.microsoft_tenant_id == TENANT_ID))
            if holder in (None, org.id):
                org.microsoft_tenant_id = TENANT_ID
            else:
                log.info("Microsoft tenant %s is bound to another organization; %s keeps "
                         "none", TENANT_ID, org_id)
        orgs[org_id] = org
        return org

    organization(sandbox.org_id, sandbox.org_name)
    for person in sandbox.users:
        org = organization(person.org_id or sandbox.org_id,
                           person.org_name or sandbox.org_name)
        user = session.scalar(select(User).where(
            User.salesforce_user_id == person.salesforce_user_id))
        if user is None:
            user = User(email=person.email, organization_id=org.id)
            session.add(user)
        if person.provider == "graph":
            user.microsoft_tenant_id, user.microsoft_object_id = (TENANT_ID,
                                                                  object_id(person.email))
        if person.provider == "google":
            user.google_sub = subject(person.email)
        user.name = person.name
        user.salesforce_user_id = person.salesforce_user_id
        user.calendar_provider = person.provider
        user.is_admin = person.is_admin
        session.flush()
        _enter_world(session, user.id, sandbox.world_id)
        _connect_services(container, session, user.id, person, sandbox)


def _enter_world(session: Session, user_id: int, world_id: str) -> bool:
    """Record the user's sandbox world; True (and the old world's cursors and
    subscriptions forgotten) when it is not the one they were last connected to."""
    marker = session.scalar(select(SyncCursor).where(SyncCursor.user_id == user_id,
                                                     SyncCursor.source == WORLD_SOURCE))
    if marker is not None and marker.cursor == world_id:
        return False
    if marker is not None:
        log.info("user %s was connected to sandbox %s, now %s: forgetting their cursors "
                 "and push subscriptions", user_id, marker.cursor, world_id)
    session.execute(delete(SyncCursor).where(SyncCursor.user_id == user_id,
                                             SyncCursor.source != WORLD_SOURCE))
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
    if marker is None:
        session.add(SyncCursor(user_id=user_id, source=WORLD_SOURCE, cursor=world_id))
    else:
        marker.cursor = world_id
    return True


def _connect_services(container: Container, session: Session, user_id: int,
                      person: SandboxUser, sandbox: SandboxView) -> None:
    """The sandbox's tokens, valid when its index was read: also within the same world,
    since a refreshed token the product held may have been lost (a crash between the
    refresh and its commit) while the refresh token it came from was rotated away."""
    cipher = container.cipher
    for service, token in person.upstream_tokens.items():
        connection = session.scalar(select(Connection).where(
            Connection.user_id == user_id, Connection.service == service))
        if connection is None:
            connection = Connection(user_id=user_id, service=service)
            session.add(connection)
        connection.access_token_encrypted = cipher.encrypt(token)
        refresh = person.upstream_refresh_tokens.get(service)
        connection.refresh_token_encrypted = cipher.encrypt(refresh) if refresh else None
        connection.expires_at = None
        connection.account = person.email
        connection.instance_url = _instance_url(sandbox, service)


def _instance_url(sandbox: SandboxView, service: str) -> str | None:
    return sandbox.origins.get("salesforce") if service == "salesforce" else None


def user_id_by_email(container: Container) -> dict[str, int]:
    with container.db.session() as session:
        return {u.email: u.id for u in session.scalars(select(User))}
