"""Readiness: the database answers and its schema is at the migrations' head."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from addin.container import Container
from addin.store import current_revision, head_revision


def readiness(container: Container) -> tuple[dict[str, Any], bool]:
    """What the readiness probe says, and whether the app is ready."""
    engine = container.db.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # the database is unreachable: not ready
        return {"status": "unavailable", "database": str(exc.__class__.__name__)}, False
    head = head_revision()
    if revision != head:
        return {"status": "unavailable", "migrations": {"current": revision,
                                                        "head": head}}, False
    return {"status": "ready", "migrations": {"current": revision, "head": head}}, True
