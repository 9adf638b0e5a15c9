"""fault_rules: ids are never reused on SQLite (``AUTOINCREMENT``)

SQLite gave a new row the largest id plus one, so after ``DELETE /control/faults`` the next
rule was 1 again and the request log's ``rule_id`` named two rules. PostgreSQL's sequence
never goes back: nothing to do there. On SQLite the table is copied into one declared
``AUTOINCREMENT``; no table refers to ``fault_rules``, so dropping the old one cascades
nowhere.

Revision ID: d2f6b8a4c1e9
Revises: a3f8d2c6e915
Create Date: 2026-11-27 01:30:00

"""

from __future__ import annotations

from alembic import op

revision = "d2f6b8a4c1e9"
down_revision = "a3f8d2c6e915"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _copy_table(autoincrement=True)


def downgrade() -> None:
    _copy_table(autoincrement=False)


def _copy_table(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "fault_rules", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
