"""async tasks: data calls answered later, and webhooks signed as a detached JWS

``async_tasks`` keeps the reply of a data call made with ``async=true`` for its results URI.
``webhook_events.signature`` says how a dialect signs a request when not with the default
JWT, and ``webhook_keys.alg`` which kind of key a row holds (existing rows: ES256).

Revision ID: b7e4c1a9d352
Revises: f7d3a9c1e5b2
Create Date: 2026-11-28 03:15:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "b7e4c1a9d352"
down_revision = "f7d3a9c1e5b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "async_tasks",
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("credentials_id", sa.String(37), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_pk"], ["items.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_async_tasks_item_expires", "async_tasks", ["item_pk", "expires_at"])
    op.add_column("webhook_events", sa.Column("signature", sa.JSON(), nullable=True))
    op.add_column(
        "webhook_keys", sa.Column("alg", sa.String(8), nullable=False, server_default="ES256")
    )


def downgrade() -> None:
    op.drop_column("webhook_keys", "alg")
    op.drop_column("webhook_events", "signature")
    op.drop_index("ix_async_tasks_item_expires", table_name="async_tasks")
    op.drop_table("async_tasks")
