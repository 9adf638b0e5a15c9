"""accounts: ``auth_method`` and ``verification_name`` of accounts typed or verified by hand

Instant micro-deposits and Same Day micro-deposits leave an account in the same status
(``manually_verified``), yet Plaid's ``item.auth_method`` tells them apart, so the method
becomes a column. The upgrade fills it for the micro-deposit accounts already stored, from
the status they carry (the only flows the sandbox ran before): a Same Day status gives
``SAME_DAY_MICRODEPOSITS``, any other ``AUTOMATED_MICRODEPOSITS``. ``verification_name``
(the account holder's name typed into Link) starts empty: no flow asked for it before.

Both columns are added and dropped with ``ALTER TABLE`` on both databases, never by copying
the table (a copy on SQLite would cascade the drop of ``accounts`` to its transactions).

Revision ID: d3f8b6a1c547
Revises: b7e4c1a9d352
Create Date: 2026-11-28 07:00:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d3f8b6a1c547"
down_revision = "b7e4c1a9d352"
branch_labels = None
depends_on = None

# The statuses of Same Day accounts (``core.microdeposits._SAME_DAY``) as of this revision.
SAME_DAY_STATUSES = ("pending_manual_verification", "manually_verified", "verification_failed")
accounts = sa.table(
    "accounts",
    sa.column("verification_status", sa.String),
    sa.column("auth_method", sa.String),
)


def upgrade() -> None:
    op.add_column("accounts", sa.Column("auth_method", sa.String(40), nullable=True))
    op.add_column("accounts", sa.Column("verification_name", sa.String(100), nullable=True))
    status = accounts.c.verification_status
    method = sa.case(
        (status.in_(SAME_DAY_STATUSES), "SAME_DAY_MICRODEPOSITS"),
        else_="AUTOMATED_MICRODEPOSITS",
    )
    op.get_bind().execute(accounts.update().where(status.is_not(None)).values(auth_method=method))


def downgrade() -> None:
    op.drop_column("accounts", "verification_name")
    op.drop_column("accounts", "auth_method")
