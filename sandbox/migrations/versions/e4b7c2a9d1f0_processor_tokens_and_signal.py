"""processor tokens and signal evaluations (issue 15)

Two new tables, nothing else changes: ``processor_tokens`` (a partner's keyed-hash
credential for one account) and ``signal_evaluations`` (scored ACH debits with the
decision and return the app reports later).

Revision ID: e4b7c2a9d1f0
Revises: e4f1a9c27b30
Create Date: 2026-11-26 02:30:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "e4b7c2a9d1f0"
down_revision = "e4f1a9c27b30"
branch_labels = None
depends_on = None

UTC = sandbox.core.models.UTCDateTime(timezone=True)


def _account_key() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["item_pk", "account_id"], ["accounts.item_pk", "accounts.id"], ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "processor_tokens",
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=37), nullable=False),
        sa.Column("processor", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _account_key(),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_processor_tokens_item_pk", "processor_tokens", ["item_pk"])
    op.create_table(
        "signal_evaluations",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("client_transaction_id", sa.String(length=36), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=37), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("bank_score", sa.Integer(), nullable=False),
        sa.Column("customer_score", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("initiated", sa.Boolean(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("return_code", sa.String(length=8), nullable=True),
        sa.Column("returned_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        _account_key(),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("tenant_id", "client_transaction_id", name="uq_signal_tenant_txn"),
    )
    op.create_index("ix_signal_evaluations_item_pk", "signal_evaluations", ["item_pk"])


def downgrade() -> None:
    op.drop_index("ix_signal_evaluations_item_pk", table_name="signal_evaluations")
    op.drop_table("signal_evaluations")
    op.drop_index("ix_processor_tokens_item_pk", table_name="processor_tokens")
    op.drop_table("processor_tokens")
