from sqlalchemy import inspect, select, text

from addin.accounts.crypto import TokenCipher
from addin.store import Database, current_revision, head_revision, upgrade_to_head
from addin.store.models import Connection, Organization, User

TABLES = {
    "organizations", "users", "connections", "mirrored_events", "idempotency_keys", "outbox",
    "sync_cursors", "push_subscriptions", "sync_requests",
}


def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    database = Database(database_url)
    assert current_revision(database.engine) is None
    upgrade_to_head(database.engine)
    assert current_revision(database.engine) == head_revision()
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    upgrade_to_head(database.engine)  # idempotent
    database.dispose()


def test_tokens_are_unreadable_in_the_database(database_url: str) -> None:
    database = Database(database_url)
    upgrade_to_head(database.engine)
    cipher = TokenCipher.from_settings("", "secret")
    with database.session() as session:
        org = Organization(salesforce_org_id="00D000000000001EAA", name="Org", settings={})
        session.add(org)
        session.flush()
        user = User(organization_id=org.id, email="a@example.com", calendar_provider="graph")
        session.add(user)
        session.flush()
        session.add(Connection(user_id=user.id, service="salesforce",
                               access_token_encrypted=cipher.encrypt("plain-access-token"),
                               refresh_token_encrypted=cipher.encrypt("plain-refresh-token")))
    with database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT access_token_encrypted, refresh_token_encrypted FROM connections")
        ).one()
    assert "plain" not in row[0] and "plain" not in row[1]
    with database.session() as session:
        stored = session.scalars(select(Connection)).one()
        assert cipher.decrypt(stored.access_token_encrypted) == "plain-access-token"
    database.dispose()


def test_failed_unit_of_work_writes_nothing(database_url: str) -> None:
    database = Database(database_url)
    upgrade_to_head(database.engine)
    try:
        with database.session() as session:
            session.add(Organization(salesforce_org_id="00D000000000002EAA", name="x",
                                     settings={}))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with database.session() as session:
        assert session.scalars(select(Organization)).all() == []
    database.dispose()


def test_models_match_migrations(database_url: str) -> None:
    """Every model change comes with its migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from addin.store.migrate import product_object
    from addin.store.models import Base

    database = Database(database_url)
    upgrade_to_head(database.engine)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection,
                                             opts={"include_name": product_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    database.dispose()


def test_identity_migration_keeps_existing_users_and_their_connections(
        database_url: str) -> None:
    """0004 copies tables on SQLite: nothing referencing them may be cascaded away, and
    two people may now share an email address (identity is the provider's id)."""
    from alembic import command

    from addin.store.migrate import alembic_config

    database = Database(database_url)
    command.upgrade(alembic_config(database.engine), "0003")
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organizations (id, salesforce_org_id, name, settings, created_at) "
            "VALUES (101, '00D000000000001EAA', 'Org', '{}', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO users (id, organization_id, email, name, calendar_provider, "
            "is_admin, created_at) VALUES (101, 101, 'a@example.com', 'A', 'graph', false, "
            "CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO connections (user_id, service, access_token_encrypted, updated_at) "
            "VALUES (101, 'graph', 'x', CURRENT_TIMESTAMP)"))
    upgrade_to_head(database.engine)
    with database.session() as session:
        assert session.scalars(select(Connection)).one().user_id == 101
        session.add(User(organization_id=101, email="a@example.com", calendar_provider="graph",
                         microsoft_tenant_id="t2", microsoft_object_id="o2"))
        session.add(Organization(name="Not yet connected to Salesforce",
                                 microsoft_tenant_id="t2", settings={}))
    with database.session() as session:
        assert len(session.scalars(select(User)).all()) == 2
    database.dispose()
