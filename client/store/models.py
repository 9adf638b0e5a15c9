"""Tables: connections, accounts, transactions, categories, payees, rules, sync runs, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from client.store.types import Fit, Money, UTCDateTime


def utcnow() -> dt.datetime:
    """Aware now, the only kind the store accepts."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the client's own tables (prefixed bc_ to share a database)."""


class ConnectionStatus:
    """States a connection moves through."""

    ACTIVE = "active"
    LOGIN_REQUIRED = "login_required"
    ERROR = "error"
    DISCONNECTED = "disconnected"
    ALL = (ACTIVE, LOGIN_REQUIRED, ERROR, DISCONNECTED)


class Connection(Base):
    """One linked bank login (a Plaid Item) with its sync state and settings."""

    __tablename__ = "bc_connections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="plaid")
    user_ref: Mapped[str] = mapped_column(String(100), default="default")
    item_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    institution_id: Mapped[str | None] = mapped_column(String(50))
    institution_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE)
    # Sync position: `cursor` is the last committed one (maybe mid-chain); `chain_cursor` is
    # where the current has_more chain began, needed to restart after a mutation.
    cursor: Mapped[str | None] = mapped_column(Text)
    in_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    chain_cursor: Mapped[str | None] = mapped_column(Text)
    chain_first_pass: Mapped[int] = mapped_column(Integer, default=0)
    sync_pass: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error_code: Mapped[str | None] = mapped_column(String(100))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    consent_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    schedule: Mapped[str] = mapped_column(String(10), default="daily")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accounts: Mapped[list[Account]] = relationship(back_populates="connection")


class Account(Base):
    """A bank account; survives re-linking (matched to the new Item's account)."""

    __tablename__ = "bc_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("bc_connections.id"))
    # The owner; set from the connection, or by the app for a manual (cash, wallet) account.
    user_ref: Mapped[str] = mapped_column(String(100), default="default", index=True)
    provider_id: Mapped[str] = mapped_column(String(100), unique=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    institution_id: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    official_name: Mapped[str | None] = mapped_column(String(200))
    mask: Mapped[str | None] = mapped_column(String(10))
    # `LocalAccount.bank_key`: how a re-link of the same account at the bank finds this row.
    bank_key: Mapped[str | None] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(30))
    subtype: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(10))
    current: Mapped[Decimal | None] = mapped_column(Money)
    available: Mapped[Decimal | None] = mapped_column(Money)
    credit_limit: Mapped[Decimal | None] = mapped_column(Money)
    balance_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    connection: Mapped[Connection | None] = relationship(back_populates="accounts")


