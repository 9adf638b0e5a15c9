"""A page's rows written in one batch: one executemany (or, on PostgreSQL, one `COPY`) for
the inserts and one executemany for the updates.

Apart from the page writer because it is about drivers and SQL, not about transactions: the
compiled statement, each column's bind processing and psycopg's `COPY` API.
"""

from __future__ import annotations

import operator
import weakref
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from client.store.models import Transaction

# One batch per page for inserts and one executemany for updates: every row carries the same
# keys, so the driver gets one batch (the ORM's bulk path regroups rows by their NULL columns
# and compiles each group: hundreds of statements for a 500-row page).
_TABLE = cast(Table, Transaction.__table__)
INSERT = insert(_TABLE)
UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .execution_options(synchronize_session=False)
)


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """New rows, as `session.execute(insert(Transaction), rows)` writes them (the same columns
    and each column's own bind processing), with the per-row work in one tight loop. Rows must
    carry every column but the id (`row_values` + `carried` of `client.sync.rows`); otherwise
    the statement's defaults would be missing, so Core writes them.

    On PostgreSQL through psycopg 3 (the driver a `postgresql://` store URL gets) the batch is
    a `COPY`: psycopg's pipelined executemany of a 500-row page stalled for about 200 ms in
    one page of two on loopback (a TCP timer, likely the persist timer of a full receive
    window), so a first sync of 1,924 rows took 430-1,070 ms; `COPY` writes a page in about
    12 ms, with half the CPU. Elsewhere it is the driver's executemany of the compiled INSERT."""
    connection = session.connection()
    writer = _writers.get(connection.dialect)
    keys = tuple(rows[0])
    if writer is None or writer.keys != keys:
        writer = _writers[connection.dialect] = _RowWriter(connection.dialect, keys)
    if writer.sql is None:
        session.execute(INSERT, rows)
    elif writer.copy_sql is not None:
        writer.copy(connection.connection.driver_connection, rows)
    else:
        connection.exec_driver_sql(writer.sql, writer.params(rows))


class _RowWriter:
    """The compiled INSERT (and, on PostgreSQL, the COPY) for one dialect and one set of keys,
    with each column's bind processor (TypeDecorators included), as SQLAlchemy would apply
    them."""

    def __init__(self, dialect: Any, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.dialect = dialect
        compiled = INSERT.compile(dialect=dialect, column_keys=list(keys))
        names = list(compiled.positiontup or ()) if compiled.positional else list(keys)
        complete = set(names) == set(keys) and set(keys) == {
            c.key for c in _TABLE.columns if c.key != "id"
        }
        self.sql: str | None = compiled.string if complete else None
        self.copy_sql: str | None = None
        if complete and dialect.driver == "psycopg":  # psycopg 3's COPY API (not psycopg2's)
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.format_column(_TABLE.c[name]) for name in names)
            self.copy_sql = f"COPY {quote.format_table(_TABLE)} ({columns}) FROM STDIN"
        self.names = names
        self.positional = compiled.positional
        processors = {
            name: _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        }
        self.values = operator.itemgetter(*names)
        self.processed = [(i, p) for i, p in enumerate(processors.values()) if p]

    def tuples(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's processed values, in the statement's column order."""
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(self.values(row))
            for i, process in self.processed:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The driver's executemany parameters: tuples, or dicts by name (named paramstyles)."""
        tuples = self.tuples(rows)
        if self.positional:
            return tuples
        return [dict(zip(self.names, values, strict=True)) for values in tuples]

    def copy(self, driver: Any, rows: list[dict[str, Any]]) -> None:
        """`COPY … FROM STDIN` the rows on psycopg's connection, inside the session's
        transaction; a refusal is raised as SQLAlchemy's (`DBAPIError`), as an INSERT's is."""
        assert self.copy_sql is not None
        try:
            with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                for values in self.tuples(rows):
                    copy.write_row(values)
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                self.copy_sql, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from exc


# Per dialect object, that is per engine: bind processors close over its settings (such as
# the Store's JSON serializer).
_writers: weakref.WeakKeyDictionary[Any, _RowWriter] = weakref.WeakKeyDictionary()
