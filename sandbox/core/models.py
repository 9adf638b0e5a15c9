"""SQLAlchemy tables of the simulated bank.

Plain SQLAlchemy declarative models (no Flask import): Flask-SQLAlchemy binds the
same metadata in ``sandbox.extensions``. The ERD in ``docs/data-model.md`` is
checked against these classes by ``tests/unit/test_docs.py``.

Annotations here are objects, not strings (no ``from __future__ import annotations``):
SQLAlchemy parses a string annotation back into a type when it maps the class, and the
module's 260 of them cost about 18 ms of every start. Only names of classes defined
further down are quoted.
"""

import datetime as dt
import unicodedata
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

PARTIAL_WHERE = "sandbox.partial_where"  # ``Index.info`` key: the rows a partial index holds
# The longest account holder's name Link takes for a typed account (``verification_name``).
VERIFICATION_NAME_CHARS = 100


def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index over the rows ``where`` selects (SQLite and PostgreSQL build the same one).

    SQLAlchemy's own ``postgresql_where=`` makes it import the whole PostgreSQL dialect to
    check the keyword (about 20 ms of a cold start), even in a server on SQLite that never
    needs it; the condition rides in ``info`` instead, and ``_create_index`` writes it."""
    return Index(name, *columns, info={PARTIAL_WHERE: text(where)})


@compiles(CreateIndex)
def _create_index(create: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """``CREATE INDEX`` as the dialect writes it, with a partial index's ``WHERE``."""
    sql: str = compiler.visit_create_index(create, **kw)  # type: ignore[no-untyped-call]
    where = create.element.info.get(PARTIAL_WHERE)
    if where is None:
        return sql
    condition = compiler.sql_compiler.process(where, include_table=False, literal_binds=True)
    return f"{sql} WHERE {condition}"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use clock.now()")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base shared by every sandbox table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Tenant(Base):
    """One API-key holder; its items, clock and seed are invisible to other tenants."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(120))
    seed: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime]
    clock_frozen_at: Mapped[dt.datetime | None]
    clock_offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    item_counter: Mapped[int] = mapped_column(Integer, default=0)
    # How many fault rules the tenant has: the fault gate skips loading them when none.
    fault_rule_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Which dashboard sign-ins are valid: a session holds the value it signed in with, and
    # signing out bumps it, so cookies copied before then (any browser's) no longer work.
    dashboard_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    items: Mapped[list["Item"]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )

    @property
    def printable_name(self) -> str:
        """``name`` with its control characters escaped (ESC as ``\\x1b``): names stored
        before they were refused print this way, so none drives an operator's terminal."""
        return "".join(
            char.encode("unicode_escape").decode() if unicodedata.category(char) == "Cc" else char
            for char in self.name
        )


class Item(Base):
    """A login at one institution (Plaid's Item, TrueLayer's connection).

    ``id`` is the public id, derived from the tenant's seed: two tenants with the same seed
    have items with the same ids, so the row's key is ``pk`` and ``id`` is unique per tenant.
    """

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_items_tenant_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(37))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    institution_id: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64))
    persona: Mapped[str] = mapped_column(String(64))
    custom_config: Mapped[dict[str, Any] | None]
    products: Mapped[list[Any]]
    webhook: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    consent_expires_at: Mapped[dt.datetime | None]
    # The consent expiry the last PENDING_EXPIRATION/PENDING_DISCONNECT warned of: one warning
    # per consent period (a renewal starts a new one; a fired test webhook is no warning).
    consent_warned_for: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]
    history_start: Mapped[dt.date] = mapped_column(Date)
    generated_through: Mapped[dt.date] = mapped_column(Date)
    # Last day of older history not generated yet (Plaid's historical pull), or None.
    history_pending_through: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # When the initial Investments extraction ``async_update`` started (tenant clock), until it
    # completes (``HISTORICAL_UPDATE``); None when none is running.
    investments_extracting_since: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The processor token (its stored key) whose call started that extraction: its webhook
    # hears the end. None when the app's access token started it. No foreign key, as
    # ``WebhookEvent.processor_token``.
    investments_extraction_by: Mapped[str | None] = mapped_column(String(80))
    # No pending row posts before this day (NULL: unknown), so reads skip looking for them.
    next_post_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    sync_called: Mapped[bool] = mapped_column(Boolean, default=False)
    last_successful_update: Mapped[dt.datetime | None]
    last_failed_update: Mapped[dt.datetime | None]
    last_webhook_at: Mapped[dt.datetime | None]
    last_webhook_code: Mapped[str | None] = mapped_column(String(64))

    tenant: Mapped[Tenant] = relationship(back_populates="items")
    accounts: Mapped[list["Account"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Account.ordinal"
    )


class AccessToken(Base):
    """A bearer credential for one item; invalidation retires it and issues another."""

    __tablename__ = "access_tokens"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class PublicToken(Base):
    """A short-lived, single-use token that Link hands to the app for exchange."""

    __tablename__ = "public_tokens"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    # Update mode: the link token whose access token the exchange hands back (no new one).
    link_token: Mapped[str | None] = mapped_column(String(80))


class LinkToken(Base):
    """A Link session configuration created by ``/link/token/create``."""

    __tablename__ = "link_tokens"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    sessions: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AssetReport(Base):
    """An Asset Report: its items, window and options; the content is read off the ledger
    as of ``created_at`` whenever it is fetched, so it never changes once made."""

    __tablename__ = "asset_reports"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)  # keyed hash
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[str] = mapped_column(String(36))
    item_pks: Mapped[list[Any]]
    days_requested: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]]
    excluded_account_ids: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]


