"""processor tokens: product permissions and a webhook; partner copies of item webhooks

``processor_tokens`` gains ``products`` (``/processor/token/permissions/set``; existing tokens
start with ``[]``, every product, as Plaid's tokens do) and ``webhook``
(``/processor/token/webhook/update``; none yet). ``webhook_events`` gains ``processor_token``:
the token a partner's copy of an item webhook goes to (None for the app's own webhooks).

``webhook_events`` is altered in place, never copied: on SQLite a copy drops the old table,
and the drop would cascade to every delivery attempt (``webhook_attempts``). The downgrade
drops the partner copies (the old dispatcher would deliver them as the app's, out of the
partner's order) with their attempts, then the columns.

Revision ID: b5d1e8f3a2c7
Revises: a9c4e2f7b1d6
Create Date: 2026-11-26 08:40:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b5d1e8f3a2c7"
down_revision = "a9c4e2f7b1d6"
branch_labels = None
depends_on = None

COPIES = "SELECT id FROM webhook_events WHERE processor_token IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("processor_tokens") as batch:
        batch.add_column(sa.Column("products", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("webhook", sa.Text(), nullable=True))
    op.execute("UPDATE processor_tokens SET products = '[]'")
    with op.batch_alter_table("processor_tokens") as batch:
        batch.alter_column("products", existing_type=sa.JSON(), nullable=False)
    op.add_column("webhook_events", sa.Column("processor_token", sa.String(80), nullable=True))


def downgrade() -> None:
    op.execute(f"DELETE FROM webhook_attempts WHERE event_id IN ({COPIES})")
    op.execute(f"DELETE FROM webhook_events WHERE id IN ({COPIES})")
    op.drop_column("webhook_events", "processor_token")
    with op.batch_alter_table("processor_tokens") as batch:
        batch.drop_column("webhook")
        batch.drop_column("products")
