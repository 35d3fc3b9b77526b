"""jobs: a record of every mailbox job's start and end (the proof that one mailbox is never
worked on by two workers at once, and when each was last polled), the Salesforce API use
of each organization, and, on PostgreSQL, Procrastinate's own schema (its jobs table,
locks and periodic-task bookkeeping) at the version pinned in pyproject.toml

Revision ID: 0005_jobs
Revises: 0004_identity
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_jobs"
down_revision = "0004_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mailbox_runs_user_started", "mailbox_runs", ["user_id", "started_at"])
    op.create_table(
        "salesforce_usage",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("reported_used", sa.Integer(), nullable=True),
        sa.Column("reported_max", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "day"),
    )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # the driver's own connection: the schema's text holds colons and percent signs
        # that are not bind parameters
        driver = op.get_bind().connection.driver_connection
        assert driver is not None
        driver.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.drop_table("salesforce_usage")
    op.drop_index("ix_mailbox_runs_user_started", table_name="mailbox_runs")
    op.drop_table("mailbox_runs")