class AssetReportAuditCopy(Base):
    """A read-only copy of an Asset Report handed to an auditor (a lender's agency)."""

    __tablename__ = "asset_report_audit_copies"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)  # keyed hash
    report_token: Mapped[str] = mapped_column(
        ForeignKey("asset_reports.token", ondelete="CASCADE"), index=True
    )
    auditor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]

    report: Mapped[AssetReport] = relationship()


class Account(Base):
    """One account of an item; balances are kept in step with its transactions.

    Keyed by ``(item_pk, id)``: the public ``id`` is unique within its item (and tenant).
    """

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("item_pk", "ordinal"),)

    item_pk: Mapped[int] = mapped_column(
        ForeignKey("items.pk", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(37), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    official_name: Mapped[str | None] = mapped_column(String(160))
    mask: Mapped[str | None] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    current_minor: Mapped[int] = mapped_column(BigInteger)
    available_minor: Mapped[int | None] = mapped_column(BigInteger)
    limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    numbers: Mapped[dict[str, Any]]
    details: Mapped[dict[str, Any]]
    # Auth's micro-deposit state (``core.microdeposits``); None on an ordinary account.
    verification_status: Mapped[str | None] = mapped_column(String(40))
    # Plaid's ``auth_method`` of an account whose numbers did not come through the login
    # (``AUTOMATED_MICRODEPOSITS``, ``INSTANT_MICRODEPOSITS``, ``DATABASE_INSIGHTS`` ...), and
    # the account holder's name the user typed into Link for it (``verification_name``).
    auth_method: Mapped[str | None] = mapped_column(String(40))
    verification_name: Mapped[str | None] = mapped_column(String(VERIFICATION_NAME_CHARS))

    item: Mapped[Item] = relationship(back_populates="accounts")


class Transaction(Base):
    """A ledger entry; rows are never deleted so sync can report removals.

    ``updated_seq`` is the item's change-log position of the row's last change:
    ``/transactions/sync`` pages through rows in that order. Keyed by ``(item_pk, id)``:
    ids derive from the item's public id, so they repeat in another tenant with the same seed.
    """

    __tablename__ = "transactions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["item_pk", "account_id"], ["accounts.item_pk", "accounts.id"], ondelete="CASCADE"
        ),
        Index("ix_transactions_item_seq", "item_pk", "updated_seq"),
        Index("ix_transactions_item_date", "item_pk", "date"),
        # Only pending rows promise a posting: the catch-up reads this small index alone.
        partial_index(
            "ix_transactions_item_post_on", "item_pk", "post_on", where="post_on IS NOT NULL"
        ),
    )

    item_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(37), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(37))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    date: Mapped[dt.date] = mapped_column(Date)
    authorized_date: Mapped[dt.date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    merchant_name: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(64))
    payment_channel: Mapped[str] = mapped_column(String(16))
    pending: Mapped[bool] = mapped_column(Boolean)
    pending_transaction_id: Mapped[str | None] = mapped_column(String(37))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_seq: Mapped[int] = mapped_column(BigInteger)
    updated_seq: Mapped[int] = mapped_column(BigInteger)
    # A live pending row's promise: the day it posts, and the amount and name it posts with
    # (NULL on posted rows, and cleared once the row has posted).
    post_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    posted_amount_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    posted_name: Mapped[str | None] = mapped_column(String(200), default=None)
    details: Mapped[dict[str, Any]]