class Transaction(Base):
    """A transaction: the provider's facts (sync writes them) and the user's edits (sync never
    does). `provider_id` is unique so replays cannot duplicate; removals leave a tombstone."""

    __tablename__ = "bc_transactions"
    __table_args__ = (Index("ix_bc_tx_account_date", "account_id", "date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bc_accounts.id"))
    provider_id: Mapped[str] = mapped_column(String(100), unique=True)
    item_id: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(10))
    iso_currency_code: Mapped[str | None] = mapped_column(String(10))
    unofficial_currency_code: Mapped[str | None] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    authorized_date: Mapped[dt.date | None] = mapped_column(Date)
    posted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    authorized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    original_description: Mapped[str | None] = mapped_column(Text)
    # Payee as derived from the provider, then rules; `payee_id` is the user's assignment.
    payee: Mapped[str | None] = mapped_column(String(200))
    merchant_name: Mapped[str | None] = mapped_column(String(200))
    merchant_entity_id: Mapped[str | None] = mapped_column(String(100))
    logo_url: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(300))
    counterparties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    location: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payment_meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payment_channel: Mapped[str | None] = mapped_column(String(20))
    check_number: Mapped[str | None] = mapped_column(String(50))
    transaction_code: Mapped[str | None] = mapped_column(String(50))
    account_owner: Mapped[str | None] = mapped_column(String(200))
    # The provider's classification as sent (Plaid: personal_finance_category + legacy path).
    category: Mapped[str | None] = mapped_column(String(100))
    category_primary: Mapped[str | None] = mapped_column(String(100))
    category_confidence: Mapped[str | None] = mapped_column(String(20))
    category_icon_url: Mapped[str | None] = mapped_column(Text)
    legacy_category: Mapped[list[str]] = mapped_column(JSON, default=list)
    legacy_category_id: Mapped[str | None] = mapped_column(String(20))
    # `category_id`: the provider's category resolved in the taxonomy, or a rule's choice.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("bc_categories.id"))
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_provider_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="plaid")
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_pass: Mapped[int] = mapped_column(Integer, default=0)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user's own edits: never written by sync, carried from pending to posted.
    user_category_id: Mapped[int | None] = mapped_column(ForeignKey("bc_categories.id"))
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("bc_payees.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    @property
    def manual(self) -> bool:
        """Entered by the user; sync never touches it."""
        return self.source == MANUAL_SOURCE


MANUAL_SOURCE = "manual"
USER_FIELDS = ("user_category_id", "payee_id", "notes")


class Category(Base):
    """A category: built in (`user_ref` NULL, seeded from Plaid's taxonomy) or the user's own.

    `key` is the taxonomy code (``FOOD_AND_DRINK_COFFEE``) or, for a user category, a slug."""

    __tablename__ = "bc_categories"
    __table_args__ = (UniqueConstraint("user_ref", "key", name="uq_bc_categories_user_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bc_categories.id"))
    kind: Mapped[str] = mapped_column(String(10))  # income | expense | transfer
    colour: Mapped[str] = mapped_column(String(7))
    icon: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payee(Base):
    """A payee the user assigns transactions to, with an optional default category."""

    __tablename__ = "bc_payees"
    __table_args__ = (UniqueConstraint("user_ref", "name", name="uq_bc_payees_user_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("bc_categories.id"))


class Rule(Base):
    """A user's rule, applied in `position` order as transactions arrive from the provider."""

    __tablename__ = "bc_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(100), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    pattern: Mapped[str] = mapped_column(String(200))  # regex over description and payee
    category_id: Mapped[int | None] = mapped_column(ForeignKey("bc_categories.id"))
    payee: Mapped[str | None] = mapped_column(String(200))
    ignore: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncRun(Base):
    """History of one sync attempt: counts, duration and the error if any."""

    __tablename__ = "bc_sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("bc_connections.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    added: Mapped[int] = mapped_column(Integer, default=0)
    modified: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    duration: Mapped[float | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """A provider call or a consent event; never holds tokens or secrets."""

    __tablename__ = "bc_audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "call" or "consent"
    connection_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))  # endpoint or consent event
    status: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(50))
    duration: Mapped[float | None] = mapped_column()
    error_code: Mapped[str | None] = mapped_column(String(100))


class WebhookReceipt(Base):
    """One received webhook event, by identity (the hash of its signed JWT): a redelivered request
    is found here and not queued twice."""

    __tablename__ = "bc_webhook_receipts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    webhook_type: Mapped[str] = mapped_column(String(50))
    webhook_code: Mapped[str] = mapped_column(String(50))
    item_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportMapping(Base):
    """A user's saved CSV column mapping for one bank's header (reused on the next file)."""

    __tablename__ = "bc_import_mappings"
    __table_args__ = (
        UniqueConstraint("user_ref", "signature", name="uq_bc_import_mappings_user_signature"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(100), index=True)
    bank: Mapped[str] = mapped_column(String(100))
    signature: Mapped[str] = mapped_column(String(500))  # the header's columns, joined
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportBatch(Base):
    """One imported file: where it went, what it added and matched (the import history)."""

    __tablename__ = "bc_import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(100), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bc_accounts.id"))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20))
    added: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cut:
    """A provider's names cut to their columns' lengths (`Fit`), made once here: a sync page
    cuts thousands of them (the description's column is unbounded)."""

    institution_name = Fit(Connection.institution_name)
    account_name, account_official_name = Fit(Account.name), Fit(Account.official_name)
    payee, merchant_name = Fit(Transaction.payee), Fit(Transaction.merchant_name)
    account_owner = Fit(Transaction.account_owner)
