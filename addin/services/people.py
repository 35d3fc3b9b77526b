"""What a signed-in person sees about themselves: their connections, their organization
and the next setup step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from addin.container import Container
from addin.store.models import Connection, Organization, User


def connections(container: Container, user_id: int, services: Sequence[str]
                ) -> list[dict[str, Any]]:
    """Each of ``services``: connected or not, the account and when its token expires."""
    with container.db.session() as session:
        rows = session.scalars(select(Connection).where(Connection.user_id == user_id)).all()
        connected = {row.service: row for row in rows}
        listing = []
        for service in services:
            row = connected.get(service)
            expires = row.expires_at if row is not None else None
            listing.append({"service": service, "connected": row is not None,
                            "account": row.account if row is not None else None,
                            "expiresAt": expires.isoformat() if expires else None})
        return listing


def profile(container: Container, user_id: int, organization_id: int,
            mailboxes: Sequence[str]) -> dict[str, Any]:
    """The person, their organization, which mailboxes they connected, and what is left to
    set up (``next``: connect_salesforce, connect_calendar or None)."""
    with container.db.session() as session:
        row = session.get(User, user_id)
        org = session.get(Organization, organization_id)
        assert row is not None and org is not None
        connected = set(session.scalars(select(Connection.service).where(
            Connection.user_id == user_id)))
        body = {
            "user": {"id": row.id, "name": row.name, "email": row.email,
                     "isAdmin": row.is_admin, "calendarProvider": row.calendar_provider},
            "organization": {"name": org.name, "salesforceOrgId": org.salesforce_org_id,
                             "microsoftTenantId": org.microsoft_tenant_id},
            "connections": {service: service in connected for service in mailboxes},
        }
    body["next"] = ("connect_salesforce" if "salesforce" not in connected else
                    "connect_calendar" if row.calendar_provider in mailboxes
                    and row.calendar_provider not in connected else None)
    return body


def connected_services(container: Container, user_id: int) -> set[str]:
    """The services the person has connected."""
    with container.db.session() as session:
        return set(session.scalars(select(Connection.service).where(
            Connection.user_id == user_id)))
