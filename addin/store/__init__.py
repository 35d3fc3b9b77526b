"""Persistence: SQLAlchemy 2 engine and sessions, Alembic migrations.

SQLite file by default (embedded, zero setup); PostgreSQL through the same DATABASE_URL.

The bottom of the tree: imports nothing from addin but its own modules.
"""

from addin.store.database import Database
from addin.store.migrate import current_revision, head_revision, upgrade_to_head

__all__ = ["Database", "current_revision", "head_revision", "upgrade_to_head"]
