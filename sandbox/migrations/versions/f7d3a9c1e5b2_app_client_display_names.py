"""app_clients: ``display_name``, what the auth dialog calls an app

The dialog's heading ("Share your data with …") showed the app's client id: app clients had
no name for people. A nullable column: clients registered before keep showing their id
until one is set. A plain column addition and removal, in place on SQLite.

Revision ID: f7d3a9c1e5b2
Revises: a6c2e9f4b178
Create Date: 2026-11-27 21:30:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f7d3a9c1e5b2"
down_revision = "a6c2e9f4b178"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_clients", sa.Column("display_name", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("app_clients", "display_name")
