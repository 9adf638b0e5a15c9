"""Alembic environment of the client's store: the connection `Store.upgrade` hands over.

SQLite cannot ALTER most things, so operations run in batch mode (copy and move the table)."""

from __future__ import annotations

from alembic import context

from client.store.models import Base
from client.store.schema import VERSION_TABLE

config = context.config


def run_migrations_online() -> None:
    """Migrate on the connection the store opened (its transaction is the caller's)."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
