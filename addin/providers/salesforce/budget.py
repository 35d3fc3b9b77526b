"""Each organization's Salesforce API budget, shared by every process of the product.

Salesforce reports the org's daily use on every REST answer (``Sforce-Limit-Info:
api-usage=N/M``, plus ``api-bursts=...`` in orgs that may burst): N requests of the
allowance M spent in the last 24 hours, by everyone (other integrations too). Every
Salesforce answer the product gets is recorded here against the organization whose user
made the request: one row per organization and UTC day holds the requests the product made
(an atomic counter incremented by every process) and the last figure Salesforce reported.

The figure decides how hard the background may pull (:func:`pressure`): below
``salesforce_budget_slow_percent`` everything runs; above it polls are spaced out by
``salesforce_budget_poll_slowdown`` and bulk passes (a first backfill) wait; above
``salesforce_budget_stop_percent`` only what a person or a notification asked for still
runs, so the org never runs dry because of polling.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from addin.store.models import SalesforceUsage

log = logging.getLogger(__name__)
API_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")

NORMAL, SLOW, STOP = "normal", "slow", "stop"


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """``api-usage=18/5000; per-app-api-usage=17/250(appName=x)`` -> (18, 5000)."""
    match = API_USAGE.search(header or "")
    if match is None:
        return None
    used, limit = int(match.group(1)), int(match.group(2))
    return (used, limit) if limit > 0 else None


def record_answer(database: Any, response: Any, organization_id: int) -> None:
    """Count one Salesforce answer against the organization (the one the answering client
    acts for: ``SalesforceClient.organization_id``) and keep the figure Salesforce reported
    with it. Never fails the request."""
    reported = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
    now = datetime.now(UTC)
    values: dict[str, Any] = {"organization_id": organization_id, "day": now.date(),
                              "requests": 1}
    changes: dict[str, Any] = {"requests": SalesforceUsage.requests + 1}
    if reported is not None:
        values.update(reported_used=reported[0], reported_max=reported[1], reported_at=now)
        changes.update(reported_used=reported[0], reported_max=reported[1], reported_at=now)
    try:
        with database.session() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            statement = insert(SalesforceUsage).values(**values)
            session.execute(statement.on_conflict_do_update(
                index_elements=["organization_id", "day"],
                set_={key: (getattr(statement.excluded, key) if key != "requests" else value)
                      for key, value in changes.items()}))
    except Exception:  # the count is advisory: a request must not fail because of it
        log.exception("could not record Salesforce API usage of organization %s",
                      organization_id)


@dataclass(frozen=True)
class Usage:
    organization_id: int
    day: date
    requests: int  # made by the product today (UTC)
    used: int | None  # the org's whole use, as Salesforce last reported it
    limit: int | None
    reported_at: datetime | None

    @property
    def percent(self) -> float | None:
        if self.used is None or not self.limit:
            return None
        return round(100.0 * self.used / self.limit, 2)


def usage(container: Any, organization_id: int, today: date | None = None) -> Usage:
    """Today's figure; Salesforce's window is rolling 24 hours, so yesterday's last report
    still stands until today brings one."""
    today = today or datetime.now(UTC).date()
    with container.db.session() as session:
        rows = list(session.scalars(select(SalesforceUsage).where(
            SalesforceUsage.organization_id == organization_id,
            SalesforceUsage.day >= date.fromordinal(today.toordinal() - 1))
            .order_by(SalesforceUsage.day.desc())))
    current = next((row for row in rows if row.day == today), None)
    reported = next((row for row in rows if row.reported_max), None)
    return Usage(organization_id, today, current.requests if current else 0,
                 reported.reported_used if reported else None,
                 reported.reported_max if reported else None,
                 _aware(reported.reported_at) if reported else None)


def pressure(container: Any, organization_id: int) -> str:
    """``normal``, ``slow`` (space polls out, defer bulk passes) or ``stop`` (only passes
    somebody asked for)."""
    percent = usage(container, organization_id).percent
    if percent is None:
        return NORMAL
    settings = container.settings
    if percent >= settings.salesforce_budget_stop_percent:
        return STOP
    if percent >= settings.salesforce_budget_slow_percent:
        return SLOW
    return NORMAL


def poll_interval(container: Any, organization_id: int, interval_seconds: int) -> float | None:
    """The org's poll interval under its budget pressure; None: do not poll now."""
    level = pressure(container, organization_id)
    if level == STOP:
        return None
    if level == SLOW:
        return float(interval_seconds * max(1, container.settings.salesforce_budget_poll_slowdown))
    return float(interval_seconds)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
