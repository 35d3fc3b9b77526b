"""sync passes: each user's sync passes as they went, for the sync status page

Revision ID: 0007_sync_passes
Revises: 0006_change_events
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_sync_passes"
down_revision = "0006_change_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("reconciled", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("propagations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sync_passes_user_id", "sync_passes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_passes_user_id", table_name="sync_passes")
    op.drop_table("sync_passes")