class WebhookKey(Base):
    """A key a tenant's webhooks are signed with (served as a JWK by kid): ``alg`` ES256 for
    the default JWT, ES512 for a dialect's detached-JWS signatures."""

    __tablename__ = "webhook_keys"

    kid: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    expired_at: Mapped[dt.datetime | None]
    alg: Mapped[str] = mapped_column(String(8), default="ES256", server_default="ES256")


# The ``next_attempt_at`` of an event a frozen tenant clock holds back: it comes due only once
# the clock is moved (``outbox.follow_clock``).
NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


class WebhookEvent(Base):
    """An outbox row: one webhook, its exact body bytes, and where delivery stands.

    ``status`` is ``pending`` until a 2xx (``delivered``) or the retry schedule runs out
    (``failed``), ``endpoint_failing`` when a retry was not made because its URL rejected
    almost every webhook (``webhooks.rejections``), or ``cancelled`` when what it is about
    was removed (or its webhook URL cleared) before it went out (``asset_report_id``: the
    Asset report an ``ASSETS`` webhook
    announces, whose items it follows). ``next_attempt_at`` is wall-clock time (the
    dispatcher's, not a tenant's), meaningful only while pending (``next_attempt`` says so),
    and ``NEVER`` while a frozen tenant clock holds the event back. ``held_until`` is that
    hold: the instant of the tenant's clock the event waits for (``HISTORICAL_UPDATE`` after
    the historical delay), None once claimed or never held. ``attempts`` counts every
    attempt made and logged, a redelivery's included (it equals the attempt log's length);
    ``schedule_start`` is how many came before the current retry schedule, which a redelivery
    starts afresh.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_due", "status", "next_attempt_at"),
        Index("ix_webhook_events_item", "item_pk", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    item_pk: Mapped[int | None] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    # The processor token (its stored key) a partner's copy of an item webhook goes to; None
    # for the app's own webhooks. A partner's events keep their own order (``behind_earlier``).
    # No foreign key: the item's cascade already removes the copies with their token.
    processor_token: Mapped[str | None] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(Text)
    webhook_type: Mapped[str] = mapped_column(String(64))
    webhook_code: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    schedule_start: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime]
    held_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    asset_report_id: Mapped[str | None] = mapped_column(String(36))
    # How the request is signed when not with the default JWT: a detached JWS whose header
    # names and JOSE fields the sending dialect chose (``signing.RequestSignature`` as JSON).
    signature: Mapped[dict[str, Any] | None]

    item: Mapped[Item | None] = relationship()
    attempt_log: Mapped[list["WebhookAttempt"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="WebhookAttempt.id"
    )

    @property
    def next_attempt(self) -> dt.datetime | None:
        """When the next attempt is due: None once delivered, failed, endpoint_failing or
        cancelled (a delivered event kept the dispatcher's lease), or while a frozen tenant
        clock holds it back."""
        if self.status != "pending" or self.next_attempt_at == NEVER:
            return None
        return self.next_attempt_at

    @hybrid_property
    def item_id(self) -> str | None:
        """The public id of the item the webhook is about (None for tenant-wide ones)."""
        return self.item.id if self.item is not None else None

    @item_id.inplace.expression
    @classmethod
    def _item_id_expression(cls) -> ColumnElement[str | None]:
        return select(Item.id).where(Item.pk == cls.item_pk).scalar_subquery()


class WebhookAttempt(Base):
    """One try at delivering a webhook, kept for the dashboard and the control API."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[dt.datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    event: Mapped[WebhookEvent] = relationship(back_populates="attempt_log")


class WebhookPause(Base):
    """A tenant whose webhook delivery is paused (events queue up until resumed)."""

    __tablename__ = "webhook_pauses"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    paused_at: Mapped[dt.datetime]


class CaughtWebhook(Base):
    """A webhook received by the built-in catcher (``/control/webhook-catcher/<name>``)."""

    __tablename__ = "caught_webhooks"
    __table_args__ = (Index("ix_caught_webhooks_name", "name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]
    headers: Mapped[dict[str, Any]]
    body: Mapped[str] = mapped_column(Text)


class LinkSession(Base):
    """One run through hosted Link: its current step, what the user chose, how it ended."""

    __tablename__ = "link_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_token: Mapped[str] = mapped_column(
        ForeignKey("link_tokens.token", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    institution_id: Mapped[str | None] = mapped_column(String(32))
    oauth_state: Mapped[str | None] = mapped_column(String(64), unique=True)
    data: Mapped[dict[str, Any]]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class OAuthClient(Base):
    """An app registered at a bank's OAuth server (Link registers itself per tenant)."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    redirect_uris: Mapped[list[Any]]
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class OAuthCode(Base):
    """A single-use, short-lived authorization code with its PKCE challenge and consent."""

    __tablename__ = "oauth_codes"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    grant: Mapped[dict[str, Any]]
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class OAuthToken(Base):
    """An access token (short-lived) and its rotating refresh token at a bank."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    access_token: Mapped[str] = mapped_column(String(80), unique=True)
    refresh_token: Mapped[str | None] = mapped_column(String(80), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    grant: Mapped[dict[str, Any]]
    issued_at: Mapped[dt.datetime]
    expires_in: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[dt.datetime | None]


class FaultRule(Base):
    """A tenant's fault-injection rule: what to match, what to do, and when it fires.

    ``spec`` holds the validated match/action/trigger fields (``sandbox.core.faults.spec``);
    ``matched`` counts the calls it matched, so ``nth`` and ``next`` triggers and the
    seeded probability draws are functions of that count. Ids are never reused (SQLite's
    ``AUTOINCREMENT``; PostgreSQL's sequence never goes back), so the request log's
    ``rule_id`` names one rule even after the rules were cleared.
    """

    __tablename__ = "fault_rules"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    spec: Mapped[dict[str, Any]]
    matched: Mapped[int] = mapped_column(BigInteger, default=0)
    fired: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]


class RequestLog(Base):
    """One injected fault (rule, header, institution health or rate limit) and its outcome."""

    __tablename__ = "request_log"
    __table_args__ = (Index("ix_request_log_tenant", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_id: Mapped[str | None] = mapped_column(String(37))
    endpoint: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime]


class InstitutionHealth(Base):
    """A tenant's override of an institution's health (``DOWN`` or ``DEGRADED``)."""

    __tablename__ = "institution_health"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    failure_rate: Mapped[float]
    evaluations: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[dt.datetime]


class RateLimitSetting(Base):
    """A tenant's rate-limit overrides: on/off and per-endpoint limits per item and client."""

    __tablename__ = "rate_limit_settings"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    limits: Mapped[dict[str, Any]]


class ProcessorToken(Base):
    """A partner's credential for one account of an item (``/processor/token/create``).

    Stored as a keyed hash like access tokens; it dies with its item (``/item/remove``).
    """

    __tablename__ = "processor_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["item_pk", "account_id"], ["accounts.item_pk", "accounts.id"], ondelete="CASCADE"
        ),
    )

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    item_pk: Mapped[int] = mapped_column(Integer, index=True)
    account_id: Mapped[str] = mapped_column(String(37))
    processor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    # ``/processor/token/permissions/set``: the products the partner may read; empty: all of
    # them, including products added later.
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ``/processor/token/webhook/update``: where the partner's webhooks go (None: nowhere).
    webhook: Mapped[str | None] = mapped_column(Text)

    def permits(self, *products: str) -> bool:
        """Whether the partner may read a product opened by any of ``products``."""
        return not self.products or any(p in self.products for p in products)


class SignalEvaluation(Base):
    """A scored ACH debit (``/signal/evaluate``) with the decision and return reported later.

    One row per ``client_transaction_id`` per item (DIVERGES, unconfirmed: Plaid documents the
    id as unique without saying over what; per item lets Plaid quickstart's fixed id be used
    again by the next item linked with the same keys). Evaluating it again refreshes the row.
    """

    __tablename__ = "signal_evaluations"
    __table_args__ = (
        # client_transaction_id before item_pk: the reports look an id up across items.
        UniqueConstraint(
            "tenant_id", "client_transaction_id", "item_pk", name="uq_signal_item_txn"
        ),
        ForeignKeyConstraint(
            ["item_pk", "account_id"], ["accounts.item_pk", "accounts.id"], ondelete="CASCADE"
        ),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_transaction_id: Mapped[str] = mapped_column(String(36))
    item_pk: Mapped[int] = mapped_column(Integer, index=True)
    account_id: Mapped[str] = mapped_column(String(37))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    bank_score: Mapped[int] = mapped_column(Integer)
    customer_score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    # ISO times of the evaluations in the hour before the latest (the per-transaction limit).
    recent_evaluations: Mapped[list[Any]]
    # Rises with each evaluation of the tenant's id: reports apply to the highest.
    evaluation_seq: Mapped[int] = mapped_column(Integer)
    initiated: Mapped[bool | None] = mapped_column(Boolean)
    decision: Mapped[dict[str, Any] | None]
    return_code: Mapped[str | None] = mapped_column(String(8))
    returned_at: Mapped[dt.datetime | None]


class AppClient(Base):
    """An app registered at the sandbox's auth server (TrueLayer's ``client_id``).

    Every tenant has one whose id and secret are its API keys (``secret_hash`` None: check
    the tenant's); more can be registered with their own secrets.
    """

    __tablename__ = "app_clients"

    client_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str | None] = mapped_column(String(128))
    redirect_uris: Mapped[list[Any]]
    consent_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[dt.datetime]
    # What the auth dialog calls the app ("Share your data with …"); None: its client id.
    display_name: Mapped[str | None] = mapped_column(String(80))

    tenant: Mapped[Tenant] = relationship()

    @property
    def shown_name(self) -> str:
        """The app's name as its users see it: its display name, else its client id."""
        return self.display_name or self.client_id


class Consent(Base):
    """An app's consented, time-limited access to one item (a TrueLayer connection).

    ``status`` is ``authorised``, ``revoked`` (the app deleted it) or ``expired``; ``eternal``
    consents extend without the user (TrueLayer's ``john``/``eternal``).
    """

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("tenant_id", "id", name="uq_consents_tenant_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(37))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("app_clients.client_id", ondelete="CASCADE"), index=True
    )
    credentials_id: Mapped[str] = mapped_column(String(37))
    scopes: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16))
    status_updated_at: Mapped[dt.datetime]
    eternal: Mapped[bool] = mapped_column(Boolean, default=False)
    # The refresh chain whose tokens work: the keyed hash of the code last exchanged (a
    # renewal's code ends the chain before it), ``grants.ENDED`` once that code was presented
    # again; None before any chain was recorded (tokens of no chain).
    chain: Mapped[str | None] = mapped_column(String(80))

    tenant: Mapped[Tenant] = relationship()
    item: Mapped[Item] = relationship()
    client: Mapped[AppClient] = relationship()


class GrantCode(Base):
    """A single-use authorization code for a consent (stored as a keyed hash), with PKCE."""

    __tablename__ = "grant_codes"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    consent_pk: Mapped[int] = mapped_column(
        ForeignKey("consents.pk", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class ReconsentLink(Base):
    """A single-use dialog link that renews a consent (extension's ``user_input_link``),
    stored as a keyed hash: ``opened_at`` once it opened a dialog, ``used_at`` once that
    dialog's Allow issued the code, so one link yields one code at most."""

    __tablename__ = "reconsent_links"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    consent_pk: Mapped[int] = mapped_column(
        ForeignKey("consents.pk", ondelete="CASCADE"), index=True
    )
    reauthenticate: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]

    consent: Mapped[Consent] = relationship()


class GrantToken(Base):
    """An access (1 h) or refresh token of a consent, stored as a keyed hash.

    Refresh tokens rotate: using one revokes it (``revoked_at``) and issues the next, of the
    same ``chain`` (the code's exchange began it); a token works only while its chain is its
    consent's.
    """

    __tablename__ = "grant_tokens"

    token: Mapped[str] = mapped_column(String(80), primary_key=True)
    consent_pk: Mapped[int] = mapped_column(
        ForeignKey("consents.pk", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    chain: Mapped[str | None] = mapped_column(String(80))

    consent: Mapped[Consent] = relationship()


class TokenKey(Base):
    """A tenant's RS256 key that signs its access-token JWTs (private key sealed at rest)."""

    __tablename__ = "token_keys"

    kid: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class UnattendedCall(Base):
    """A data call made without the user present (a bank allows a few per connection a day)."""

    __tablename__ = "unattended_calls"
    __table_args__ = (Index("ix_unattended_calls_item_at", "item_pk", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    at: Mapped[dt.datetime]


class AsyncTask(Base):
    """A data call answered later: its reply (``http_status``, the exact ``body``) kept for
    the connection (``credentials_id``) that asked, until ``expires_at`` on the tenant's
    clock. ``status`` is ``Succeeded`` or ``Failed``: the call runs before it is announced."""

    __tablename__ = "async_tasks"
    __table_args__ = (Index("ix_async_tasks_item_expires", "item_pk", "expires_at"),)

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_pk: Mapped[int] = mapped_column(ForeignKey("items.pk", ondelete="CASCADE"))
    credentials_id: Mapped[str] = mapped_column(String(37))
    status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
