"""Keep the data: provider fields, tombstones, categories, payees, rules, manual entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing transactions get the new columns empty and their old app-category names cleared (the
column now holds the provider's category code). Every connection's cursor is reset, so its next
sync reads the history again from the start and fills the new columns in place: rows are upserted
by provider id, so nothing is duplicated, and removals from then on leave tombstones.
"""

import sqlalchemy as sa
from alembic import op

import client.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRANSACTION_COLUMNS = (
    ("iso_currency_code", sa.String(length=10)),
    ("unofficial_currency_code", sa.String(length=20)),
    ("posted_at", client.store.types.UTCDateTime()),
    ("authorized_at", client.store.types.UTCDateTime()),
    ("original_description", sa.Text()),
    ("merchant_name", sa.String(length=200)),
    ("merchant_entity_id", sa.String(length=100)),
    ("logo_url", sa.Text()),
    ("website", sa.String(length=300)),
    ("payment_channel", sa.String(length=20)),
    ("check_number", sa.String(length=50)),
    ("transaction_code", sa.String(length=50)),
    ("account_owner", sa.String(length=200)),
    ("category_primary", sa.String(length=100)),
    ("category_confidence", sa.String(length=20)),
    ("category_icon_url", sa.Text()),
    ("legacy_category_id", sa.String(length=20)),
    ("category_id", sa.Integer()),
    ("removed_at", client.store.types.UTCDateTime()),
    ("user_category_id", sa.Integer()),
    ("payee_id", sa.Integer()),
    ("notes", sa.Text()),
)
JSON_COLUMNS = (
    ("counterparties", "[]"),
    ("location", "{}"),
    ("payment_meta", "{}"),
    ("legacy_category", "[]"),
)
FOREIGN_KEYS = (
    ("fk_bc_transactions_category_id", "bc_categories", "category_id"),
    ("fk_bc_transactions_user_category_id", "bc_categories", "user_category_id"),
    ("fk_bc_transactions_payee_id", "bc_payees", "payee_id"),
)


def upgrade() -> None:
    """Keep the data: provider fields, tombstones, categories, payees, rules, manual entries."""
    _create_books_tables()
    with op.batch_alter_table("bc_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("user_ref", sa.String(length=100), nullable=False, server_default="default")
        )
        batch_op.add_column(
            sa.Column("manual", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_bc_accounts_user_ref"), ["user_ref"], unique=False)
    op.execute(
        "UPDATE bc_accounts SET user_ref = (SELECT c.user_ref FROM bc_connections c "
        "WHERE c.id = bc_accounts.connection_id) WHERE connection_id IS NOT NULL"
    )
    with op.batch_alter_table("bc_transactions", schema=None) as batch_op:
        for name, type_ in TRANSACTION_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        for name, empty in JSON_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default=empty))
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=100), nullable=True)
        for fk, table, column in FOREIGN_KEYS:
            batch_op.create_foreign_key(fk, table, [column], ["id"])
    op.execute("UPDATE bc_transactions SET category = NULL")
    op.execute(
        "UPDATE bc_connections SET cursor = NULL, chain_cursor = NULL, in_chain = "
        + ("false" if op.get_bind().dialect.name == "postgresql" else "0")
    )


def _create_books_tables() -> None:
    """Categories (built in and the user's), payees and rules."""
    op.create_table(
        "bc_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=True),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["bc_categories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_ref", "key", name="uq_bc_categories_user_key"),
    )
    op.create_index("ix_bc_categories_user_ref", "bc_categories", ["user_ref"], unique=False)
    op.create_table(
        "bc_payees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["bc_categories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_ref", "name", name="uq_bc_payees_user_name"),
    )
    op.create_index("ix_bc_payees_user_ref", "bc_payees", ["user_ref"], unique=False)
    op.create_table(
        "bc_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_ref", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("payee", sa.String(length=200), nullable=True),
        sa.Column("ignore", sa.Boolean(), nullable=False),
        sa.Column("created_at", client.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["bc_categories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bc_rules_user_ref", "bc_rules", ["user_ref"], unique=False)


def downgrade() -> None:
    """Undo: drop the new columns and tables (tombstoned rows are deleted, as before)."""
    op.execute("DELETE FROM bc_transactions WHERE removed_at IS NOT NULL OR source = 'manual'")
    op.execute("UPDATE bc_transactions SET category = 'Other'")
    with op.batch_alter_table("bc_transactions", schema=None) as batch_op:
        for fk, _table, _column in FOREIGN_KEYS:
            batch_op.drop_constraint(fk, type_="foreignkey")
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=100), nullable=False)
        for name, _type in (*TRANSACTION_COLUMNS, *JSON_COLUMNS):
            batch_op.drop_column(name)
    op.execute("DELETE FROM bc_accounts WHERE manual")
    with op.batch_alter_table("bc_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bc_accounts_user_ref"))
        batch_op.drop_column("manual")
        batch_op.drop_column("user_ref")
    for table in ("bc_rules", "bc_payees", "bc_categories"):
        op.drop_index(f"ix_{table}_user_ref", table_name=table)
        op.drop_table(table)
