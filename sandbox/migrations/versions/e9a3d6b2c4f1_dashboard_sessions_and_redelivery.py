"""dashboard_sessions_and_redelivery: signing out ends sessions; redeliveries count attempts

``tenants.dashboard_generation`` is the dashboard sign-in generation a session must carry
(signing out bumps it). ``webhook_events.schedule_start`` is how many attempts came before
the current retry schedule, so ``attempts`` keeps counting every attempt across redeliveries.
Plain column changes: SQLite adds and drops them in place, where a batch rebuild of
``tenants`` would cascade-delete every row referring to it.

Revision ID: e9a3d6b2c4f1
Revises: d5f2b8e4a17c
Create Date: 2026-11-27 10:30:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e9a3d6b2c4f1"
down_revision = "d5f2b8e4a17c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("dashboard_generation", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "webhook_events",
        sa.Column("schedule_start", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("webhook_events", "schedule_start")
    op.drop_column("tenants", "dashboard_generation")
