"""The admin-only organization settings API."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from addin.store.models import Organization, User


@pytest.fixture
def org_people(services: Any) -> dict[str, str]:
    """An org with an admin and a rep, and an API token for each."""
    with services.db.session() as session:
        org = Organization(salesforce_org_id="00D0000000000AAEAA", name="Test org", settings={})
        session.add(org)
        session.flush()
        admin = User(organization_id=org.id, email="admin@org.example", calendar_provider="graph",
                     is_admin=True)
        rep = User(organization_id=org.id, email="rep@org.example", calendar_provider="google")
        session.add_all([admin, rep])
        session.flush()
        ids = {"admin": admin.id, "rep": rep.id}
    return {who: services.api_tokens.mint(uid) for who, uid in ids.items()}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_defaults_come_from_configuration(client: Any, org_people: dict[str, str]) -> None:
    body = client.get("/api/v1/admin/settings", headers=_auth(org_people["admin"])).json
    assert body["syncDirection"] == "two_way"
    assert body["graphClassicPolicy"] == "hold"
    assert body["pollIntervalSeconds"] == 60
    assert "gmail.com" in body["ignoredDomains"]


def test_configured_defaults_apply_until_an_admin_changes_them(
        client: Any, services: Any, org_people: dict[str, str]) -> None:
    services.settings = replace(services.settings, graph_classic_policy="mirror")
    services.settings = replace(services.settings, ignored_domains="Partner.example, other.example")
    body = client.get("/api/v1/admin/settings", headers=_auth(org_people["admin"])).json
    assert body["graphClassicPolicy"] == "mirror"
    assert body["ignoredDomains"] == ["partner.example", "other.example"]
    client.patch("/api/v1/admin/settings", headers=_auth(org_people["admin"]),
                 json={"graphClassicPolicy": "hold"})
    body = client.get("/api/v1/admin/settings", headers=_auth(org_people["admin"])).json
    assert body["graphClassicPolicy"] == "hold"


def test_admin_changes_are_stored(client: Any, org_people: dict[str, str]) -> None:
    response = client.patch("/api/v1/admin/settings", headers=_auth(org_people["admin"]),
                            json={"graphClassicPolicy": "mirror",
                                  "syncDirection": "sf_to_calendar",
                                  "ignoredDomains": ["Gmail.com", "acme-sales.example"]})
    assert response.status_code == 200, response.json
    again = client.get("/api/v1/admin/settings", headers=_auth(org_people["admin"])).json
    assert again["graphClassicPolicy"] == "mirror"
    assert again["syncDirection"] == "sf_to_calendar"
    assert again["ignoredDomains"] == ["acme-sales.example", "gmail.com"]


def test_bad_values_name_the_field(client: Any, org_people: dict[str, str]) -> None:
    response = client.patch("/api/v1/admin/settings", headers=_auth(org_people["admin"]),
                            json={"graphClassicPolicy": "sometimes", "pollIntervalSeconds": 1,
                                  "ignoredDomains": ["not a domain"]})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {
        "graphClassicPolicy", "pollIntervalSeconds", "ignoredDomains"}
    unchanged = client.get("/api/v1/admin/settings", headers=_auth(org_people["admin"])).json
    assert unchanged["graphClassicPolicy"] == "hold"


def test_only_admins(client: Any, org_people: dict[str, str]) -> None:
    assert client.get("/api/v1/admin/settings").status_code == 401
    forbidden = client.patch("/api/v1/admin/settings", headers=_auth(org_people["rep"]),
                             json={"graphClassicPolicy": "mirror"})
    assert forbidden.status_code == 403
    assert forbidden.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/admin/settings",
                      headers=_auth("forged.token")).status_code == 401


def test_admins_choose_which_other_tenants_get_in(client: Any, services: Any,
                                                 org_people: dict[str, str]) -> None:
    """An allowed tenant's people become users of the organization (as themselves)."""
    from addin.accounts.identity import MicrosoftIdentity, TenantNotAllowed, user_for_microsoft

    other = "0B0B0B0B-1111-4222-8333-444444444444"
    with services.db.session() as session:
        org = session.scalars(select(Organization).where(
            Organization.salesforce_org_id == "00D0000000000AAEAA")).one()
        org.microsoft_tenant_id = "aaaaaaaa-1111-4222-8333-444444444444"
    guest = MicrosoftIdentity(other.lower(), "oid-1", "Guest", "guest@sub.example")
    with pytest.raises(TenantNotAllowed):
        user_for_microsoft(services, guest)
    assert client.put("/api/v1/admin/tenants", json={"allowedTenantIds": [other]},
                      headers=_auth(org_people["rep"])).status_code == 403
    bad = client.put("/api/v1/admin/tenants", json={"allowedTenantIds": ["nope"]},
                     headers=_auth(org_people["admin"]))
    assert bad.status_code == 400 and "allowedTenantIds.0" in bad.json["error"]["fields"]
    done = client.put("/api/v1/admin/tenants", json={"allowedTenantIds": [other]},
                      headers=_auth(org_people["admin"]))
    assert done.status_code == 200
    assert done.json == {"tenantId": "aaaaaaaa-1111-4222-8333-444444444444",
                         "allowedTenantIds": [other.lower()]}
    assert client.get("/api/v1/admin/tenants",
                      headers=_auth(org_people["admin"])).json == done.json
    assert user_for_microsoft(services, guest).organization_id == org.id
