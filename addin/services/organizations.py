"""What an organization's administrators see and set beyond the sync settings: the
Microsoft 365 tenants it accepts, its Salesforce API budget, and who belongs to it."""

from __future__ import annotations

from typing import Any

from addin.container import Container
from addin.providers.salesforce import budget
from addin.store.models import Organization, User


def _tenants_view(org: Organization) -> dict[str, Any]:
    return {"tenantId": org.microsoft_tenant_id,
            "allowedTenantIds": list(org.allowed_tenant_ids or [])}


def tenants(container: Container, organization_id: int) -> dict[str, Any]:
    """The tenant the organization is bound to, and the other tenants it accepts."""
    with container.db.session() as session:
        org = session.get(Organization, organization_id)
        assert org is not None
        return _tenants_view(org)


def set_allowed_tenants(container: Container, organization_id: int,
                        allowed: list[str]) -> dict[str, Any]:
    """Accept these other tenants (the organization's own is never listed twice)."""
    with container.db.session() as session:
        org = session.get(Organization, organization_id)
        assert org is not None
        org.allowed_tenant_ids = [t for t in allowed if t != org.microsoft_tenant_id]
        return _tenants_view(org)


def salesforce_usage(container: Container, organization_id: int) -> dict[str, Any]:
    """The organization's Salesforce API budget as the product sees it."""
    figure = budget.usage(container, organization_id)
    return {
        "day": figure.day, "requestsByProduct": figure.requests, "apiUsage": figure.used,
        "apiLimit": figure.limit, "percent": figure.percent, "reportedAt": figure.reported_at,
        "syncing": budget.pressure(container, organization_id),
        "slowAbovePercent": container.settings.salesforce_budget_slow_percent,
        "stopAbovePercent": container.settings.salesforce_budget_stop_percent}


def is_member(container: Container, user_id: int, organization_id: int) -> bool:
    """The user exists and belongs to that organization."""
    with container.db.session() as session:
        person = session.get(User, user_id)
        return person is not None and person.organization_id == organization_id
