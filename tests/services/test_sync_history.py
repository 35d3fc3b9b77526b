"""Recording sync passes: the upstream modification time a propagation starts from, and a
record that cannot be written never failing the sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from addin.services.sync_history import modified_at, propagation, record_pass
from addin.services.sync_pass import sync_user
from addin.store.models import SyncPassRecord
from tests.clock import TODAY, at, salesforce, z


def test_the_newer_upstream_change_is_the_one_measured() -> None:
    base = at(TODAY, "10:00")  # seconds after it: when each side says it changed

    def after(seconds: float) -> datetime:
        return base + timedelta(seconds=seconds)

    record = {"SystemModstamp": salesforce(after(5))}
    graph = {"lastModifiedDateTime": z(after(1))}
    assert modified_at(record, graph) == ("salesforce", after(5))
    google = {"updated": z(after(9)).removesuffix("Z") + ".500Z"}
    assert modified_at(record, google) == ("calendar", after(9.5))
    ews = SimpleNamespace(last_modified_time=after(7))
    assert modified_at({}, ews) == ("calendar", after(7))
    assert modified_at({}, {}) is None
    written = after(8)
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
