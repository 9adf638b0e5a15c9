"""Fast writes of generated history: a 24-month item is thousands of rows created at once.

The ORM (even a Core ``executemany``) spends more time binding parameters than the
database spends storing them, so rows go in through ``COPY`` on PostgreSQL and one DB-API
``executemany`` on SQLite (a Core insert on anything else), with values already in the
form SQLAlchemy would bind (``json.dumps`` for JSON, ISO strings for SQLite dates). Rows
bring ``details`` already encoded (``json_text``): generated entries keep their text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Date
from sqlalchemy.orm import Session

from .models import Base, Transaction

TABLE = Base.metadata.tables[Transaction.__tablename__]
COLUMNS = tuple(c.name for c in TABLE.columns)
_IN_ORDER = itemgetter(*COLUMNS)
_DATES = tuple(i for i, c in enumerate(TABLE.columns) if isinstance(c.type, Date))


def json_text(value: dict[str, Any]) -> str:
    """A JSON column's value as SQLAlchemy binds it: the text rows bring as ``details``."""
    return json.dumps(value)


def insert_transactions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert transaction rows (dicts keyed by every column, ``details`` as ``json_text``)
    in one round trip."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY transactions ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(_values(row, iso_dates=False))
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            f"INSERT INTO transactions ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})",
            [tuple(_values(row, iso_dates=True)) for row in rows],
        )
    else:
        session.execute(TABLE.insert(), [{**r, "details": json.loads(r["details"])} for r in rows])


def _values(row: dict[str, Any], *, iso_dates: bool) -> list[Any]:
    """The row's values in column order, as SQLAlchemy would bind them."""
    values = list(_IN_ORDER(row))
    if iso_dates:
        for index in _DATES:
            if values[index] is not None:
                values[index] = values[index].isoformat()
    return values
