"""Flask extensions, created unbound and attached in ``create_app`` with ``init_app``.

The engine is configured here for concurrency (``docs/concurrency.md``): on SQLite a
request's transaction starts as a reader and takes the database's write lock at its first
write or ``FOR UPDATE`` (other transactions start with ``BEGIN IMMEDIATE``), so writers
queue on the lock instead of failing and reads never wait; on every database a request's
unit of work is retried, whole, a few times when the database reports a transient conflict
(deadlock, serialization failure, lock timeout, a unique key claimed by a concurrent
transaction).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import logging
import random
import time
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app
from flask.typing import RouteCallable
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, ExecutionContext
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import PoolProxiedConnection
from werkzeug.wrappers import Response

from .config import sqlite_file
from .core.bank import Bank
from .core.calls import Called
from .core.faults.ratelimits import Limit, RateLimiter
from .core.models import Base, Tenant
from .core.prepared import READER
from .core.read_cache import ReadCache, Watcher
from .core.snapshots import Asked, Snapshots

log = logging.getLogger(__name__)

# Jitter draws from its own generator: a background thread must never move the global
# `random` state that seeded code (and Hypothesis, in tests) relies on.
_JITTER = random.Random()

# A pooled server connection unused this long is pinged before it is handed out again.
IDLE_PING_SECONDS = 5.0
# How long a SQLite writer waits for the database lock before giving up (then retried).
BUSY_TIMEOUT_MS = 30_000
ATTEMPTS = 4  # one try and three retries of a request's unit of work
# PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock, lock timeout, unique.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "23505"}
RETRYABLE_SQLITE = {
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
    "SQLITE_CONSTRAINT_UNIQUE",
}


class SandboxSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose SQLite engines serialise writers (and nothing else's do), whose
    server engines ping idle connections, and whose sessions read through a
    ``RequestReader`` until they begin a transaction."""

    def _make_engine(self, bind_key: str | None, options: dict[str, Any], app: Flask) -> Engine:
        engine: Engine = super()._make_engine(bind_key, options, app)
        if engine.dialect.name == "sqlite":
            serialise_sqlite(engine)
        else:  # server databases drop idle connections; SQLite files never do
            ping_idle_connections(engine)
        if app.config["READ_CACHE"] == "on":
            cache = cache_reads(engine, options.get("connect_args") or {})
            if bind_key is None and cache is not None and cache.snapshots is not None:
                app.extensions[SNAPSHOTS] = cache.snapshots  # asked at each request's arrival
        return engine


_RETURNED = "sandbox.returned"  # a pooled connection's info: when it last went back
SNAPSHOTS = "sandbox.snapshots"  # app.extensions: the ``Snapshots`` requests ask ahead on


def ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping`` for connections that sat in the pool ``IDLE_PING_SECONDS`` or more.

    Pinging at every checkout cost a round trip per request (a read-only call makes two
    more), for connections a busy server used a moment ago. One that was dropped since it
    went back (a restart, a killed backend) fails the request's first statement instead,
    which runs again on a new connection: a read on the request's reader at once
    (``RequestReader.reconnect``), the request's work as a whole (``unit_of_work``).
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # a new connection, or one in use a moment ago
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            # As pool_pre_ping: the server likely restarted, so every connection as old
            # goes too; the pool hands out a new one.
            raise InvalidatePoolError(str(exc)) from exc


