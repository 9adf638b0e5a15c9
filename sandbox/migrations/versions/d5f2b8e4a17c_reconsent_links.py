"""reconsent_links: single-use dialog links that renew a TrueLayer connection

Extension's (and ``/v1/reauthuri``'s) ``user_input_link`` carries a random token, stored
here as a keyed hash with the consent it renews and whether the user signs in again.
TrueLayer's auth links are single-use: ``opened_at`` is set when the link opens a dialog
(a second opening is refused) and ``used_at`` when that dialog's Allow issues the code.

Revision ID: d5f2b8e4a17c
Revises: c4e9a7d2f861
Create Date: 2026-11-27 09:10:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "d5f2b8e4a17c"
down_revision = "c4e9a7d2f861"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconsent_links",
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("consent_pk", sa.Integer(), nullable=False),
        sa.Column("reauthenticate", sa.Boolean(), nullable=False),
        sa.Column("created_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", sandbox.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["consent_pk"], ["consents.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_reconsent_links_consent_pk", "reconsent_links", ["consent_pk"])


def downgrade() -> None:
    op.drop_index("ix_reconsent_links_consent_pk", table_name="reconsent_links")
    op.drop_table("reconsent_links")
