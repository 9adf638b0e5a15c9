"""items: ``investments_extraction_by``, the processor token that started an extraction

``/processor/investments/transactions/get`` with ``options.async_update`` starts the item's
initial Investments extraction as the access-token call does; its ``HISTORICAL_UPDATE`` then
goes to that token's webhook (Plaid: a processor token's Investments Transactions webhooks go
to the URL set by ``/processor/token/webhook/update``). The column keeps the token's stored
key while the extraction runs (None: the app started it). No foreign key, as
``webhook_events.processor_token``: the item's cascade already removes its tokens. A plain
column add: SQLite adds it in place, where a batch rebuild of ``items`` would cascade-delete
every row referring to it.

Revision ID: 12ecc4c6ef81
Revises: e9a3d6b2c4f1
Create Date: 2026-11-27 08:40:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "12ecc4c6ef81"
down_revision = "e9a3d6b2c4f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("investments_extraction_by", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("items", "investments_extraction_by")
