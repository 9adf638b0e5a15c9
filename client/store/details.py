"""Tables for what open-banking providers tell beyond transactions (cards, standing orders,
direct debits) and for authorization-code flows that are waiting for the user to come back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Select, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from client.providers.base import AccountFacts
from client.providers.model import LocalCard
from client.store.models import Account, Base, utcnow
from client.store.types import Money, UTCDateTime

FLOW_LIFETIME = dt.timedelta(minutes=15)  # TrueLayer's codes last ~5 minutes; links longer


class Card(Base):
    """The card behind a card account (network, last digits, validity)."""

    __tablename__ = "bc_cards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bc_accounts.id"), unique=True)
    network: Mapped[str | None] = mapped_column(String(30))
    card_type: Mapped[str | None] = mapped_column(String(30))
    partial_number: Mapped[str | None] = mapped_column(String(10))
    name_on_card: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[str | None] = mapped_column(String(7))
    valid_to: Mapped[str | None] = mapped_column(String(7))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StandingOrder(Base):
    """A standing order as last read; the provider gives no id, so an account's set is
    replaced whole on each read."""

    __tablename__ = "bc_standing_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bc_accounts.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(200))
    payee: Mapped[str | None] = mapped_column(String(200))
    next_date: Mapped[dt.date | None] = mapped_column(Date)
    next_amount: Mapped[Decimal | None] = mapped_column(Money)
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    first_amount: Mapped[Decimal | None] = mapped_column(Money)
    final_date: Mapped[dt.date | None] = mapped_column(Date)
    final_amount: Mapped[Decimal | None] = mapped_column(Money)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectDebit(Base):
    """A direct-debit mandate as last read (replaced whole per account, like standing orders:
    TrueLayer's `direct_debit_id` may change between calls)."""

    __tablename__ = "bc_direct_debits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("bc_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(10))
    mandate_id: Mapped[str | None] = mapped_column(String(100))
    previous_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    previous_amount: Mapped[Decimal | None] = mapped_column(Money)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OAuthFlow(Base):
    """An authorization-code flow between the auth link and the redirect back: the PKCE
    verifier (encrypted) the code exchange needs, found by `state`; used once."""

    __tablename__ = "bc_oauth_flows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    user_ref: Mapped[str] = mapped_column(String(100))
    # Set when the flow renews consent of an existing connection (its ids stay).
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("bc_connections.id"))
    verifier_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def open_flows(now: dt.datetime) -> Select[OAuthFlow]:
    """The flows a redirect may still complete (unused and fresh): the ones whose verifier
    must stay readable."""
    return select(OAuthFlow).where(
        OAuthFlow.used_at.is_(None), OAuthFlow.created_at > now - FLOW_LIFETIME
    )


def store_facts(
    session: Session, accounts: Mapping[str, Account], facts: Sequence[AccountFacts]
) -> None:
    """Write a page's facts for the accounts it names (unknown accounts are skipped, as their
    transactions are)."""
    if not facts:
        return
    for fact in facts:
        account = accounts.get(fact.account_provider_id)
        if account is None:
            continue
        if fact.card is not None:
            _store_card(session, account, fact.card)
        if fact.standing_orders is not None:
            session.execute(delete(StandingOrder).where(StandingOrder.account_id == account.id))
            session.add_all(
                StandingOrder(account_id=account.id, **vars(order))
                for order in fact.standing_orders
            )
        if fact.direct_debits is not None:
            session.execute(delete(DirectDebit).where(DirectDebit.account_id == account.id))
            session.add_all(
                DirectDebit(account_id=account.id, **vars(debit)) for debit in fact.direct_debits
            )
    session.flush()


def _store_card(session: Session, account: Account, card: LocalCard) -> None:
    """Create or refresh the account's card row."""
    row = session.scalar(select(Card).where(Card.account_id == account.id))
    if row is None:
        row = Card(account_id=account.id)
        session.add(row)
    for name, value in vars(card).items():
        setattr(row, name, value)
    row.updated_at = utcnow()