class RequestReader:
    """Where a request's ``Prepared`` reads run until its session begins a transaction
    (``core.prepared.Reader``): a call that only reads never begins an ORM transaction, whose
    begin and commit cost as much as the call's three reads.

    One pooled connection, checked out at the first read of a request (outside requests, the
    session's transaction serves every read, as before); on SQLite its reads share one
    snapshot (a deferred ``BEGIN``, which never waits), on PostgreSQL each read is its own
    statement-long transaction, as in a ``READ COMMITTED`` one. It goes back to the pool (it
    wrote nothing) before its session takes a connection (``_session_begins``) and when the
    session commits, rolls back or closes: a request never holds two connections.
    """

    def __init__(self, session: FlaskSession) -> None:
        self._session = session
        self._engine: Engine | None = None  # found at the first read (a session keeps it)
        self._pooled: PoolProxiedConnection | None = None
        self.version: Hashable | None = None

    def asked_version(self) -> Hashable | None:
        """PostgreSQL's snapshot, asked for as the request arrived (``core.snapshots``), until
        a reads' connection of the request went back; None if not asked or not answered."""
        asked, cache = _ASKED.get(), _READ_CACHES.get(self._bind())
        if asked is None or cache is None or asked.snapshots is not cache.snapshots:
            return None  # not asked, or asked of another engine's database
        return asked.answer()

    def cache(self) -> ReadCache | None:
        """The engine's read cache (``cache_reads``), in a request whose session has no
        transaction yet; else None."""
        if not _READS_FIRST.get() or self._session.in_transaction():
            return None
        return _READ_CACHES.get(self._bind())

    @property
    def dialect(self) -> Dialect:
        """The dialect of the session's engine."""
        return self._bind().dialect

    def connection(self) -> PoolProxiedConnection | None:
        """The pooled connection (begun at first use) in a request whose session has no
        transaction yet; else None (the session's transaction serves the reads)."""
        if self._pooled is None:
            if not _READS_FIRST.get() or self._session.in_transaction():
                return None
            pooled = self._bind().raw_connection()
            if self.dialect.name == "sqlite":
                _driver_of(pooled).execute("BEGIN")
            elif self.dialect.name == "postgresql":
                # READ COMMITTED gives each statement its own snapshot inside a transaction
                # too: without one, the reads save a BEGIN and a ROLLBACK round trip.
                _driver_of(pooled).autocommit = True
            self._pooled = pooled
        return self._pooled

    def _bind(self) -> Engine:
        if self._engine is None:
            bind = self._session.get_bind()
            self._engine = bind if isinstance(bind, Engine) else bind.engine
        return self._engine

    def reconnect(self) -> PoolProxiedConnection:
        """A new connection in place of one the server dropped. A drop usually means a
        restart, so the pool starts afresh. The reads so far stand: on PostgreSQL each was
        its own transaction (SQLite files are never dropped)."""
        self.release()
        self._bind().dispose()
        pooled = self.connection()
        assert pooled is not None, "a reader that had a connection can take another"
        return pooled

    def release(self) -> None:
        """Give the connection back to the pool (which rolls its read transaction back); the
        reads that follow go by a new version of the database: one asked then, not as the
        request arrived (its own writes may have committed since)."""
        self.version = None
        asked = _ASKED.get()
        if asked is not None:
            asked.spend()
        pooled, self._pooled = self._pooled, None
        if pooled is None:
            return
        if self.dialect.name == "postgresql" and pooled.is_valid:
            _driver_of(pooled).autocommit = False  # as the pool hands connections out
        pooled.close()


