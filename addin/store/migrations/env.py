"""Alembic environment: the engine comes from ``config.attributes["engine"]``.

SQLite changes some tables by copying them (batch mode); foreign keys are switched off
around the migration (outside its transaction, where SQLite honours the pragma) so that
dropping the old copy of a table cascades nothing."""

from alembic import context

from addin.store.migrate import product_object
from addin.store.models import Base

config = context.config
engine = config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"

with engine.connect() as connection:
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_name=product_object,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
