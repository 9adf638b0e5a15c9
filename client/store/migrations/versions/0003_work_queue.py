"""Work queue and reminders (client.store.jobs: webhook and sync jobs, re-auth reminders)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Work queue and reminders."""
    op.create_table(
        "bc_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("lease_until", client.store.types.UTCDateTime(), nullable=True),
        sa.Column("coalesce_key", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", client.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("coalesce_key"),
    )
    with op.batch_alter_table("bc_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bc_jobs_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index("ix_bc_jobs_ready", ["status", "run_after"], unique=False)

    op.create_table(
        "bc_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("sent_at", client.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("bc_reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bc_reminders_connection_id"), ["connection_id"], unique=False
        )


def downgrade() -> None:
    """Undo Work queue and reminders."""
    with op.batch_alter_table("bc_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_reminders_connection_id"))

    op.drop_table("bc_reminders")
    with op.batch_alter_table("bc_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_bc_jobs_ready")
        batch_op.drop_index(batch_op.f("ix_bc_jobs_connection_id"))

    op.drop_table("bc_jobs")
