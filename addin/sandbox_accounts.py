"""Sandbox mode: the seeded people become product users, already connected to the
emulated Salesforce org and their emulated mailbox (as if they had gone through OAuth),
with the identities the sandbox's identity providers give them (Entra ID tenant + object
id, Google ``sub``); the org is bound to the emulated Microsoft 365 tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from addin.store.models import Connection, Organization, User

if TYPE_CHECKING:
    from addin.container import Container
    from addin.sandbox import SandboxRuntime


def connect_sandbox_users(services: Container, sandbox: SandboxRuntime) -> None:
    from addin.sandbox.entra import TENANT_ID, object_id
    from addin.sandbox.google_identity import subject

    cipher = services.cipher
    with services.db.session() as session:
        org = session.scalar(
            select(Organization).where(Organization.salesforce_org_id == sandbox.seed.org_id)
        )
        if org is None:
            org = Organization(salesforce_org_id=sandbox.seed.org_id, name=sandbox.seed.org_name,
                               settings={}, allowed_tenant_ids=[])
            session.add(org)
            session.flush()
        if "graph" in sandbox.origins:
            org.microsoft_tenant_id = TENANT_ID
        for person in sandbox.users:
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
            for service, token in person.upstream_tokens.items():
                connection = session.scalar(
                    select(Connection).where(Connection.user_id == user.id,
                                             Connection.service == service)
                )
                if connection is None:
                    connection = Connection(user_id=user.id, service=service)
                    session.add(connection)
                connection.access_token_encrypted = cipher.encrypt(token)
                refresh = person.upstream_refresh_tokens.get(service)
                connection.refresh_token_encrypted = cipher.encrypt(refresh) if refresh else None
                connection.account = person.email
                connection.instance_url = (
                    sandbox.origins.get("salesforce") if service == "salesforce" else None
                )


def user_id_by_email(services: Container) -> dict[str, int]:
    with services.db.session() as session:
        return {u.email: u.id for u in session.scalars(select(User))}
