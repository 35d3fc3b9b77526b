"""change event cursors: the replay id each organization's change-event stream reached

Revision ID: 0006_change_events
Revises: 0005_jobs
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_change_events"
down_revision = "0005_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_event_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("replay_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "topic"),
    )


def downgrade() -> None:
    op.drop_table("change_event_cursors")
