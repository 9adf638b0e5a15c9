"""grant_token_chains: each token knows its refresh chain, each consent its live one

``grant_tokens.chain`` is the keyed hash of the code whose exchange began the token's chain;
``consents.chain`` the chain whose tokens still work. Exchanging a renewal's code moves it (the
tokens from before the renewal stop working); presenting a used code again ends it (RFC 6749
§4.1.2). Rows from before stay NULL: their tokens work until the consent's next exchange.
Plain column additions, in place on SQLite.

Revision ID: 4797b99cb507
Revises: 12ecc4c6ef81
Create Date: 2026-11-27 12:00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4797b99cb507"
down_revision = "12ecc4c6ef81"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consents", sa.Column("chain", sa.String(80), nullable=True))
    op.add_column("grant_tokens", sa.Column("chain", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("grant_tokens", "chain")
    op.drop_column("consents", "chain")
