"""`Store`: one engine and session factory per database URL, with a transaction helper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from client.store import (
    details,  # noqa: F401  (registers the cards, standing-order and OAuth-flow tables on Base)
    jobs,  # noqa: F401  (registers the work-queue tables on Base)
    schema,
    sessions,  # noqa: F401  (registers the demo app's session and Link-flow tables on Base)
)
from client.store.models import Base


def _normalise_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver this project installs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _engine(url: str) -> Engine:
    """The engine for ``url``; a database whose driver is not installed (``mysql://`` needs
    MySQLdb) is a ValueError naming it, like any other bad URL, not an ImportError."""
    try:
        return create_engine(url, json_serializer=_json_text)
    except ImportError as exc:
        scheme = url.split(":", 1)[0]
        raise ValueError(
            f"database {scheme}: its driver is not installed ({exc}); "
            "use sqlite:///path or postgresql://"
        ) from None


def _json_text(value: Any) -> str:
    """JSON columns written by orjson (a first sync writes four per transaction: several
    times faster than the standard library; compact, and read back alike). What orjson
    refuses (keys that are not strings, integers beyond 64 bits, other types) goes through
    `json.dumps` as before; a non-finite float, which no provider's JSON can carry, is null."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL + busy timeout let a scheduler and a CLI share one SQLite file safely.

    ``synchronous=NORMAL``: in WAL mode a commit survives the process being killed, and the
    file stays consistent on power loss, which may undo the last commits; a sync stores each
    page with its cursor in one transaction, so the next sync fetches those pages again.
    A no-change sync commits two small transactions: FULL would wait for the disk twice.
    """
    cur = dbapi_conn.cursor()
    # First: switching a new file to WAL waits for the write lock, which another process
    # migrating it holds for seconds (more on a loaded machine); the driver's 5 s default
    # was too short for that wait.
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class Store:
    """The client's database; SQLite by default (`sqlite:///bank-client.db`), PostgreSQL too."""

    def __init__(self, url: str = "sqlite:///bank-client.db", *, create: bool = True) -> None:
        """Open the database; `create` migrates it to the newest schema first (see
        `client.store.schema`); pass False when the app runs migrations itself."""
        self.url = _normalise_url(url)
        self.engine: Engine = _engine(self.url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.create_all()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create_all(self) -> None:
        """Migrate to the newest schema and add missing built-in categories (idempotent)."""
        schema.upgrade(self.engine)

    def drop_all(self) -> None:
        """Drop the client's tables and migration history (tests and `reset` only)."""
        Base.metadata.drop_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {schema.VERSION_TABLE}"))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on error, atomically."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Dispose of pooled connections."""
        self.engine.dispose()
