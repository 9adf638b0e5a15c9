"""public_tokens: an update-mode public token names the link token it came from

Link in update mode repairs an existing item; the public token it hands back must exchange
to that item's access token (the one the update-mode link token was created with), never to
a second live one. ``public_tokens.link_token`` names that link token; tokens from new items
keep NULL.

Revision ID: b8d3f6a1c2e5
Revises: d2f6b8a4c1e9
Create Date: 2026-11-27 01:40:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b8d3f6a1c2e5"
down_revision = "d2f6b8a4c1e9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("public_tokens", sa.Column("link_token", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("public_tokens") as batch:
        batch.drop_column("link_token")
