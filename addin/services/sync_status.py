"""The sync status of a user (their last passes, pending outbox operations, errors with
what a Retry does, propagation times) and of an organization (every user, for admins);
and the retries themselves."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain.errors import NotFound
from addin.errors import scrub
from addin.services.events import ensure_mirror
from addin.services.org_settings import load_org_settings
from addin.services.outbox import queue as outbox
from addin.store.models import (
    MirroredEvent,
    Organization,
    OutboxOperation,
    SyncPassRecord,
    User,
)

PASSES_SHOWN = 20
ERRORS_SHOWN = 20
PROPAGATIONS_SHOWN = 60
KIND_NAMES = {"create_event": "Create the Salesforce Event",
              "mirror_event": "Add the event to the calendar"}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _pass_view(row: SyncPassRecord) -> dict[str, Any]:
    return {"id": row.id, "startedAt": _iso(row.started_at), "durationMs": row.duration_ms,
            "reason": row.reason, "checked": row.checked, "reconciled": row.reconciled,
            "failed": row.failed,
            "failures": {k: scrub(str(v)) for k, v in (row.failures or {}).items()},
            "error": scrub(row.error) if row.error else None}


def _operation_view(op: OutboxOperation) -> dict[str, Any]:
    payload = op.payload or {}
    return {"id": op.id, "kind": op.kind, "title": KIND_NAMES.get(op.kind, op.kind),
            "state": op.state, "attempts": op.attempts,
            "nextAttemptAt": _iso(op.next_attempt_at), "createdAt": _iso(op.created_at),
            "subject": (payload.get("baseFields") or {}).get("subject"),
            "eventId": payload.get("salesforceEventId"),
            "error": scrub(op.last_error) if op.last_error else None}


def user_status(container: Container, user_id: int) -> dict[str, Any]:
    with container.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        passes = list(session.scalars(select(SyncPassRecord).where(
            SyncPassRecord.user_id == user_id).order_by(SyncPassRecord.id.desc())
            .limit(max(PASSES_SHOWN, 50))))
        pending = list(session.scalars(select(OutboxOperation).where(
            OutboxOperation.user_id == user_id,
            OutboxOperation.state.in_(("pending", "running"))).order_by(OutboxOperation.id)))
        failed_ops = list(session.scalars(select(OutboxOperation).where(
            OutboxOperation.user_id == user_id,
            OutboxOperation.state.in_(("failed", "dead"))).order_by(
            OutboxOperation.id.desc()).limit(ERRORS_SHOWN)))
        failed_mirrors = list(session.scalars(select(MirroredEvent).where(
            MirroredEvent.user_id == user_id, MirroredEvent.state == "failed").order_by(
            MirroredEvent.id.desc()).limit(ERRORS_SHOWN)))
        person = {"id": user.id, "name": user.name, "email": user.email,
                  "calendarProvider": user.calendar_provider, "isAdmin": user.is_admin}
        errors = _errors(passes, failed_ops, failed_mirrors)
        samples = [{**p, "passId": row.id} for row in passes
                   for p in (row.propagations or [])][:PROPAGATIONS_SHOWN]
        return {"user": person, "passes": [_pass_view(p) for p in passes[:PASSES_SHOWN]],
                "pending": [_operation_view(op) for op in pending], "errors": errors,
                "propagation": {"samples": list(reversed(samples)),
                                **_summary([float(s["seconds"]) for s in samples])}}


def _errors(passes: list[SyncPassRecord], failed_ops: list[OutboxOperation],
            failed_mirrors: list[MirroredEvent]) -> list[dict[str, Any]]:
    """The Errors list: the last pass's failure first, then operations, then mirrors."""
    errors = [{"type": "outbox", "id": op.id, "title": KIND_NAMES.get(op.kind, op.kind),
               "subject": (op.payload or {}).get("baseFields", {}).get("subject"),
               "state": op.state, "at": _iso(op.next_attempt_at),
               "message": scrub(op.last_error or "failed"),
               "retry": f"/api/v1/status/outbox/{op.id}/retry"} for op in failed_ops]
    errors += [{"type": "mirror", "id": row.salesforce_event_id,
                "title": "Add the event to the calendar",
                "subject": (row.base_fields or {}).get("subject"), "state": row.state,
                "at": _iso(row.last_synced_at or row.created_at),
                "message": scrub(row.detail or "the calendar refused the event"),
                "retry": f"/api/v1/status/mirrors/{row.salesforce_event_id}/retry"}
               for row in failed_mirrors]
    last = passes[0] if passes else None
    if last is not None and (last.failed or last.error):
        errors.insert(0, {"type": "pass", "id": last.id, "title": "Sync pass",
                          "subject": None, "state": "failed", "at": _iso(last.started_at),
                          "message": scrub(last.error or "; ".join(
                              f"{k}: {v}" for k, v in (last.failures or {}).items())),
                          "retry": "/api/v1/status/sync"})
    return errors


