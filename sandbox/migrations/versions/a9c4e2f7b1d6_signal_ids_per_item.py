"""signal: client_transaction_id unique per item; re-evaluations counted and ordered

``signal_evaluations`` swaps its unique constraint (tenant, id) for (tenant, id, item) and
gains ``recent_evaluations`` (times of the last hour's evaluations: Plaid's limit of 10 per
transaction per hour) and ``evaluation_seq`` (the reports apply to the latest evaluation of
an id). Existing rows start with no counted evaluations and sequence 1.

The downgrade refuses, naming the ids, while an id is used by more than one item of a tenant:
the old constraint could not hold them.

Revision ID: a9c4e2f7b1d6
Revises: f1a5c3e7b920
Create Date: 2026-11-26 06:30:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a9c4e2f7b1d6"
down_revision = "f1a5c3e7b920"
branch_labels = None
depends_on = None

SHARED_IDS = sa.text(
    "SELECT tenant_id, client_transaction_id FROM signal_evaluations "
    "GROUP BY tenant_id, client_transaction_id HAVING COUNT(*) > 1"
)


def upgrade() -> None:
    with op.batch_alter_table("signal_evaluations") as batch:
        batch.add_column(sa.Column("recent_evaluations", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("evaluation_seq", sa.Integer(), nullable=True))
    op.execute("UPDATE signal_evaluations SET recent_evaluations = '[]', evaluation_seq = 1")
    with op.batch_alter_table("signal_evaluations") as batch:
        batch.alter_column("recent_evaluations", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("evaluation_seq", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_signal_tenant_txn", type_="unique")
        batch.create_unique_constraint(
            "uq_signal_item_txn", ["tenant_id", "client_transaction_id", "item_pk"]
        )


def downgrade() -> None:
    shared = op.get_bind().execute(SHARED_IDS).all()
    if shared:
        raise RuntimeError(
            "cannot downgrade: these (tenant_id, client_transaction_id) were evaluated on "
            f"more than one item; delete all but one row of each first: {shared}"
        )
    with op.batch_alter_table("signal_evaluations") as batch:
        batch.drop_constraint("uq_signal_item_txn", type_="unique")
        batch.create_unique_constraint(
            "uq_signal_tenant_txn", ["tenant_id", "client_transaction_id"]
        )
        batch.drop_column("evaluation_seq")
        batch.drop_column("recent_evaluations")
