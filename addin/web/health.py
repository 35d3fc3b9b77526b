"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from addin.container import current_container
from addin.store import current_revision, head_revision

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> Any:
    engine = current_container().db.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # the database is unreachable: not ready
        return jsonify({"status": "unavailable", "database": str(exc.__class__.__name__)}), 503
    head = head_revision()
    if revision != head:
        return jsonify({"status": "unavailable", "migrations": {"current": revision,
                                                                 "head": head}}), 503
    return jsonify({"status": "ready", "migrations": {"current": revision, "head": head}})
