"""Who a person is: the mapping from an identity provider's immutable identity to a
product user (the bearer tokens are in addin.accounts.tokens).

- Microsoft: tenant id + object id (``tid`` + ``oid``), never a mutable email claim. An
  organization is bound to its Microsoft 365 tenant when its first person signs in;
  tokens from other tenants are refused unless the organization lists them.
- Google: the ID token's ``sub``.
- A person unknown to the product becomes a user on first sight; their organization is
  confirmed when they connect Salesforce (the org id from the identity URL), which makes
  colleagues who connected the same Salesforce org one organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from addin.domain.errors import Conflict, NotPermitted
from addin.store.models import Connection, Organization, User

if TYPE_CHECKING:
    from addin.container import Container

@dataclass(frozen=True)
class CurrentUser:
    """A product user, as the services see the caller."""

    id: int
    email: str
    organization_id: int
    salesforce_user_id: str | None
    calendar_provider: str
    is_admin: bool


def load_user(container: Container, user_id: int) -> CurrentUser | None:
    with container.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        return _current(user)


class TenantNotAllowed(NotPermitted):
    code = "tenant_not_allowed"


class IdentityConflict(Conflict):
    """Connecting this account would join two organizations or two people (refused)."""


@dataclass(frozen=True)
class MicrosoftIdentity:
    tenant_id: str
    object_id: str
    name: str
    email: str  # display and matching only


@dataclass(frozen=True)
class GoogleIdentity:
    sub: str
    name: str
    email: str
    hosted_domain: str | None = None


def _current(user: User) -> CurrentUser:
    return CurrentUser(user.id, user.email, user.organization_id, user.salesforce_user_id,
                       user.calendar_provider, user.is_admin)


def _accepts(org: Organization, tenant_id: str) -> bool:
    return org.microsoft_tenant_id == tenant_id or tenant_id in (org.allowed_tenant_ids or [])


def _org_for_tenant(session: Session, tenant_id: str) -> Organization | None:
    org = session.scalar(select(Organization).where(
        Organization.microsoft_tenant_id == tenant_id))
    if org is not None:
        return org
    for candidate in session.scalars(select(Organization).where(
            Organization.microsoft_tenant_id.is_not(None))):
        if tenant_id in (candidate.allowed_tenant_ids or []):
            return candidate
    return None


def may_start_organization(container: Container, tenant_id: str) -> bool:
    """A tenant no organization knows yet may start one: the tenant the Entra app is
    registered for (``ADDIN_MICROSOFT_TENANT``), or any tenant when sign-up is open."""
    settings = container.settings
    return settings.microsoft_tenant == tenant_id or settings.microsoft_open_signup


def _display_org_name(email: str) -> str:
    return email.rsplit("@", 1)[-1] if "@" in email else ""


def user_for_microsoft(container: Container, identity: MicrosoftIdentity) -> CurrentUser:
    """The user with this tenant + object id, created on first sight in the organization
    bound to the tenant (or a new one, whose first person is its admin)."""
    for attempt in (1, 2):
        try:
            with container.db.session() as session:
                user = session.scalar(select(User).where(
                    User.microsoft_tenant_id == identity.tenant_id,
                    User.microsoft_object_id == identity.object_id))
                if user is not None:
                    org = session.get(Organization, user.organization_id)
                    if org is None or not _accepts(org, identity.tenant_id):
                        raise TenantNotAllowed("Your organization no longer accepts sign-ins "
                                               "from your Microsoft 365 tenant.")
                    if identity.name and user.name != identity.name:
                        user.name = identity.name
                    return _current(user)
                org = _org_for_tenant(session, identity.tenant_id)
                first = org is None
                if org is None:
                    if not may_start_organization(container, identity.tenant_id):
                        raise TenantNotAllowed(
                            f"Your Microsoft 365 organization (tenant {identity.tenant_id}) "
                            "is not set up for this sidebar. Ask your administrator.")
                    org = Organization(microsoft_tenant_id=identity.tenant_id, settings={},
                                       allowed_tenant_ids=[],
                                       name=_display_org_name(identity.email))
                    session.add(org)
                    session.flush()
                user = User(organization_id=org.id, email=identity.email.lower(),
                            name=identity.name, calendar_provider="graph", is_admin=first,
                            microsoft_tenant_id=identity.tenant_id,
                            microsoft_object_id=identity.object_id)
                session.add(user)
                session.flush()
                return _current(user)
        except IntegrityError:  # the same person's first requests raced: read theirs
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def user_for_google(container: Container, identity: GoogleIdentity) -> CurrentUser:
    """The user with this Google ``sub``, created on first sight in an organization of
    their own until they connect Salesforce (which joins them to their colleagues)."""
    for attempt in (1, 2):
        try:
            with container.db.session() as session:
                user = session.scalar(select(User).where(User.google_sub == identity.sub))
                if user is not None:
                    return _current(user)
                org = Organization(settings={}, allowed_tenant_ids=[],
                                   name=identity.hosted_domain or
                                   _display_org_name(identity.email))
                session.add(org)
                session.flush()
                user = User(organization_id=org.id, email=identity.email.lower(),
                            name=identity.name, calendar_provider="google", is_admin=True,
                            google_sub=identity.sub)
                session.add(user)
                session.flush()
                return _current(user)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def bind_salesforce_identity(container: Container, user_id: int, org_id: str,
                             salesforce_user_id: str) -> int:
    """The user connected Salesforce as ``salesforce_user_id`` of org ``org_id``: their
    organization is that Salesforce org (joining colleagues who connected it before).
    Returns the user id the connection belongs to (see ``_adopt``)."""
    with container.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise IdentityConflict("the user no longer exists")
        org = session.get(Organization, user.organization_id)
        assert org is not None
        if org.salesforce_org_id not in (None, org_id):
            raise IdentityConflict(
                f"your organization uses Salesforce org {org.salesforce_org_id}; connect "
                "a user of that org")
        if org.salesforce_org_id is None:
            existing = session.scalar(select(Organization).where(
                Organization.salesforce_org_id == org_id))
            if existing is None:
                org.salesforce_org_id = org_id
            else:
                _merge_into(session, org, existing)
        taken = session.scalar(select(User).where(User.salesforce_user_id ==
                                                  salesforce_user_id, User.id != user_id))
        if taken is not None:
            if taken.microsoft_object_id or taken.google_sub:
                raise IdentityConflict("this Salesforce user is already connected by another "
                                       "person; connect your own Salesforce user")
            return _adopt(session, user, taken)
        user.salesforce_user_id = salesforce_user_id
        return user.id


def _adopt(session: Session, newcomer: User, legacy: User) -> int:
    """A user from before identities were recorded (no object id, no Google sub) has this
    Salesforce user; the person just proved through Salesforce's own sign-in that they are
    that Salesforce user, so the existing account (its events, sync state, connections)
    becomes theirs, with their identity; the newcomer row goes."""
    identity = (newcomer.microsoft_tenant_id, newcomer.microsoft_object_id,
                newcomer.google_sub)
    newcomer.microsoft_tenant_id = newcomer.microsoft_object_id = newcomer.google_sub = None
    session.flush()
    legacy.microsoft_tenant_id, legacy.microsoft_object_id, legacy.google_sub = identity
    held = set(session.scalars(select(Connection.service).where(
        Connection.user_id == legacy.id)))
    for connection in session.scalars(select(Connection).where(
            Connection.user_id == newcomer.id)):
        if connection.service in held:
            session.delete(connection)
        else:
            connection.user_id = legacy.id
    session.flush()
    session.delete(newcomer)
    return legacy.id


def _merge_into(session: Session, pending: Organization, existing: Organization) -> None:
    """An organization started from a tenant (or a Google account) turns out to be a
    Salesforce org the product already knows: its people join that organization."""
    tenant = pending.microsoft_tenant_id
    if tenant and not _accepts(existing, tenant):
        if existing.microsoft_tenant_id is not None:
            raise IdentityConflict(
                "this Salesforce org is used with another Microsoft 365 tenant; ask its "
                "administrator to allow yours")
        pending.microsoft_tenant_id = None
        session.flush()
        existing.microsoft_tenant_id = tenant  # bound by the first person who connects
    has_admin = session.scalar(select(User.id).where(
        User.organization_id == existing.id, User.is_admin.is_(True))) is not None
    for member in session.scalars(select(User).where(User.organization_id == pending.id)):
        member.organization_id = existing.id
        member.is_admin = member.is_admin and not has_admin
    session.flush()
    session.delete(pending)
