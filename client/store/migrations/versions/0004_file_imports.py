"""File imports: saved CSV column mappings and the import history (client.imports)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Saved mappings and import batches."""
    op.create_table(
        "bc_import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.String(length=500), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_ref", "signature", name="uq_bc_import_mappings_user_signature"),
    )
    op.create_index("ix_bc_import_mappings_user_ref", "bc_import_mappings", ["user_ref"])
    op.create_table(
        "bc_import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("imported_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["bc_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bc_import_batches_user_ref", "bc_import_batches", ["user_ref"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("bc_import_batches")
    op.drop_table("bc_import_mappings")