def _summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"count": 0, "medianSeconds": None, "maxSeconds": None}
    return {"count": len(seconds), "medianSeconds": round(statistics.median(seconds), 3),
            "maxSeconds": round(max(seconds), 3)}


def organization_status(container: Container, organization_id: int) -> dict[str, Any]:
    """Every user of the organization in one line each, and the org's settings."""
    with container.db.session() as session:
        org = session.get(Organization, organization_id)
        if org is None:
            raise NotFound("No such organization.")
        people = list(session.scalars(select(User).where(
            User.organization_id == organization_id).order_by(User.name, User.id)))
        ids = [p.id for p in people]
        pending = dict(session.execute(select(OutboxOperation.user_id, func.count()).where(
            OutboxOperation.user_id.in_(ids),
            OutboxOperation.state.in_(("pending", "running"))).group_by(
            OutboxOperation.user_id)).all())
        failed = dict(session.execute(select(OutboxOperation.user_id, func.count()).where(
            OutboxOperation.user_id.in_(ids),
            OutboxOperation.state.in_(("failed", "dead"))).group_by(
            OutboxOperation.user_id)).all())
        mirrors = dict(session.execute(select(MirroredEvent.user_id, func.count()).where(
            MirroredEvent.user_id.in_(ids), MirroredEvent.state == "failed").group_by(
            MirroredEvent.user_id)).all())
        latest = select(SyncPassRecord.user_id, func.max(SyncPassRecord.id).label("id")) \
            .where(SyncPassRecord.user_id.in_(ids)).group_by(SyncPassRecord.user_id) \
            .subquery()
        last = {row.user_id: row for row in session.scalars(
            select(SyncPassRecord).join(latest, SyncPassRecord.id == latest.c.id))}
        users = []
        for person in people:
            passed = last.get(person.id)
            users.append({
                "id": person.id, "name": person.name, "email": person.email,
                "calendarProvider": person.calendar_provider, "isAdmin": person.is_admin,
                "salesforceConnected": person.salesforce_user_id is not None,
                "lastPass": _pass_view(passed) if passed else None,
                "pending": int(pending.get(person.id, 0)),
                "errors": int(failed.get(person.id, 0)) + int(mirrors.get(person.id, 0)) + (
                    1 if passed is not None and (passed.failed or passed.error) else 0),
                "statusUrl": f"/status?user={person.id}"})
        organization = {"id": org.id, "name": org.name,
                        "salesforceOrgId": org.salesforce_org_id,
                        "microsoftTenantId": org.microsoft_tenant_id}
    return {"organization": organization,
            "settings": load_org_settings(container, organization_id).as_json(),
            "users": users}


def retry_operation(container: Container, user_id: int, op_id: int) -> dict[str, Any]:
    """Run the user's outbox operation again now; its state afterwards."""
    op = outbox.load(container, op_id) if 0 < op_id < 2**31 else None
    if op is None or op.user_id != user_id:
        raise NotFound("No such operation.", fields={"id": "not one of this user's"})
    ran = outbox.retry_now(container, op_id)
    after = outbox.load(container, op_id)
    assert after is not None
    return {"ran": ran, "operation": _operation_view(after)}


def retry_mirror(container: Container, user: CurrentUser, event_id: str) -> dict[str, Any]:
    """Try again to add a Salesforce Event the calendar refused (or that waits for it)."""
    with container.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.user_id == user.id, MirroredEvent.salesforce_event_id == event_id))
        if row is None:
            raise NotFound("No such event.", fields={"eventId": "not one of this user's"})
        if row.state == "failed":
            row.state, row.detail = "pending", None
        row_id = row.id
    done = ensure_mirror(container, user, row_id)
    return {"eventId": event_id, "state": done.state,
            "detail": scrub(done.detail) if done.detail else None}
