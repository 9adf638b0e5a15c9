"""tl-data: unattended calls, counted per connection for the 4-per-24-hours bank limit

Revision ID: e4b8a2c6d913
Revises: e4a7c2d9b1f3
Create Date: 2026-11-26 02:10:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "e4b8a2c6d913"
down_revision = "e4a7c2d9b1f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unattended_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_pk"], ["items.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_unattended_calls_item_at", "unattended_calls", ["item_pk", "at"])


def downgrade() -> None:
    op.drop_index("ix_unattended_calls_item_at", table_name="unattended_calls")
    op.drop_table("unattended_calls")
