"""identity: users by Microsoft tenant + object id or Google sub, organizations bound to
a Microsoft 365 tenant, organizations that exist before their Salesforce org is known

Revision ID: 0004_identity
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0003"
branch_labels = None
depends_on = None

# SQLite keeps the initial schema's UNIQUE constraints unnamed: name them when batch mode
# reflects the table so the one on users.email can be dropped.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _email_unique_name() -> str:
    return "uq_users_email" if op.get_bind().dialect.name == "sqlite" else "users_email_key"


def upgrade() -> None:
    with op.batch_alter_table("organizations", naming_convention=NAMING) as batch:
        batch.alter_column("salesforce_org_id", existing_type=sa.String(length=18),
                           nullable=True)
        batch.add_column(sa.Column("microsoft_tenant_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("allowed_tenant_ids", sa.JSON(), nullable=False,
                                   server_default="[]"))
        batch.create_unique_constraint("uq_organizations_microsoft_tenant_id",
                                       ["microsoft_tenant_id"])
    with op.batch_alter_table("organizations") as batch:
        batch.alter_column("allowed_tenant_ids", existing_type=sa.JSON(), server_default=None)
    with op.batch_alter_table("users", naming_convention=NAMING) as batch:
        batch.drop_constraint(_email_unique_name(), type_="unique")
        batch.create_index("ix_users_email", ["email"], unique=False)
        batch.add_column(sa.Column("microsoft_tenant_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("microsoft_object_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("google_sub", sa.String(length=255), nullable=True))
        batch.create_unique_constraint("uq_users_microsoft_identity",
                                       ["microsoft_tenant_id", "microsoft_object_id"])
        batch.create_unique_constraint("uq_users_google_sub", ["google_sub"])


def downgrade() -> None:
    with op.batch_alter_table("users", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_users_google_sub", type_="unique")
        batch.drop_constraint("uq_users_microsoft_identity", type_="unique")
        batch.drop_column("google_sub")
        batch.drop_column("microsoft_object_id")
        batch.drop_column("microsoft_tenant_id")
        batch.drop_index("ix_users_email")
        batch.create_unique_constraint(_email_unique_name(), ["email"])
    with op.batch_alter_table("organizations", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_organizations_microsoft_tenant_id", type_="unique")
        batch.drop_column("allowed_tenant_ids")
        batch.drop_column("microsoft_tenant_id")
        batch.alter_column("salesforce_org_id", existing_type=sa.String(length=18),
                           nullable=False)
