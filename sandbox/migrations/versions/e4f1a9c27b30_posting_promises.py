"""posting promises: a pending row's posting day, amount and name as indexed columns

A pending transaction promises to post on a day, with an amount and a name; these lived
in the row's ``details`` JSON, so catching an item up read and parsed every live pending
row. ``transactions.post_on``, ``posted_amount_minor`` and ``posted_name`` hold them now,
with a partial index on ``(item_pk, post_on)`` over the rows that still promise a posting,
and the catch-up is one indexed query. Live pending rows get their promise copied out of
``details``; posted rows keep NULLs.

Downgrade writes the promises of live pending rows back into ``details``.

Revision ID: e4f1a9c27b30
Revises: e4b8a2c6d913
Create Date: 2026-11-26 02:10:00

"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "e4f1a9c27b30"
down_revision = "e4b8a2c6d913"
branch_labels = None
depends_on = None

PROMISED = sa.text("post_on IS NOT NULL")
LIVE_PENDING = sa.text(
    "SELECT item_pk, id, details FROM transactions WHERE pending = :yes AND removed = :no"
)


def upgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("post_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("posted_amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("posted_name", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    for item_pk, row_id, details in conn.execute(LIVE_PENDING, {"yes": True, "no": False}):
        data = _json(details)
        conn.execute(
            sa.text(
                "UPDATE transactions SET post_on = :on, posted_amount_minor = :amount, "
                "posted_name = :name WHERE item_pk = :item_pk AND id = :id"
            ),
            {
                "on": dt.date.fromisoformat(data["post_date"]),
                "amount": data["posted_amount_minor"],
                "name": data.get("posted_name"),
                "item_pk": item_pk,
                "id": row_id,
            },
        )
    op.create_index(
        "ix_transactions_item_post_on",
        "transactions",
        ["item_pk", "post_on"],
        postgresql_where=PROMISED,
        sqlite_where=PROMISED,
    )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT item_pk, id, details, post_on, posted_amount_minor, posted_name "
            "FROM transactions WHERE post_on IS NOT NULL"
        )
    ).fetchall()
    for item_pk, row_id, details, post_on, amount, name in rows:
        on = post_on if isinstance(post_on, dt.date) else dt.date.fromisoformat(post_on)
        data = {
            **_json(details),
            "post_date": on.isoformat(),
            "posted_amount_minor": amount,
            "posted_name": name,
        }
        conn.execute(
            sa.text("UPDATE transactions SET details = :details WHERE item_pk = :pk AND id = :id"),
            {"details": json.dumps(data), "pk": item_pk, "id": row_id},
        )
    op.drop_index("ix_transactions_item_post_on", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("posted_name")
        batch.drop_column("posted_amount_minor")
        batch.drop_column("post_on")


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as read through a plain text query (a string on SQLite)."""
    data: dict[str, Any] = json.loads(value) if isinstance(value, str) else dict(value)
    return data
