"""The sync pass: what it looks at, and what it leaves alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from addin.services.sync_pass import sync_user
from addin.store.models import SyncCursor
from tests.services.scenario import GUEST, Scenario


def _skip_salesforce_until_now(s: Scenario) -> None:
    """Move the Salesforce high-water mark past the skew window, so only the calendar's
    change feed decides what the next pass looks at."""
    with s.services.db.session() as session:
        cursor = session.scalar(select(SyncCursor).where(
            SyncCursor.user_id == s.user.id, SyncCursor.source == "salesforce_events"))
        assert cursor is not None
        cursor.cursor = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()


def _calendar_reads(s: Scenario) -> int:
    operations = s.sandbox.state.stats.snapshot().get(s.provider, {}).get("byOperation", {})
    return int(operations.get("events.get", 0))


def test_the_products_own_calendar_write_is_not_reconciled_again(
        scenario: Callable[[str, str], Scenario]) -> None:
    for provider in ("graph", "google"):
        s = scenario(provider, "lightning")
        s.change("salesforce", [], {"add": [GUEST]})  # the pass writes the calendar item
        assert s.calendar_attendees() == [GUEST]
        _skip_salesforce_until_now(s)
        s.sandbox.state.stats.reset()
        report = sync_user(s.services, s.user.id, "echo")
        assert s.event_id not in report.reconciled and _calendar_reads(s) == 0


def test_a_calendar_change_after_the_products_write_is_reconciled(
        scenario: Callable[[str, str], Scenario]) -> None:
    s = scenario("google", "lightning")
    s.change("salesforce", [], {"add": [GUEST]})
    _skip_salesforce_until_now(s)
    s.change("calendar", [GUEST, "walk.in@unlinked.example"], {})
    view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
    assert sorted(a["email"] for a in view["attendees"]) == [GUEST, "walk.in@unlinked.example"]
