"""Getting a database ready to serve: schema migrations and the default tenant."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, select
from sqlalchemy.engine import Connection

from .config import sqlite_file
from .core import tenants
from .core.models import Tenant
from .extensions import current_session, db

DEFAULT_TENANT = "default"


# Alembic's own bookkeeping table, as ``alembic stamp`` creates it.
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


def upgrade_schema(app: Flask) -> None:
    """Apply every pending migration with Alembic (creates the schema on an empty database)."""
    import flask_migrate  # imports Alembic: only when there is migrating to do

    with app.app_context():
        flask_migrate.upgrade(directory=str(app.extensions["migrate"].directory))


def prepare_schema(app: Flask) -> None:
    """Get the database to the newest schema the quickest way, as ``serve`` and ``init-db`` do.

    A schema at the head revision needs nothing (Alembic is not even imported); an empty
    database gets the models' tables in one go, stamped at the head (``tests/plugin/
    test_schema.py`` keeps the two identical); any other is migrated by Alembic.
    """
    migrations = Path(app.extensions["migrate"].directory)
    head = head_revision(migrations)
    with app.app_context(), db.engine.begin() as connection:
        tables = inspect(connection).get_table_names()
        current = _current_revision(connection, tables)
        if head is not None and current == head:
            return
        if head is not None and not tables:
            db.metadata.create_all(connection)
            VERSION_TABLE.create(connection)
            connection.execute(VERSION_TABLE.insert().values(version_num=head))
            return
    known = _revisions(migrations)
    if current is not None and known is not None and current not in known:
        raise NewerSchemaError(_newer_schema(current))  # Alembic: "Can't locate revision"
    upgrade_schema(app)


class NewerSchemaError(click.ClickException):
    """The database's schema is at a revision this version of the sandbox has no migration
    for: a newer version made it, and no migration of this one can undo that."""


def _newer_schema(current: str) -> str:
    return (
        f"the database's schema is at revision {current}, which this version of the sandbox "
        "does not know (a newer version made it): serve it with that version"
    )


def head_revision(migrations: Path) -> str | None:
    """The newest revision, read from the migration files; None unless there is exactly one
    head (a merge or two heads: Alembic decides)."""
    return _head(_revisions(migrations))


def _head(revisions: dict[str, str | None] | None) -> str | None:
    if revisions is None:
        return None
    heads = set(revisions) - {parent for parent in revisions.values() if parent}
    return heads.pop() if len(heads) == 1 else None


def _revisions(migrations: Path) -> dict[str, str | None] | None:
    """Each migration's revision and its parent, read from the files (None: one unreadable)."""
    revisions: dict[str, str | None] = {}
    for path in (migrations / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text()))
        revision = ast.literal_eval(found.get("revision", "None"))
        parent = ast.literal_eval(found.get("down_revision", "None"))
        if not isinstance(revision, str) or not isinstance(parent, str | None):
            return None
        revisions[revision] = parent
    return revisions


def schema_problem(app: Flask) -> str | None:
    """Why ``app``'s database cannot be served as it stands, or None; read-only.

    For servers that do not migrate (``sandbox.wsgi`` under gunicorn, where several workers
    must not race on migrations): a database ``init-db`` never prepared, or one at another
    revision, would answer every call with a 500. Tables without Alembic's bookkeeping (made
    by ``create_all``) are taken as current.
    """
    migrations = Path(app.extensions["migrate"].directory)
    with app.app_context():
        file = sqlite_file(db.engine.url)
        if file is not None and not Path(file).exists():
            # Connecting would create it: an empty file that every later start would accept.
            return f"no database at {file}: run `bank-sandbox init-db` first"
        with db.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            current = _current_revision(connection, tables)
        # No pooled connection outlives the check: gunicorn's ``--preload`` forks after it,
        # and workers must not share a database socket.
        db.engine.dispose()
    if not tables:
        return "the database has no tables: run `bank-sandbox init-db` first"
    revisions = _revisions(migrations)  # the files, read once
    head = _head(revisions)
    if current is None or head is None or current == head:
        return None
    if current in (revisions or {}):
        return (
            f"the database's schema is at revision {current}, this sandbox needs {head}: "
            "run `bank-sandbox init-db` to upgrade it"
        )
    return _newer_schema(current)


def _current_revision(connection: Connection, tables: list[str]) -> str | None:
    if VERSION_TABLE.name not in tables:
        return None
    rows = connection.execute(select(VERSION_TABLE.c.version_num)).scalars().all()
    return rows[0] if len(rows) == 1 else None


class CredentialsFileError(Exception):
    """``instance/credentials.json`` exists but cannot be read as keys."""


def ensure_default_tenant(app: Flask) -> tenants.Keys:
    """The default tenant's keys: ``SANDBOX_CLIENT_ID``/``SANDBOX_SECRET``, else the saved ones.

    Secrets are stored hashed, so generated keys are written to ``instance/credentials.json``
    (mode 600) to be shown again on later starts. The file wins for as long as it exists,
    even over a fresh database: new keys are made only when it is missing.
    """
    with app.app_context():
        configured = _configured_keys(app)
        saved = None if configured else _saved_keys(app)
        keys = configured or saved or tenants.new_keys()
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == DEFAULT_TENANT))
        seed = int(app.config["SEED"])
        if tenant is None:
            tenants.create(
                current_session(),
                DEFAULT_TENANT,
                seed,
                client_id=keys.client_id,
                secret=keys.secret,
            )
        else:
            tenant.client_id = keys.client_id
            tenant.secret_hash = tenants.hash_secret(current_session(), keys.secret)
            tenant.seed = seed
        db.session.commit()
        if configured is None and saved is None:
            _save_keys(app, keys)
        return keys


def _configured_keys(app: Flask) -> tenants.Keys | None:
    client_id, secret = app.config.get("CLIENT_ID"), app.config.get("SECRET")
    return tenants.Keys(str(client_id), str(secret)) if client_id and secret else None


def _credentials_file(app: Flask) -> Path:
    return Path(app.instance_path) / "credentials.json"


def _saved_keys(app: Flask) -> tenants.Keys | None:
    path = _credentials_file(app)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return tenants.Keys(str(data["client_id"]), str(data["secret"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise CredentialsFileError(
            f"{path} is not a JSON object with client_id and secret ({exc!r}); "
            "fix it, or delete it to make new keys"
        ) from None


def _save_keys(app: Flask, keys: tenants.Keys) -> None:
    path = _credentials_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"client_id": keys.client_id, "secret": keys.secret}) + "\n")
    path.chmod(0o600)
