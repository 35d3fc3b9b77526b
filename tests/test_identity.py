"""Identity: who a person is (tenant + object id, Google sub), organizations bound to a
tenant, and a Salesforce org connected by one person being their colleagues' org."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from addin.accounts.identity import (
    GoogleIdentity,
    IdentityConflict,
    MicrosoftIdentity,
    TenantNotAllowed,
    bind_salesforce_identity,
    user_for_google,
    user_for_microsoft,
)
from addin.store.models import Organization, User

CONTOSO = "c0c0c0c0-0000-4000-8000-000000000001"
FABRIKAM = "fabfabfa-0000-4000-8000-000000000002"
SF_ORG = "00D000000000777AAA"


def _person(tenant: str, oid: str, email: str = "kim@contoso.example") -> MicrosoftIdentity:
    return MicrosoftIdentity(tenant_id=tenant, object_id=oid, name="Kim Lee", email=email)


def _org(services: Any, user_id: int) -> Organization:
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        org = session.get(Organization, user.organization_id)
        assert org is not None
        session.expunge(org)
        return org


def test_an_unknown_tenant_starts_nothing_unless_configured_or_open(services: Any) -> None:
    with pytest.raises(TenantNotAllowed):
        user_for_microsoft(services, _person(CONTOSO, "o1"))
    # a single-tenant Entra app
    services.settings = replace(services.settings, microsoft_tenant=CONTOSO)
    first = user_for_microsoft(services, _person(CONTOSO, "o1"))
    assert first.is_admin  # the organization's first person
    colleague = user_for_microsoft(services, _person(CONTOSO, "o2", "sam@contoso.example"))
    assert not colleague.is_admin and colleague.organization_id == first.organization_id
    assert _org(services, first.id).microsoft_tenant_id == CONTOSO
    with pytest.raises(TenantNotAllowed):
        user_for_microsoft(services, _person(FABRIKAM, "o1"))
    # a multi-tenant service
    services.settings = replace(services.settings, microsoft_open_signup=True)
    other = user_for_microsoft(services, _person(FABRIKAM, "o1"))
    assert other.id != first.id and other.organization_id != first.organization_id


def test_connecting_salesforce_joins_colleagues_and_binds_the_tenant(services: Any) -> None:
    services.settings = replace(services.settings, microsoft_open_signup=True)
    gmail_user = user_for_google(services, GoogleIdentity("g-sub-1", "Ann", "ann@x.example"))
    bind_salesforce_identity(services, gmail_user.id, SF_ORG, "005000000000901AAA")
    outlook_user = user_for_microsoft(services, _person(CONTOSO, "o1"))
    pending = outlook_user.organization_id
    bind_salesforce_identity(services, outlook_user.id, SF_ORG, "005000000000902AAA")
    org = _org(services, outlook_user.id)
    assert org.id == _org(services, gmail_user.id).id  # the same organization
    assert org.microsoft_tenant_id == CONTOSO  # bound by the first who connected
    with services.db.session() as session:
        assert session.get(Organization, pending) is None
        admins = session.scalars(select(User.id).where(User.organization_id == org.id,
                                                       User.is_admin.is_(True))).all()
        assert admins == [gmail_user.id]
    # A colleague from the tenant now lands in that organization at once.
    colleague = user_for_microsoft(services, _person(CONTOSO, "o3", "sam@contoso.example"))
    assert colleague.organization_id == org.id


def test_conflicting_connections_are_refused(services: Any) -> None:
    services.settings = replace(services.settings, microsoft_open_signup=True)
    contoso = user_for_microsoft(services, _person(CONTOSO, "o1"))
    bind_salesforce_identity(services, contoso.id, SF_ORG, "005000000000901AAA")
    fabrikam = user_for_microsoft(services, _person(FABRIKAM, "o1"))
    with pytest.raises(IdentityConflict, match="another Microsoft 365 tenant"):
        bind_salesforce_identity(services, fabrikam.id, SF_ORG, "005000000000902AAA")
    with pytest.raises(IdentityConflict, match="uses Salesforce org"):
        bind_salesforce_identity(services, contoso.id, "00D000000000888AAA",
                                 "005000000000903AAA")
    colleague = user_for_microsoft(services, _person(CONTOSO, "o2", "sam@contoso.example"))
    with pytest.raises(IdentityConflict, match="already connected by another person"):
        bind_salesforce_identity(services, colleague.id, SF_ORG, "005000000000901AAA")


def test_google_people_are_their_sub(services: Any) -> None:
    first = user_for_google(services, GoogleIdentity("sub-1", "Ann", "ann@x.example"))
    renamed = user_for_google(services, GoogleIdentity("sub-1", "Ann", "ann.b@x.example"))
    same_email = user_for_google(services, GoogleIdentity("sub-2", "Eve", "ann@x.example"))
    assert renamed.id == first.id and same_email.id != first.id


def test_a_user_from_before_identities_is_adopted_by_who_proves_the_salesforce_user(
        services: Any) -> None:
    """After the upgrade, existing users have no object id. Signing in creates a new user;
    connecting Salesforce as the existing user's Salesforce user hands that account over
    (its connections and events stay), never by matching the email."""
    from addin.store.models import Connection

    with services.db.session() as session:
        org = Organization(salesforce_org_id=SF_ORG, name="Legacy", settings={},
                           allowed_tenant_ids=[])
        session.add(org)
        session.flush()
        legacy = User(organization_id=org.id, email="old.address@contoso.example",
                      calendar_provider="graph", salesforce_user_id="005000000000901AAA")
        session.add(legacy)
        session.flush()
        session.add(Connection(user_id=legacy.id, service="salesforce",
                               access_token_encrypted=services.cipher.encrypt("sf")))
        legacy_id = legacy.id
    services.settings = replace(services.settings, microsoft_tenant=CONTOSO)
    newcomer = user_for_microsoft(services, _person(CONTOSO, "o1"))
    assert newcomer.id != legacy_id
    with services.db.session() as session:
        session.add(Connection(user_id=newcomer.id, service="graph",
                               access_token_encrypted=services.cipher.encrypt("graph")))
    owner = bind_salesforce_identity(services, newcomer.id, SF_ORG, "005000000000901AAA")
    assert owner == legacy_id
    assert user_for_microsoft(services, _person(CONTOSO, "o1")).id == legacy_id
    with services.db.session() as session:
        assert session.get(User, newcomer.id) is None
        services_of_legacy = set(session.scalars(select(Connection.service).where(
            Connection.user_id == legacy_id)))
        org = session.scalars(select(Organization).where(
            Organization.salesforce_org_id == SF_ORG)).one()
    assert services_of_legacy == {"salesforce", "graph"}
    assert org.microsoft_tenant_id == CONTOSO
    # Someone who already has an identity is never taken over.
    other = user_for_microsoft(services, _person(CONTOSO, "o2", "sam@contoso.example"))
    with pytest.raises(IdentityConflict):
        bind_salesforce_identity(services, other.id, SF_ORG, "005000000000901AAA")
