"""What each sync pass did, kept for the sync status page: one row per pass (start,
duration, reason, counts, the pass's own error) and the propagation times it measured.

Propagation of an event is measured only when a pass changed what both sides agree on
(the event's agreed fields or attendees): from the upstream change (the newer of the
Salesforce Event's ``SystemModstamp`` and the calendar item's own modification time, both
read before the product wrote anything) to the moment the product's write ended. Clocks of
the services and of this server may differ; a negative figure is kept as 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from addin.container import Container
from addin.store.models import SyncPassRecord

log = logging.getLogger(__name__)
KEEP_PER_USER = 200


def modified_at(record: dict[str, Any] | None, raw: Any) -> tuple[str, datetime] | None:
    """The newest upstream modification time among the Salesforce record and the calendar
    item (Graph ``lastModifiedDateTime``, Google ``updated``, EWS ``last_modified_time``),
    with the side it came from."""
    found: list[tuple[datetime, str]] = []
    if record and record.get("SystemModstamp"):
        found.append((_instant(str(record["SystemModstamp"])), "salesforce"))
    value: Any = None
    if isinstance(raw, dict):
        value = raw.get("lastModifiedDateTime") or raw.get("updated")
    elif raw is not None:
        value = getattr(raw, "last_modified_time", None)
    if value:
        found.append((value if isinstance(value, datetime) else _instant(str(value)),
                      "calendar"))
    if not found:
        return None
    moment, side = max(found)
    return side, moment


def propagation(event_id: str, changed: tuple[str, datetime] | None,
                written_at: datetime) -> dict[str, Any] | None:
    if changed is None:
        return None
    side, moment = changed
    seconds = max(0.0, (written_at - moment).total_seconds())
    return {"eventId": event_id, "side": side, "changedAt": moment.isoformat(),
            "seconds": round(seconds, 3)}


@dataclass(frozen=True)
class PassOutcome:
    """What one pass did: events checked and reconciled, failures by event, propagations."""

    checked: int = 0
    reconciled: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    propagations: list[dict[str, Any]] = field(default_factory=list)


def record_pass(container: Container, user_id: int, reason: str, started: datetime,
                outcome: PassOutcome | None = None, *, error: str | None = None) -> None:
    """Store one pass; keep the newest KEEP_PER_USER passes of the user. Best effort: a
    failure to record (the user deleted meanwhile, the database briefly away) is logged
    and never fails the sync itself."""
    try:
        _record(container, user_id, reason, started, outcome or PassOutcome(), error)
    except SQLAlchemyError:
        log.warning("the sync pass of user %s was not recorded", user_id, exc_info=True)


def _record(container: Container, user_id: int, reason: str, started: datetime,
            outcome: PassOutcome, error: str | None) -> None:
    ended = datetime.now(UTC)
    with container.db.session() as session:
        session.add(SyncPassRecord(
            user_id=user_id, reason=reason[:64], started_at=started,
            duration_ms=int((ended - started).total_seconds() * 1000),
            checked=outcome.checked, reconciled=outcome.reconciled,
            failed=len(outcome.failures), failures=dict(outcome.failures),
            error=error[:2000] if error else None, propagations=list(outcome.propagations)))
        session.flush()
        keep = select(SyncPassRecord.id).where(SyncPassRecord.user_id == user_id).order_by(
            SyncPassRecord.id.desc()).limit(KEEP_PER_USER).scalar_subquery()
        session.execute(delete(SyncPassRecord).where(
            SyncPassRecord.user_id == user_id, SyncPassRecord.id.not_in(keep)))


def _instant(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    if text.endswith("+0000"):
        text = text[:-5] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
