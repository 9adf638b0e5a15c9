"""accounts: the micro-deposit ``verification_status`` becomes a column

It was a key of ``accounts.details``, so every accounts, balance and sync reply parsed each
account's ``details`` (in Python, or with ``JSON_EXTRACT`` in SQL) to show it. The upgrade
moves each stored status out of ``details`` into the new column; the downgrade moves it back.

Only the rows whose stored text names the key are read and rewritten (micro-deposit accounts:
a handful per item that has one), and they are parsed in Python, not by the database: a
``user_custom`` account may keep text that SQLite's or PostgreSQL's JSON functions refuse
(``NaN``, ``\\u0000``), and one such row must not stop the migration. The other keys keep
their order.

The column is added and dropped with ``ALTER TABLE`` on both databases, never by copying the
table: on SQLite a copy drops the old ``accounts``, and the drop would cascade to every
transaction, processor token and Signal evaluation of the accounts.

Revision ID: c7e2a4f9d813
Revises: b5d1e8f3a2c7
Create Date: 2026-11-26 12:00:00

"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "c7e2a4f9d813"
down_revision = "b5d1e8f3a2c7"
branch_labels = None
depends_on = None

KEY = "verification_status"
accounts = sa.table(
    "accounts",
    sa.column("item_pk", sa.Integer),
    sa.column("id", sa.String),
    sa.column("details", sa.JSON),
    sa.column(KEY, sa.String),
)


def upgrade() -> None:
    op.add_column("accounts", sa.Column(KEY, sa.String(40), nullable=True))
    connection = op.get_bind()
    named = sa.cast(accounts.c.details, sa.Text).like(f'%"{KEY}"%')
    for item_pk, account_id, text in _rows(connection, named):
        details = json.loads(text)
        if KEY in details:
            status = details.pop(KEY)
            _write(connection, item_pk, account_id, details=details, **{KEY: status})


def downgrade() -> None:
    connection = op.get_bind()
    for item_pk, account_id, text, status in _rows(
        connection, accounts.c[KEY].is_not(None), accounts.c[KEY]
    ):
        _write(connection, item_pk, account_id, details={**json.loads(text), KEY: status})
    op.drop_column("accounts", KEY)


def _rows(connection: sa.Connection, where: Any, *extra: Any) -> list[Any]:
    """Key, ``details`` as its stored text, and ``extra`` of the accounts ``where`` holds."""
    text = sa.cast(accounts.c.details, sa.Text)
    query = sa.select(accounts.c.item_pk, accounts.c.id, text, *extra).where(where)
    return list(connection.execute(query))


def _write(connection: sa.Connection, item_pk: int, account_id: str, **values: Any) -> None:
    key = sa.and_(accounts.c.item_pk == item_pk, accounts.c.id == account_id)
    connection.execute(accounts.update().where(key).values(**values))
