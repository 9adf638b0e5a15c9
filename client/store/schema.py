"""Schema migrations of the client's store: Alembic revisions shipped as package data.

`Store` upgrades to the newest revision when it opens. A database made by `create_all` before
migrations existed has no version row; it is stamped with the newest revision whose marker (a
table, or ``table.column``) it has, then upgraded from there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.orm import Session

from client.store.taxonomy import builtin_ids, entries, seed_categories

VERSION_TABLE = "bc_alembic_version"  # not Alembic's default: the app may share the database
_LOCATION = str(resources.files("client.store") / "migrations")
MARKERS = (
    ("0001", "bc_connections"),
    ("0002", "bc_transactions.removed_at"),
    ("0003", "bc_jobs"),
    ("0004", "bc_import_batches"),
    ("0005", "bc_oauth_flows"),
    ("0006", "bc_app_sessions"),
)


def alembic_config(connection: Connection) -> Config:
    """A config whose env.py migrates on this connection."""
    config = Config()
    config.set_main_option("script_location", _LOCATION)
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration run, serialised between processes.

    SQLite rebuilds a table to alter it, which foreign keys would refuse: they are off for
    the run (the pragma only works outside a transaction) and on again afterwards."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                # Two processes opening one new database must not both create the tables:
                # the first takes the write lock (SQLite) or an advisory lock (PostgreSQL).
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('bc_alembic'))"))
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision, adopting an unversioned database first, and
    add missing built-in categories, all under the migration lock (taken only when needed)."""
    with engine.connect() as connection:
        if up_to_date(connection):
            return
    with migrating(engine) as connection:
        config = alembic_config(connection)
        if current_revision(connection) is None:
            found = created_by_create_all(connection)
            if found is not None:
                command.stamp(config, found)
        command.upgrade(config, "head")
        with Session(bind=connection) as session:
            seed_categories(session)
            session.flush()


def up_to_date(connection: Connection) -> bool:
    """At the newest revision with every built-in category: nothing to do, no lock to take."""
    if current_revision(connection) != head():
        return False
    with Session(bind=connection) as session:
        return len(builtin_ids(session)) == len(entries())


@cache
def head() -> str | None:
    """The newest revision shipped with this version of the client."""
    config = Config()
    config.set_main_option("script_location", _LOCATION)
    return ScriptDirectory.from_config(config).get_current_head()


def created_by_create_all(connection: Connection) -> str | None:
    """The newest revision whose marker exists in an unversioned database (None: empty)."""
    found = None
    inspector = inspect(connection)
    for revision, marker in MARKERS:
        table, _, column = marker.partition(".")
        if not inspector.has_table(table):
            break
        if column and column not in {c["name"] for c in inspector.get_columns(table)}:
            break
        found = revision
    return found
