"""Per-organization sync settings, stored in the database, defaults from configuration.

An admin changes them through the API; the sync engine reads them on every pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from addin.config import DELETE_PROPAGATION, GRAPH_CLASSIC_POLICIES, SYNC_DIRECTIONS
from addin.container import Container
from addin.domain.errors import NotFound
from addin.store.models import Organization

__all__ = ["DELETE_PROPAGATION", "GRAPH_CLASSIC_POLICIES", "SYNC_DIRECTIONS", "OrgSettings",
           "load_org_settings", "update_org_settings"]

FREE_MAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com",
)


@dataclass(frozen=True)
class OrgSettings:
    """What an admin controls. Field names are the API's (camelCase in JSON)."""

    sync_direction: str = "two_way"
    graph_classic_policy: str = "hold"  # see docs/attendees-and-invitations.md
    delete_propagation: str = "both_ways"
    ignored_domains: tuple[str, ...] = field(default_factory=lambda: FREE_MAIL_DOMAINS)
    poll_interval_seconds: int = 60
    # the org has the External ID field that makes creates retry-safe (set by the admin's
    # Salesforce setup action, not by PATCH)
    request_id_field: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "syncDirection": data["sync_direction"],
            "graphClassicPolicy": data["graph_classic_policy"],
            "deletePropagation": data["delete_propagation"],
            "ignoredDomains": list(data["ignored_domains"]),
            "pollIntervalSeconds": data["poll_interval_seconds"],
            "requestIdField": data["request_id_field"],
        }


JSON_TO_FIELD = {
    "syncDirection": "sync_direction",
    "graphClassicPolicy": "graph_classic_policy",
    "deletePropagation": "delete_propagation",
    "ignoredDomains": "ignored_domains",
    "pollIntervalSeconds": "poll_interval_seconds",
    "requestIdField": "request_id_field",
}


def defaults(container: Container) -> OrgSettings:
    config = container.settings
    domains = tuple(d.strip().lower() for d in config.ignored_domains.split(",") if d.strip())
    return OrgSettings(sync_direction=config.sync_direction,
                       graph_classic_policy=config.graph_classic_policy,
                       delete_propagation=config.delete_propagation,
                       ignored_domains=domains or FREE_MAIL_DOMAINS,
                       poll_interval_seconds=config.poll_interval_seconds)


def _apply(base: OrgSettings, stored: dict[str, Any]) -> OrgSettings:
    changes: dict[str, Any] = {}
    for json_name, value in stored.items():
        name = JSON_TO_FIELD.get(json_name)
        if name is None:
            continue
        changes[name] = tuple(value) if name == "ignored_domains" else value
    return replace(base, **changes)


def load_org_settings(container: Container, organization_id: int) -> OrgSettings:
    with container.db.session() as session:
        org = session.get(Organization, organization_id)
        if org is None:
            raise NotFound("No such organization.")
        stored = dict(org.settings or {})
    return _apply(defaults(container), stored)


def update_org_settings(container: Container, organization_id: int,
                        changes: dict[str, Any]) -> OrgSettings:
    """Store validated changes (API names) and return the effective settings."""
    with container.db.session() as session:
        org = session.get(Organization, organization_id, with_for_update=True)
        if org is None:
            raise NotFound("No such organization.")
        merged = {**(org.settings or {}), **changes}
        org.settings = merged
    return _apply(defaults(container), merged)
