"""Recording sync passes: the upstream modification time a propagation starts from, and a
record that cannot be written never failing the sync."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from addin.services.sync_history import modified_at, propagation, record_pass
from addin.services.sync_pass import sync_user
from addin.store.models import SyncPassRecord


def test_the_newer_upstream_change_is_the_one_measured() -> None:
    record = {"SystemModstamp": "2026-12-01T10:00:05.000+0000"}
    graph = {"lastModifiedDateTime": "2026-12-01T10:00:01Z"}
    assert modified_at(record, graph) == (
        "salesforce", datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC))
    google = {"updated": "2026-12-01T10:00:09.500Z"}
    assert modified_at(record, google) == (
        "calendar", datetime(2026, 12, 1, 10, 0, 9, 500000, tzinfo=UTC))
    ews = SimpleNamespace(last_modified_time=datetime(2026, 12, 1, 10, 0, 7, tzinfo=UTC))
    assert modified_at({}, ews) == ("calendar", datetime(2026, 12, 1, 10, 0, 7, tzinfo=UTC))
    assert modified_at({}, {}) is None
    written = datetime(2026, 12, 1, 10, 0, 8, tzinfo=UTC)
    assert propagation("00U1", modified_at(record, graph), written)["seconds"] == 3.0
    # a clock ahead of ours: never a negative figure
    assert propagation("00U1", modified_at(record, google), written)["seconds"] == 0.0
    assert propagation("00U1", None, written) is None


def test_a_pass_that_cannot_be_recorded_does_not_fail(services: Any) -> None:
    report = sync_user(services, 987654, "poll")  # no such user
    assert report.checked == 0
    record_pass(services, 987654, "poll", datetime.now(UTC), error="x")
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SyncPassRecord).where(
            SyncPassRecord.user_id == 987654)) == 0  # refused by the foreign key, logged
