"""The demo app's sessions and Link flows (client.store.sessions)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Sign-in sessions (signing out deletes one) and Link flows (bound to a session)."""
    op.create_table(
        "bc_app_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bc_app_sessions_user_ref", "bc_app_sessions", ["user_ref"])
    op.create_table(
        "bc_link_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", client.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["bc_connections.id"]),
        sa.ForeignKeyConstraint(["result_id"], ["bc_connections.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state"),
    )
    op.create_index("ix_bc_link_flows_session_id", "bc_link_flows", ["session_id"])


def downgrade() -> None:
    """Drop both."""
    op.drop_index("ix_bc_link_flows_session_id", table_name="bc_link_flows")
    op.drop_table("bc_link_flows")
    op.drop_index("ix_bc_app_sessions_user_ref", table_name="bc_app_sessions")
    op.drop_table("bc_app_sessions")
