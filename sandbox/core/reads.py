"""``bank.reads``: one item's ledger read by account and date window (no cursor, no billing).

Open-banking dialects (TrueLayer) address an account by id and ask for a date range; they
list deposit accounts and cards apart, want each posted row with the balance after it, and
read the standing orders, direct debits and card details behind the ledger's rows. Every
method takes an item the facade has already brought up to the clock (``Bank.read_item``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import balances, errors, institutions, instructions, items, liabilities, payment_cards
from .accounts import owner
from .clock import Clock
from .instructions import Instruction
from .models import Account, Item, Tenant, Transaction
from .payment_cards import PaymentCard
from .seeding import make_id


@dataclass(frozen=True)
class Booked:
    """A ledger row with the account's balance just after it (None for pending rows), and
    the bank's own id of the transaction (``bank_transaction_id``)."""

    row: Transaction
    balance_after_minor: int | None
    bank_id: str


def bank_transaction_id(data_key: tuple[object, ...], row: Transaction) -> str:
    """The bank's id of a row's transaction: the same in every connection of the same login
    (``items.data_key``), where row ids are the item's. An app that connects again matches
    its history on it, as on TrueLayer's ``normalised_provider_transaction_id``. A pending
    transaction and its posted one are two (banks book them apart); a row added by hand
    (no ledger key) keeps its own id."""
    key = (row.details or {}).get("key")
    if key is None:
        return row.id
    return make_id(*data_key, "bank transaction", key, "pending" if row.pending else "posted")


class Reads:
    """Account-and-window reads of one tenant's items."""

    STANDING_ORDER = instructions.STANDING_ORDER
    DIRECT_DEBIT = instructions.DIRECT_DEBIT

    def __init__(self, session: Session, tenant: Tenant, clock: Clock) -> None:
        self.session = session
        self.tenant = tenant
        self.clock = clock

    # -- accounts and cards -----------------------------------------------------------------

    @staticmethod
    def listed(accounts: Iterable[Account], *, deposits: bool, cards: bool) -> list[Account]:
        """Those of ``accounts`` read as deposit accounts (current and savings) and/or as
        cards (credit cards), in their order: what a consent to either kind shares."""
        return [
            a
            for a in accounts
            if (deposits and a.type == "depository") or (cards and payment_cards.is_card(a))
        ]

    def deposits(self, item: Item) -> list[Account]:
        """Current and savings accounts (depository accounts), in the item's order."""
        return self.listed(item.accounts, deposits=True, cards=False)

    def cards(self, item: Item) -> list[Account]:
        """Credit-card accounts, in the item's order."""
        return self.listed(item.accounts, deposits=False, cards=True)

    def deposit(self, item: Item, account_id: str) -> Account:
        """One deposit account by id (a card's id is not one: ``InvalidAccountId``)."""
        return _one(self.deposits(item), account_id)

    def card(self, item: Item, account_id: str) -> Account:
        """One card account by id (a deposit account's id is not one)."""
        return _one(self.cards(item), account_id)

    def payment_card(self, item: Item, account: Account) -> PaymentCard:
        """What is printed on the card of ``account``."""
        institution = institutions.get(item.institution_id)
        key = items.data_key(self.tenant, item)
        return payment_cards.describe(account, key, institution.country, institution.name)

    def card_statement(self, item: Item, account: Account) -> dict[str, Any]:
        """The card's last statement, minimum payment and due date (minor units)."""
        return liabilities.card_statement(self.session, item, account, self.clock.today())

    def holder(self, item: Item) -> dict[str, Any]:
        """The account holder's identity (names, emails, phones, addresses)."""
        institution = institutions.get(item.institution_id)
        return owner(items.data_key(self.tenant, item), institution.country)

    # -- transactions -----------------------------------------------------------------------

    def window(
        self, item: Item, start: dt.date | None, end: dt.date | None
    ) -> tuple[dt.date, dt.date]:
        """The date range to read: open ends are the first day of history and today.

        ``InvalidDateRange`` when the start is after the end or after today.
        """
        self.check_range(start, end)
        today = self.clock.today()
        return start or item.history_start, min(end or today, today)

    def check_range(self, start: dt.date | None, end: dt.date | None) -> None:
        """Refuse a range no read can serve (``InvalidDateRange``: the start after the end or
        after today), so a dialect can refuse it before the call counts against any limit."""
        if start is not None and start > self.clock.today():
            raise errors.InvalidDateRange("from must not be in the future", field="from")
        if end is not None and start is not None and start > end:
            raise errors.InvalidDateRange("from must not be after to", field="from")

    def booked(self, item: Item, account: Account, start: dt.date, end: dt.date) -> list[Booked]:
        """Posted rows of ``account`` dated ``start``..``end``, newest first, with balances."""
        rows = balances.posted_newest_first(self.session, item, account, start, end)
        after = balances.running_after(self.session, item, account, start) if rows else {}
        data_key = items.data_key(self.tenant, item)
        return [Booked(row, after[row.id], bank_transaction_id(data_key, row)) for row in rows]

    def pending(self, item: Item, account: Account, start: dt.date, end: dt.date) -> list[Booked]:
        """Pending rows of ``account`` authorised ``start``..``end``, newest first."""
        rows = self.session.scalars(
            select(Transaction)
            .where(
                Transaction.item_pk == item.pk,
                Transaction.account_id == account.id,
                Transaction.pending.is_(True),
                Transaction.removed.is_(False),
                Transaction.date >= start,
                Transaction.date <= end,
            )
            .order_by(Transaction.date.desc(), Transaction.created_seq.desc(), Transaction.id)
        )
        data_key = items.data_key(self.tenant, item)
        return [Booked(row, None, bank_transaction_id(data_key, row)) for row in rows]

    # -- payment instructions ---------------------------------------------------------------

    def standing_orders(self, item: Item, account: Account) -> list[Instruction]:
        """The standing orders the account holder set up on ``account``."""
        return instructions.of_account(
            self.session, item, account, instructions.STANDING_ORDER, self.clock.today()
        )

    def direct_debits(self, item: Item, account: Account) -> list[Instruction]:
        """The direct debits payees collect from ``account``."""
        return instructions.of_account(
            self.session, item, account, instructions.DIRECT_DEBIT, self.clock.today()
        )

    @staticmethod
    def instruction_kind(row: Transaction) -> str | None:
        """Which instruction (standing order, direct debit) made ``row``, if any."""
        return instructions.kind_of(row.details, row.amount_minor)


def _one(accounts: list[Account], account_id: str) -> Account:
    for account in accounts:
        if account.id == account_id:
            return account
    raise errors.InvalidAccountId(f"account {account_id} not found", field="account_id")
