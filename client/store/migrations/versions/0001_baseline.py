"""Baseline: the tables `create_all` made before the client had migrations

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Baseline: the tables create_all made before migrations."""
    op.create_table(
        "bc_audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(length=50), nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bc_audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bc_audit_events_at"), ["at"], unique=False)

    op.create_table(
        "bc_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=True),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.String(length=50), nullable=True),
        sa.Column("institution_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("in_chain", sa.Boolean(), nullable=False),
        sa.Column("chain_cursor", sa.Text(), nullable=True),
        sa.Column("chain_first_pass", sa.Integer(), nullable=False),
        sa.Column("sync_pass", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_error_code", sa.String(length=100), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("consent_expires_at", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("schedule", sa.String(length=10), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    op.create_table(
        "bc_webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("webhook_type", sa.String(length=50), nullable=False),
        sa.Column("webhook_code", sa.String(length=50), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=True),
        sa.Column("received_at", client.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "bc_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("institution_id", sa.String(length=50), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=True),
        sa.Column("mask", sa.String(length=10), nullable=True),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("subtype", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("current", client.store.types.Money(), nullable=True),
        sa.Column("available", client.store.types.Money(), nullable=True),
        sa.Column("credit_limit", client.store.types.Money(), nullable=True),
        sa.Column("balance_at", client.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["bc_connections.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
    )
    op.create_table(
        "bc_sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("modified", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["bc_connections.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bc_sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bc_sync_runs_connection_id"), ["connection_id"], unique=False
        )

    op.create_table(
        "bc_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=True),
        sa.Column("amount", client.store.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("authorized_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("payee", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("pending_provider_id", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("ignored", sa.Boolean(), nullable=False),
        sa.Column("sync_pass", sa.Integer(), nullable=False),
        sa.Column("updated_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["bc_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
    )
    with op.batch_alter_table("bc_transactions", schema=None) as batch_op:
        batch_op.create_index("ix_bc_tx_account_date", ["account_id", "date"], unique=False)


def downgrade() -> None:
    """Undo Baseline: the tables create_all made before migrations."""
    with op.batch_alter_table("bc_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_bc_tx_account_date")

    op.drop_table("bc_transactions")
    with op.batch_alter_table("bc_sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_sync_runs_connection_id"))

    op.drop_table("bc_sync_runs")
    op.drop_table("bc_accounts")
    op.drop_table("bc_webhook_receipts")
    op.drop_table("bc_connections")
    with op.batch_alter_table("bc_audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_audit_events_at"))

    op.drop_table("bc_audit_events")
