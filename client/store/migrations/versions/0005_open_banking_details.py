"""Open-banking details (client.store.details: cards, standing orders, direct debits, OAuth flows)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Cards, standing orders, direct debits and pending OAuth flows."""
    op.create_table(
        "bc_oauth_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("verifier_enc", sa.Text(), nullable=False),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", client.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["bc_connections.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state"),
    )
    op.create_table(
        "bc_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=30), nullable=True),
        sa.Column("card_type", sa.String(length=30), nullable=True),
        sa.Column("partial_number", sa.String(length=10), nullable=True),
        sa.Column("name_on_card", sa.String(length=200), nullable=True),
        sa.Column("valid_from", sa.String(length=7), nullable=True),
        sa.Column("valid_to", sa.String(length=7), nullable=True),
        sa.Column("updated_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bc_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
    )
    op.create_table(
        "bc_direct_debits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=True),
        sa.Column("mandate_id", sa.String(length=100), nullable=True),
        sa.Column("previous_at", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("previous_amount", client.store.types.Money(), nullable=True),
        sa.Column("updated_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bc_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bc_direct_debits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bc_direct_debits_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "bc_standing_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("payee", sa.String(length=200), nullable=True),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("next_amount", client.store.types.Money(), nullable=True),
        sa.Column("first_date", sa.Date(), nullable=True),
        sa.Column("first_amount", client.store.types.Money(), nullable=True),
        sa.Column("final_date", sa.Date(), nullable=True),
        sa.Column("final_amount", client.store.types.Money(), nullable=True),
        sa.Column("updated_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bc_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bc_standing_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bc_standing_orders_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("bc_standing_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_standing_orders_account_id"))

    op.drop_table("bc_standing_orders")
    with op.batch_alter_table("bc_direct_debits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_direct_debits_account_id"))

    op.drop_table("bc_direct_debits")
    op.drop_table("bc_cards")
    op.drop_table("bc_oauth_flows")
