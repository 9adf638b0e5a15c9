"""accounts: the micro-deposit ``verification_status`` becomes a column

It was a key of ``accounts.details``, so every accounts, balance and sync reply parsed each
account's ``details`` (in Python, or with ``JSON_EXTRACT`` in SQL) to show it. The upgrade
moves each stored status out of ``details`` into the new column; the downgrade moves it back.
Both are single ``UPDATE`` statements per database, so a large store migrates in place.

The column is added and dropped with ``ALTER TABLE`` on both databases, never by copying the
table: on SQLite a copy drops the old ``accounts``, and the drop would cascade to every
transaction, processor token and Signal evaluation of the accounts.

Revision ID: c7e2a4f9d813
Revises: b5d1e8f3a2c7
Create Date: 2026-11-26 12:00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c7e2a4f9d813"
down_revision = "b5d1e8f3a2c7"
branch_labels = None
depends_on = None

# (dialect) -> the statements that move the key out of ``details`` and back in.
UP = {
    "sqlite": (
        "UPDATE accounts SET"
        " verification_status = json_extract(details, '$.verification_status'),"
        " details = json_remove(details, '$.verification_status')"
        " WHERE json_type(details, '$.verification_status') IS NOT NULL"
    ),
    "postgresql": (
        "UPDATE accounts SET"
        " verification_status = details ->> 'verification_status',"
        " details = (details::jsonb - 'verification_status')::json"
        " WHERE jsonb_exists(details::jsonb, 'verification_status')"
    ),
}
DOWN = {
    "sqlite": (
        "UPDATE accounts SET"
        " details = json_set(details, '$.verification_status', verification_status)"
        " WHERE verification_status IS NOT NULL"
    ),
    "postgresql": (
        "UPDATE accounts SET details = (details::jsonb"
        " || jsonb_build_object('verification_status', verification_status))::json"
        " WHERE verification_status IS NOT NULL"
    ),
}


def upgrade() -> None:
    op.add_column("accounts", sa.Column("verification_status", sa.String(40), nullable=True))
    op.execute(UP[op.get_bind().dialect.name])


def downgrade() -> None:
    op.execute(DOWN[op.get_bind().dialect.name])
    op.drop_column("accounts", "verification_status")
