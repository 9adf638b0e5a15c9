"""Accounts remember what names them at their bank (bc_accounts.bank_key)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The hashed bank identifiers a re-link of the same account is matched on; accounts
    stored before get theirs at their next sync."""
    op.add_column("bc_accounts", sa.Column("bank_key", sa.String(length=64), nullable=True))
    op.create_index("ix_bc_accounts_bank_key", "bc_accounts", ["bank_key"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_bc_accounts_bank_key", table_name="bc_accounts")
    with op.batch_alter_table("bc_accounts") as batch:  # SQLite drops columns by copying
        batch.drop_column("bank_key")