class RequestSession(FlaskSession):
    """Flask-SQLAlchemy's session with a ``RequestReader`` (``session.info[READER]``)."""

    def __init__(self, db: SQLAlchemy, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self.info[READER] = RequestReader(self)

    def rollback(self) -> None:
        """Roll back, reads included (a retried unit of work reads afresh)."""
        end_reads(self)
        super().rollback()

    def close(self) -> None:
        """Close, giving the reads' connection back too."""
        end_reads(self)
        super().close()


def end_reads(session: Session) -> None:
    """Give back the connection a session's ``RequestReader`` holds, if any."""
    reader = session.info.get(READER)
    if isinstance(reader, RequestReader):
        reader.release()


@event.listens_for(RequestSession, "after_transaction_create")
def _session_begins(session: Session, transaction: SessionTransaction) -> None:
    """The session's own transaction serves its reads from now on: the reader's goes first."""
    if transaction.parent is None:
        end_reads(session)


def commit_work(session: Session) -> None:
    """Commit what a request did. One that began no transaction and holds no pending change
    (a call that only read, on its ``RequestReader``) has nothing to commit: an empty commit
    would begin and end an ORM transaction for nothing. Its reads' connection goes back."""
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        session.commit()
    end_reads(session)


# The models are plain SQLAlchemy (``core`` has no Flask imports); share their metadata.
db = SandboxSQLAlchemy(metadata=Base.metadata, session_options={"class_": RequestSession})


def init_migrations(app: Flask, directory: str) -> None:
    """Flask-Migrate for ``app``, loaded on first use: it imports Alembic, which a start on a
    current schema never needs (``bootstrap.prepare_schema``), yet ``flask db`` still works."""
    app.extensions["migrate"] = _LazyMigrate(app, directory)
    app.cli.add_command(_LazyDbGroup("db", help="Database migrations (Flask-Migrate)."))


class _LazyMigrate:
    """Stands in ``app.extensions["migrate"]`` until something asks it more than the folder."""

    def __init__(self, app: Flask, directory: str) -> None:
        self.app, self.directory = app, directory

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate(self.app, db, directory=self.directory)  # replaces this stand-in
        return getattr(self.app.extensions["migrate"], name)


class _LazyDbGroup(click.Group):
    """Flask-Migrate's ``db`` command group, imported when the command line reaches it."""

    def _real(self) -> click.Group:
        from flask_migrate.cli import db as db_group

        group: click.Group = db_group
        if self.callback is None:  # take on its options (-d, -x) and what they set up
            self.params, self.callback = group.params, group.callback
        return group

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        self._real()
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


def current_session() -> Session:
    """The request's (or app context's) SQLAlchemy session, typed for the core."""
    return db.session()


# Whether transactions begun in this context start as readers (a request) or take the write
# lock at once (everything else: the CLI, the webhook dispatcher, tests' app contexts).
_READS_FIRST: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_first", default=False)
_MODE = "sandbox.sqlite_mode"  # connection.info: "read" until the transaction holds the lock
# The request's question of PostgreSQL's snapshot (``core.snapshots``), if it asked one.
_ASKED: contextvars.ContextVar[Asked | None] = contextvars.ContextVar("asked", default=None)


@contextmanager
def reads_first(asked: Asked | None = None) -> Iterator[None]:
    """SQLite transactions begun inside start as readers (see ``serialise_sqlite``); reads
    go by the version ``asked`` (``RequestReader.asked_version``), answered by the end."""
    token, asked_token = _READS_FIRST.set(True), _ASKED.set(asked)
    try:
        yield
    finally:
        _ASKED.reset(asked_token)
        _READS_FIRST.reset(token)
        if asked is not None:
            asked.settle()  # read it if no read did: its connection can ask again


def serialise_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a long busy timeout, and one writer at a time.

    SQLite has no row locks (``FOR UPDATE`` is ignored) and a deferred transaction that
    reads and then writes fails with ``SQLITE_BUSY`` when another writer got there first.
    So a transaction holds the database's write lock from the moment it may write:

    - outside ``reads_first`` (CLI, dispatcher) it begins with ``BEGIN IMMEDIATE``;
    - inside (every request) it begins as a plain reader of the WAL, which never waits and
      never blocks a writer. Before its first write, or its first ``SELECT … FOR UPDATE``,
      it trades the read snapshot for the write lock: ``ROLLBACK`` (it has written nothing)
      then ``BEGIN IMMEDIATE``, and the statement runs on the newest committed state. That
      is PostgreSQL's ``READ COMMITTED`` plus row locks, which the core is written for
      (rows read before the lock may be stale, so what a write depends on is read under
      ``FOR UPDATE``, as ``items.lock`` does); a read-only request never takes the lock.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN would be DEFERRED
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across process crashes
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()
        # SQLite's own lower() folds only ASCII: a search for "café" missed "CAFÉ", which
        # PostgreSQL finds. Python's folds every letter (a registered function overrides it).
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if _READS_FIRST.get():
            connection.info[_MODE] = "read"
            # Straight to the driver: a deferred BEGIN never waits nor fails, and going
            # through SQLAlchemy's execution cost a tenth of a read-only request.
            _driver(connection).execute("BEGIN")
        else:
            connection.info[_MODE] = "write"
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # a busy database: a DBAPIError

    @event.listens_for(engine, "before_cursor_execute")
    def _lock_before_writing(
        connection: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        if connection.info.get(_MODE) != "read" or not _writes(statement, context):
            return
        connection.info[_MODE] = "write"
        driver = _driver(connection)
        driver.execute("ROLLBACK")  # nothing written yet: only the read snapshot goes
        driver.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(connection: Connection) -> None:
        connection.info.pop(_MODE, None)


# Each engine's read cache; an engine that is gone takes its cache with it.
_READ_CACHES: weakref.WeakKeyDictionary[Engine, ReadCache] = weakref.WeakKeyDictionary()


def cache_reads(engine: Engine, connect_args: Mapping[str, Any]) -> ReadCache | None:
    """Answer requests' repeated hot reads of an unchanged database from memory
    (``core.read_cache``): on a SQLite file its ``Watcher`` gives the version; on PostgreSQL
    (psycopg) its snapshot, asked for as each request arrives (``core.snapshots``) on
    connections opened as the engine's are (its URL and ``connect_args``) but outside its
    pool, so a request never waits for the pool to ask. A database in memory has none: a
    second connection to it (the watcher) would open a database of its own."""
    url, watcher, snapshots = engine.url, None, None
    cargs, cparams = engine.dialect.create_connect_args(url)
    connect = engine.dialect.loaded_dbapi.connect
    if engine.dialect.name == "sqlite":
        if sqlite_file(url) is None:
            return None
        options = {"check_same_thread": False, "isolation_level": None}
        watcher = Watcher(functools.partial(connect, *cargs, **{**cparams, **options}))
    elif engine.dialect.driver == "psycopg":
        options = {**connect_args, "autocommit": True}
        snapshots = Snapshots(functools.partial(connect, *cargs, **{**cparams, **options}))
    cache = _READ_CACHES[engine] = ReadCache(watcher, snapshots)

    @event.listens_for(engine, "engine_disposed")
    def _disposed(_engine: Engine) -> None:
        cache.clear()  # the database may be dropped or replaced next
        if watcher is not None:
            watcher.close()
        if snapshots is not None:
            snapshots.close()

    return cache


def _lower(value: Any) -> Any:
    """SQL ``lower()`` for SQLite: text folded as PostgreSQL folds it; anything else as is."""
    return value.lower() if isinstance(value, str) else value


def _driver(connection: Connection) -> Any:
    """The sqlite3 connection under ``connection``."""
    return _driver_of(connection.connection)


def _driver_of(pooled: PoolProxiedConnection) -> Any:
    driver = pooled.driver_connection
    assert driver is not None
    return driver


# A ``SAVEPOINT`` counts as a write: it opens a block meant to write, and trading the read
# snapshot for the write lock inside it (``ROLLBACK``) would drop the savepoint with it.
_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC", "SAVEPO"})


def _writes(statement: str, context: ExecutionContext | None) -> bool:
    """Whether a statement writes or asks for row locks (which SQLite compiles away)."""
    if statement.lstrip()[:6].upper() in _WRITE_VERBS:
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def retryable(exc: DBAPIError) -> bool:
    """Whether the database refused only because of a concurrent transaction."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRYABLE_SQLSTATES
    name = getattr(exc.orig, "sqlite_errorname", "")
    return name in RETRYABLE_SQLITE


def lost_before_commit(exc: DBAPIError, committing: bool) -> bool:
    """Whether the connection dropped before the work's commit was sent: the server rolled
    the transaction back, so the work can run again (a lost ``COMMIT`` may have committed)."""
    return exc.connection_invalidated and not committing


def unit_of_work(view: RouteCallable) -> Callable[..., Response]:
    """Run ``view`` and commit; on a transient conflict, or a connection the server dropped
    (``ping_idle_connections``), roll back and run it again."""

    @functools.wraps(view)
    def run(**kwargs: Any) -> Response:
        attempt = 1
        while True:
            committing = False
            try:
                response = current_app.make_response(current_app.ensure_sync(view)(**kwargs))
                if response.status_code < 400:
                    committing = True
                    commit_work(db.session())
                return response
            except DBAPIError as exc:
                db.session.rollback()
                lost = lost_before_commit(exc, committing)
                if attempt == ATTEMPTS or not (lost or retryable(exc)):
                    raise
                if lost:  # likely a restart: the pool's other connections are gone too
                    db.engine.dispose()
                current_app.logger.warning("retrying %s after %s", view.__name__, exc.orig)
                time.sleep(_JITTER.uniform(0.01, 0.05) * 2**attempt)  # jitter spreads retries
                attempt += 1

    return run


def reading_requests(app: Flask) -> None:
    """Every request's SQLite transactions start as readers (``serialise_sqlite``); on
    PostgreSQL, each request asks for the database's snapshot as it arrives
    (``cache_reads``)."""
    wsgi_app = app.wsgi_app

    def reads_first_app(environ: Any, start_response: Any) -> Any:
        snapshots: Snapshots | None = app.extensions.get(SNAPSHOTS)
        with reads_first(None if snapshots is None else snapshots.ask()):
            return wsgi_app(environ, start_response)

    app.wsgi_app = reads_first_app  # type: ignore[method-assign]


def install_units_of_work(app: Flask) -> None:
    """Wrap every registered view in ``unit_of_work`` (call after the blueprints)."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = unit_of_work(view)


def tenant_bank(tenant: Tenant, resolved: Mapping[str, Called | None] | None = None) -> Bank:
    """The bank of ``tenant`` on the request's session, with the app's settings applied
    (``resolved``: access tokens the call resolved as it authenticated)."""
    delay = dt.timedelta(seconds=current_app.config["HISTORICAL_DELAY_SECONDS"])
    return Bank(current_session(), tenant, historical_delay=delay, resolved=resolved)


class ForgivingRateLimiter(RateLimiter):
    """A rate limiter whose store going away (Redis restarting) lets calls through, logged,
    instead of failing every rate-limited call with a 500."""

    def hit(self, namespace: str, endpoint: str, item_id: str | None, limit: Limit) -> None:
        """Count the call; when the store does not answer, log one line and let it pass."""
        try:
            super().hit(namespace, endpoint, item_id, limit)
        except self.storage.base_exceptions as exc:
            log.warning("rate limits not counted, the store does not answer: %s", exc)


def rate_limiter(app: Flask) -> RateLimiter:
    """The app's rate limiter (memory, or the store ``RATELIMIT_STORAGE_URL`` names)."""
    found = app.extensions.get("sandbox.ratelimiter")
    if found is None:
        found = ForgivingRateLimiter(app.config.get("RATELIMIT_STORAGE_URL"))
        found = app.extensions.setdefault("sandbox.ratelimiter", found)
    assert isinstance(found, RateLimiter)
    return found
