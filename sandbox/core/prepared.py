"""Hot reads run on the driver's cursor: compiled once per dialect, rows as named tuples.

SQLAlchemy spends about 20 us on every execution of an already-compiled statement (execution
context, result metadata, events, row objects) where the driver's own ``execute`` takes 2-3 us,
and every authenticated call runs the same few reads (its tenant, its access token, its
accounts). A ``Prepared`` read runs its SQL on the driver's cursor and converts each column as
SQLAlchemy would (the column type's result processing: UTC datetimes, dates, JSON), so its rows
equal SQLAlchemy's, field for field.

It reads on the session's connection, inside the session's transaction, once the session has
one; before that, on the session's ``Reader`` if it has one (``session.info[READER]``): a
request's session does (``sandbox.extensions``), so a call that only reads never begins an ORM
transaction, which cost as much as its three reads.

Only plain reads qualify: no ``FOR UPDATE`` (SQLite compiles it away, and the engine's hook
that takes SQLite's write lock for it never sees these statements), no expanding ``IN``
parameters. A driver error is raised as SQLAlchemy's (``DBAPIError`` with ``orig``), so a
request's unit of work retries it as it would any other statement's; a read on the ``Reader``
whose connection the server dropped runs again at once on a new one (a request's reads come
first, often in a ``before_request`` hook that no unit of work covers).

Where the reader has a read cache (``core.read_cache``), a read the session makes before its
own transaction is answered from the rows the same read returned last, while no commit has
landed since; the rows are tuples, shared by every caller.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, literal_column, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from .read_cache import ReadCache
from .snapshots import SNAPSHOT_SQL

Processor = Callable[[Any], Any]

# ``session.info`` key: the session's ``Reader``, if it has one (a request's session does).
READER = "sandbox.reader"


class Reader(Protocol):
    """A pooled connection a session's ``Prepared`` reads use until the session begins its
    own transaction (then they run on the session's connection, and see its writes)."""

    dialect: Dialect
    # The database's version the request's cached reads go by (``core.read_cache``): read
    # at the first, forgotten when the reads' connection goes back. Rows kept under it are
    # what the database held when it was read, so one request's cached reads agree.
    version: Hashable | None

    def connection(self) -> PoolProxiedConnection | None:
        """The pooled connection, checked out (its read transaction begun) at first use; None
        once the session has a transaction of its own, which then serves the reads."""
        ...

    def reconnect(self) -> PoolProxiedConnection:
        """A new connection in place of one the server dropped (its reads so far stand)."""
        ...

    def asked_version(self) -> Hashable | None:
        """The database's version, asked for ahead as the request arrived
        (``core.snapshots``); None if it was not (then the reads ask themselves)."""
        ...

    def cache(self) -> ReadCache | None:
        """Where reads may be answered from rows read before (``core.read_cache``): None once
        the session has a transaction of its own (its reads must see its writes), or where
        the database has no version a cache could trust (``sqlite://`` in memory)."""
        ...


@dataclass
class _Plan:
    """The statement as one dialect runs it."""

    sql: str
    binds: list[tuple[str, Processor | None]]  # in placeholder order (positional drivers)
    defaults: dict[str, Any]  # values the statement itself carries (literals)
    positional: bool
    row_type: Any = None  # a named tuple, built from the first reply's column names
    processors: list[tuple[int, Processor]] = field(default_factory=list)

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for ``params`` (a missing one is a ``KeyError``)."""
        values = {**self.defaults, **params} if self.defaults else params
        converted = [
            (name, values[name] if process is None else process(values[name]))
            for name, process in self.binds
        ]
        return [value for _, value in converted] if self.positional else dict(converted)


class Prepared:
    """A read-only ``SELECT`` run on the driver's cursor of a session's connection."""

    def __init__(self, statement: Select[Any]) -> None:
        if statement._for_update_arg is not None:
            raise ValueError("a FOR UPDATE read must go through SQLAlchemy (SQLite's lock hook)")
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def all(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        """Every row, each with the selected columns as attributes (as SQLAlchemy names them)."""
        return self._read(session, params, named=True)

    def tuples(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row as a plain tuple of the selected columns, in their order: for pages of
        hundreds of rows read by position, where making each a named row cost about 3% of a
        ``/transactions/sync`` call."""
        return self._read(session, params, named=False)

    def _read(self, session: Session, params: Mapping[str, Any], named: bool) -> list[Any]:
        reader: Reader | None = session.info.get(READER)
        cache = None if reader is None else reader.cache()
        if cache is None:
            return self._fresh(session, reader, params, named)
        assert reader is not None
        key = (self, named, frozenset(params.items()))
        version = reader.version
        if version is None:
            version = reader.version = _version(session, reader, cache)
        rows = cache.get(key, version)
        if rows is None:
            rows = self._fresh(session, reader, params, named)
            cache.put(key, version, rows)
        return rows

    def _fresh(
        self, session: Session, reader: Reader | None, params: Mapping[str, Any], named: bool
    ) -> list[Any]:
        """The rows as the database holds them, on the reader's connection or the session's."""
        pooled = None if reader is None else reader.connection()
        if pooled is None:
            connection = session.connection()
            return self._run(
                connection.dialect, connection.connection, connection.invalidate, params, named
            )
        assert reader is not None
        try:
            return self._run(reader.dialect, pooled, pooled.invalidate, params, named)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        pooled = reader.reconnect()  # the server dropped it: a read runs again anywhere
        return self._run(reader.dialect, pooled, pooled.invalidate, params, named)

    def _run(
        self,
        dialect: Dialect,
        pooled: PoolProxiedConnection,
        invalidate: Callable[[BaseException], None],
        params: Mapping[str, Any],
        named: bool,
    ) -> list[Any]:
        plan = self._plans.get(dialect.name) or self._compile(dialect)
        arguments = plan.arguments(params)
        cursor = pooled.cursor()
        try:
            cursor.execute(plan.sql, arguments)
            raw = cursor.fetchall()
            if plan.row_type is None:
                self._shape(plan, dialect, cursor.description)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, pooled.dbapi_connection, cursor)
            if lost:
                invalidate(exc)
            raise DBAPIError.instance(
                plan.sql,
                arguments,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()
        if named:
            return [_row(plan, values) for values in raw]
        if plan.processors:
            return [tuple(_converted(plan, values)) for values in raw]
        return list(raw)  # the DB-API drivers' rows are tuples

    def first(self, session: Session, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        rows = self.all(session, params)
        return rows[0] if rows else None

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        binds = compiled.binds
        if any(bind.expanding or bind.literal_execute for bind in binds.values()):
            raise ValueError("expanding or literal-execute parameters need SQLAlchemy")
        positional = bool(compiled.positional)
        order = (compiled.positiontup or []) if positional else list(binds)
        plan = _Plan(
            sql=compiled.string,
            binds=[
                (name, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in order
            ],
            defaults={name: b.effective_value for name, b in binds.items() if not b.required},
            positional=positional,
        )
        self._plans[dialect.name] = plan
        return plan

    def _shape(self, plan: _Plan, dialect: Dialect, description: Sequence[Any]) -> None:
        """Row type and column conversions, from the statement's columns and the reply's."""
        columns = list(self.statement.selected_columns)
        processors: list[tuple[int, Processor]] = []
        for index, (column, described) in enumerate(zip(columns, description, strict=True)):
            process = column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            if process is not None:
                processors.append((index, process))
        plan.processors = processors
        plan.row_type = namedtuple("Row", [described[0] for described in description])  # type: ignore[misc]


# PostgreSQL's version of the database for the read cache: the snapshot a statement takes now.
_SNAPSHOT = Prepared(select(literal_column(SNAPSHOT_SQL)))


def _version(session: Session, reader: Reader, cache: ReadCache) -> Hashable:
    """The database's version now (``core.read_cache``): a SQLite file's commit count, read
    by the cache's watcher, else PostgreSQL's snapshot: the one the request asked for as it
    arrived (``core.snapshots``), or, if it asked none, read on the reads' own connection."""
    if cache.watcher is not None:
        return cache.watcher.version()
    asked = reader.asked_version()
    if asked is not None:
        return asked
    snapshot: str = _SNAPSHOT._fresh(session, reader, {}, named=False)[0][0]
    return snapshot


def _row(plan: _Plan, values: Sequence[Any]) -> Any:
    assert plan.row_type is not None
    return plan.row_type._make(_converted(plan, values) if plan.processors else values)


def _converted(plan: _Plan, values: Sequence[Any]) -> list[Any]:
    """A reply row with each column's result processing applied."""
    converted = list(values)
    for index, process in plan.processors:
        converted[index] = process(converted[index])
    return converted
