"""items: ``investments_extracting_since``, the start of an ``async_update`` extraction

``/investments/transactions/get`` with ``options.async_update`` on an item not initialised
with Investments starts the initial extraction in the background: the item answers
``PRODUCT_NOT_READY`` until the tenant clock passes its start plus the build delay, then
gains the product and queues ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE``. Indexed:
the webhook dispatcher looks for running extractions every poll.

Revision ID: c4e9a7d2f861
Revises: b8d3f6a1c2e5
Create Date: 2026-11-27 04:50:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "c4e9a7d2f861"
down_revision = "b8d3f6a1c2e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column = sa.Column(
        "investments_extracting_since",
        sandbox.core.models.UTCDateTime(timezone=True),
        nullable=True,
    )
    op.add_column("items", column)
    op.create_index(
        "ix_items_investments_extracting_since", "items", ["investments_extracting_since"]
    )


def downgrade() -> None:
    op.drop_index("ix_items_investments_extracting_since", table_name="items")
    # not batch mode: on SQLite it would rebuild ``items`` and cascade-delete its rows' children
    op.drop_column("items", "investments_extracting_since")
