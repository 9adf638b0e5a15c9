"""tenant-scoped ids: items keyed by a surrogate ``pk``, public ids unique per tenant

Item, account and transaction ids derive from the tenant's seed alone, so two tenants with
the same seed hold the same public ids. ``items`` gets an integer ``pk`` and
UNIQUE(tenant_id, id); ``accounts`` and ``transactions`` are keyed by (item_pk, id); the
tables that pointed at ``items.id`` point at ``items.pk``.

Each table is rebuilt (create ``<name>_v2``, copy, drop the old one, rename), children
dropped before parents, because SQLite cannot change a primary key or a foreign key in
place. Rows keep their ids, which were already unique across the database (they included
the tenant's row number), so no data is lost.

Revision ID: 5b2e9c41f7a3
Revises: d7d65da5ada2
Create Date: 2026-11-25 23:40:00

"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import sandbox.core.models

revision = "5b2e9c41f7a3"
down_revision = "d7d65da5ada2"
branch_labels = None
depends_on = None

UTC = sandbox.core.models.UTCDateTime(timezone=True)
# Parents before children: created and copied in this order, dropped in the reverse one.
ORDER = (
    "items",
    "accounts",
    "transactions",
    "access_tokens",
    "public_tokens",
    "webhook_events",
    "webhook_attempts",
)
ITEM_COLUMNS = (
    "tenant_id, institution_id, username, persona, custom_config, products, webhook, "
    "error_code, consent_expires_at, created_at, removed_at, history_start, generated_through, "
    "history_pending_through, next_post_on, change_seq, sync_called, last_successful_update, "
    "last_failed_update, last_webhook_at, last_webhook_code"
)
ACCOUNT_COLUMNS = (
    "ordinal, type, subtype, name, official_name, mask, currency, current_minor, "
    "available_minor, limit_minor, numbers, details"
)
TRANSACTION_COLUMNS = (
    "account_id, amount_minor, currency, date, authorized_date, name, merchant_name, category, "
    "payment_channel, pending, pending_transaction_id, removed, created_seq, updated_seq, details"
)
EVENT_COLUMNS = (
    "tenant_id, url, webhook_type, webhook_code, body, status, attempts, next_attempt_at, "
    "created_at, delivered_at"
)
EVENT_SERIALS = (("webhook_events", "id"), ("webhook_attempts", "id"))
ATTEMPT_COLUMNS = "id, event_id, started_at, status_code, latency_ms, response_excerpt, error"


def _item_columns() -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("persona", sa.String(length=64), nullable=False),
        sa.Column("custom_config", sa.JSON(), nullable=True),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("webhook", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("consent_expires_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("removed_at", UTC, nullable=True),
        sa.Column("history_start", sa.Date(), nullable=False),
        sa.Column("generated_through", sa.Date(), nullable=False),
        sa.Column("history_pending_through", sa.Date(), nullable=True),
        sa.Column("next_post_on", sa.Date(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("sync_called", sa.Boolean(), nullable=False),
        sa.Column("last_successful_update", UTC, nullable=True),
        sa.Column("last_failed_update", UTC, nullable=True),
        sa.Column("last_webhook_at", UTC, nullable=True),
        sa.Column("last_webhook_code", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    ]


def _account_columns() -> list[sa.Column]:
    return [
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("official_name", sa.String(length=160), nullable=True),
        sa.Column("mask", sa.String(length=8), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("current_minor", sa.BigInteger(), nullable=False),
        sa.Column("available_minor", sa.BigInteger(), nullable=True),
        sa.Column("limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    ]


def _transaction_columns() -> list[sa.Column]:
    return [
        sa.Column("account_id", sa.String(length=37), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("authorized_date", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("merchant_name", sa.String(length=120), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("payment_channel", sa.String(length=16), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("pending_transaction_id", sa.String(length=37), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    ]


def _token_columns(expiry: str, used: str) -> list[sa.Column]:
    return [
        sa.Column("token", sa.String(length=80), primary_key=True),
        sa.Column(expiry, UTC, nullable=False),
        sa.Column(used, UTC, nullable=True),
    ]


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("webhook_type", sa.String(length=64), nullable=False),
        sa.Column("webhook_code", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("delivered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    ]


def _attempts_table(events: str) -> None:
    op.create_table(
        "webhook_attempts_v2",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], [f"{events}.id"], ondelete="CASCADE"),
    )


def _new_tables() -> None:
    """The tables of the new shape, named ``<name>_v2``, referencing each other."""
    op.create_table(
        "items_v2",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(length=37), nullable=False),
        *_item_columns(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_items_tenant_id"),
    )
    item_fk = sa.ForeignKeyConstraint(["item_pk"], ["items_v2.pk"], ondelete="CASCADE")
    op.create_table(
        "accounts_v2",
        sa.Column("item_pk", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(length=37), primary_key=True),
        *_account_columns(),
        item_fk,
        sa.UniqueConstraint("item_pk", "ordinal"),
    )
    op.create_table(
        "transactions_v2",
        sa.Column("item_pk", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(length=37), primary_key=True),
        *_transaction_columns(),
        sa.ForeignKeyConstraint(
            ["item_pk", "account_id"],
            ["accounts_v2.item_pk", "accounts_v2.id"],
            ondelete="CASCADE",
        ),
    )
    for name, expiry, used in (
        ("access_tokens", "created_at", "revoked_at"),
        ("public_tokens", "expires_at", "used_at"),
    ):
        op.create_table(
            f"{name}_v2",
            *_token_columns(expiry, used),
            sa.Column("item_pk", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["item_pk"], ["items_v2.pk"], ondelete="CASCADE"),
        )
    op.create_table(
        "webhook_events_v2",
        *_event_columns(),
        sa.Column("item_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_pk"], ["items_v2.pk"], ondelete="CASCADE"),
    )
    _attempts_table("webhook_events_v2")


def _copy_new() -> None:
    """Copy every row into the new tables; ``items_v2.pk`` numbers items in creation order."""
    op.execute(
        f"INSERT INTO items_v2 (id, {ITEM_COLUMNS}) "
        f"SELECT id, {ITEM_COLUMNS} FROM items ORDER BY created_at, id"
    )
    join = "JOIN items_v2 i ON i.id = o.item_id"
    op.execute(
        f"INSERT INTO accounts_v2 (item_pk, id, {ACCOUNT_COLUMNS}) "
        f"SELECT i.pk, o.id, {_prefixed(ACCOUNT_COLUMNS)} FROM accounts o {join}"
    )
    op.execute(
        f"INSERT INTO transactions_v2 (item_pk, id, {TRANSACTION_COLUMNS}) "
        f"SELECT i.pk, o.id, {_prefixed(TRANSACTION_COLUMNS)} FROM transactions o {join}"
    )
    for name, columns in (
        ("access_tokens", "token, created_at, revoked_at"),
        ("public_tokens", "token, expires_at, used_at"),
    ):
        op.execute(
            f"INSERT INTO {name}_v2 (item_pk, {columns}) "
            f"SELECT i.pk, {_prefixed(columns)} FROM {name} o {join}"
        )
    op.execute(
        f"INSERT INTO webhook_events_v2 (id, item_pk, {EVENT_COLUMNS}) "
        f"SELECT o.id, i.pk, {_prefixed(EVENT_COLUMNS)} FROM webhook_events o "
        "LEFT JOIN items_v2 i ON i.id = o.item_id"
    )
    op.execute(
        f"INSERT INTO webhook_attempts_v2 ({ATTEMPT_COLUMNS}) "
        f"SELECT {ATTEMPT_COLUMNS} FROM webhook_attempts"
    )


def _prefixed(columns: str) -> str:
    return ", ".join(f"o.{c.strip()}" for c in columns.split(","))


def _swap(indexes: Callable[[], None], serials: tuple[tuple[str, str], ...]) -> None:
    """Drop the old tables (children first), give the new ones their names, index them."""
    for name in reversed(ORDER):
        op.drop_table(name)
    for name in ORDER:
        op.rename_table(f"{name}_v2", name)
    if op.get_bind().dialect.name == "postgresql":
        _tidy_postgresql(serials)
    indexes()


def _tidy_postgresql(serials: tuple[tuple[str, str], ...]) -> None:
    """Rename the ``*_v2`` constraints and sequences, and move sequences past copied ids."""
    bind = op.get_bind()
    for name in ORDER:
        constraints = bind.execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                "AND conname LIKE :p"
            ),
            {"t": name, "p": f"{name}_v2%"},
        ).scalars()
        for constraint in list(constraints):
            fixed = name + constraint[len(name) + 3 :]
            op.execute(f'ALTER TABLE {name} RENAME CONSTRAINT "{constraint}" TO "{fixed}"')
    for name, column in serials:
        op.execute(f"ALTER SEQUENCE IF EXISTS {name}_v2_{column}_seq RENAME TO {name}_{column}_seq")
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
            f"COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)"
        )


def _new_indexes() -> None:
    op.create_index("ix_items_history_pending_through", "items", ["history_pending_through"])
    op.create_index("ix_transactions_item_seq", "transactions", ["item_pk", "updated_seq"])
    op.create_index("ix_transactions_item_date", "transactions", ["item_pk", "date"])
    op.create_index("ix_access_tokens_item_pk", "access_tokens", ["item_pk"])
    op.create_index("ix_public_tokens_item_pk", "public_tokens", ["item_pk"])
    _event_indexes("item_pk")


def _event_indexes(item_column: str) -> None:
    op.create_index("ix_webhook_events_due", "webhook_events", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_events_item", "webhook_events", [item_column, "id"])
    op.create_index("ix_webhook_events_tenant_id", "webhook_events", ["tenant_id"])
    op.create_index("ix_webhook_attempts_event_id", "webhook_attempts", ["event_id"])


def upgrade() -> None:
    _new_tables()
    _copy_new()
    _swap(_new_indexes, (("items", "pk"), *EVENT_SERIALS))


# -- downgrade: back to globally unique string keys (fails if two tenants share an id) ------


def _old_tables() -> None:
    op.create_table(
        "items_v2",
        sa.Column("id", sa.String(length=37), primary_key=True),
        *_item_columns(),
    )
    item_fk = sa.ForeignKeyConstraint(["item_id"], ["items_v2.id"], ondelete="CASCADE")
    op.create_table(
        "accounts_v2",
        sa.Column("id", sa.String(length=37), primary_key=True),
        sa.Column("item_id", sa.String(length=37), nullable=False),
        *_account_columns(),
        item_fk,
        sa.UniqueConstraint("item_id", "ordinal"),
    )
    op.create_table(
        "transactions_v2",
        sa.Column("id", sa.String(length=37), primary_key=True),
        sa.Column("item_id", sa.String(length=37), nullable=False),
        *_transaction_columns(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts_v2.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items_v2.id"], ondelete="CASCADE"),
    )
    for name, expiry, used in (
        ("access_tokens", "created_at", "revoked_at"),
        ("public_tokens", "expires_at", "used_at"),
    ):
        op.create_table(
            f"{name}_v2",
            *_token_columns(expiry, used),
            sa.Column("item_id", sa.String(length=37), nullable=False),
            sa.ForeignKeyConstraint(["item_id"], ["items_v2.id"], ondelete="CASCADE"),
        )
    op.create_table(
        "webhook_events_v2",
        *_event_columns(),
        sa.Column("item_id", sa.String(length=37), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items_v2.id"], ondelete="CASCADE"),
    )
    _attempts_table("webhook_events_v2")


def _copy_old() -> None:
    op.execute(f"INSERT INTO items_v2 (id, {ITEM_COLUMNS}) SELECT id, {ITEM_COLUMNS} FROM items")
    join = "JOIN items i ON i.pk = o.item_pk"
    for name, columns in (
        ("accounts", f"id, {ACCOUNT_COLUMNS}"),
        ("transactions", f"id, {TRANSACTION_COLUMNS}"),
        ("access_tokens", "token, created_at, revoked_at"),
        ("public_tokens", "token, expires_at, used_at"),
    ):
        op.execute(
            f"INSERT INTO {name}_v2 (item_id, {columns}) "
            f"SELECT i.id, {_prefixed(columns)} FROM {name} o {join}"
        )
    op.execute(
        f"INSERT INTO webhook_events_v2 (id, item_id, {EVENT_COLUMNS}) "
        f"SELECT o.id, i.id, {_prefixed(EVENT_COLUMNS)} FROM webhook_events o "
        "LEFT JOIN items i ON i.pk = o.item_pk"
    )
    op.execute(
        f"INSERT INTO webhook_attempts_v2 ({ATTEMPT_COLUMNS}) "
        f"SELECT {ATTEMPT_COLUMNS} FROM webhook_attempts"
    )


def _old_indexes() -> None:
    op.create_index("ix_items_history_pending_through", "items", ["history_pending_through"])
    op.create_index("ix_items_tenant_id", "items", ["tenant_id"])
    op.create_index("ix_accounts_item_id", "accounts", ["item_id"])
    op.create_index("ix_transactions_account_id", "transactions", ["account_id"])
    op.create_index("ix_transactions_item_seq", "transactions", ["item_id", "updated_seq"])
    op.create_index("ix_transactions_item_date", "transactions", ["item_id", "date"])
    op.create_index("ix_access_tokens_item_id", "access_tokens", ["item_id"])
    op.create_index("ix_public_tokens_item_id", "public_tokens", ["item_id"])
    _event_indexes("item_id")


def downgrade() -> None:
    _old_tables()
    _copy_old()
    _swap(_old_indexes, EVENT_SERIALS)
