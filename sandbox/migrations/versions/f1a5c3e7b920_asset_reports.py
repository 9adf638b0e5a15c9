"""invest-assets: Asset Reports and their audit copies

Revision ID: f1a5c3e7b920
Revises: e4b7c2a9d1f0
Create Date: 2026-11-26 03:00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "f1a5c3e7b920"
down_revision = "e4b7c2a9d1f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_reports",
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("item_pks", sa.JSON(), nullable=False),
        sa.Column("days_requested", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("excluded_account_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_asset_reports_tenant_id", "asset_reports", ["tenant_id"])
    op.create_table(
        "asset_report_audit_copies",
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("report_token", sa.String(length=80), nullable=False),
        sa.Column("auditor_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_token"], ["asset_reports.token"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index(
        "ix_asset_report_audit_copies_report_token", "asset_report_audit_copies", ["report_token"]
    )


def downgrade() -> None:
    op.drop_index(
        "ix_asset_report_audit_copies_report_token", table_name="asset_report_audit_copies"
    )
    op.drop_table("asset_report_audit_copies")
    op.drop_index("ix_asset_reports_tenant_id", table_name="asset_reports")
    op.drop_table("asset_reports")
