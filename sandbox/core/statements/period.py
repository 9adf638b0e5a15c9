"""One account over a date range, read from the stored ledger: what every file format renders.

A period holds the posted transactions (the rows ``/transactions/get`` returns, pending ones
left out as banks leave them out of downloads), the balance before and after each of them,
and, for a card's monthly statement, the figures ``/liabilities/get`` reports. Every format
renders the same period, so a file reconciles with the API to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import accounts as accounts_mod
from .. import balances, institutions, items
from ..errors import InvalidField
from ..institutions import Institution
from ..ledger import cards
from ..models import Account, Item, Transaction


@dataclass(frozen=True)
class Line:
    """One posted transaction: Plaid's sign (positive = money out) and the balance after it."""

    id: str
    date: dt.date
    authorized_date: dt.date | None
    name: str
    merchant_name: str | None
    category: str
    payment_channel: str
    amount_minor: int
    balance_minor: int
    check_number: str | None = None

    @property
    def outflow(self) -> bool:
        """Money left the account (a purchase, a debit)."""
        return self.amount_minor > 0


@dataclass(frozen=True)
class CardTerms:
    """A card statement's figures, as ``/liabilities/get`` computes them."""

    statement_minor: int
    minimum_minor: int
    due_date: dt.date
    apr: float
    limit_minor: int | None
    interest_minor: int


@dataclass(frozen=True)
class Period:
    """An account's posted activity from ``start`` to ``end`` with its balances."""

    institution: Institution
    item: Item
    account: Account
    holder: str
    address: tuple[str, ...]
    start: dt.date
    end: dt.date
    opening_minor: int
    closing_minor: int
    lines: tuple[Line, ...]
    card: CardTerms | None = None

    @property
    def is_card(self) -> bool:
        """Balances are amounts owed (credit accounts), not amounts held."""
        return self.account.type == "credit"

    @property
    def currency(self) -> str:
        """The account's ISO currency."""
        return self.account.currency

    def total_minor(self, *, outflows: bool) -> int:
        """The sum of the period's outflows (or inflows), as a positive number."""
        return sum(abs(line.amount_minor) for line in self.lines if line.outflow == outflows)


def build(
    session: Session, item: Item, account: Account, start: dt.date, end: dt.date, today: dt.date
) -> Period:
    """The posted activity of ``account`` dated ``start``..``end`` (clamped to the history
    the bank keeps and to ``today``)."""
    if end < start:
        raise InvalidField("end must not be before start", field="end")
    if start > today:
        raise InvalidField("start must not be in the future", field="start")
    if end < item.history_start:
        raise InvalidField(f"the history starts on {item.history_start}", field="end")
    start, end = max(start, item.history_start), min(end, today)
    opening = _opening(session, item, account, start)
    sign = 1 if account.type in ("credit", "loan") else -1
    lines, balance = [], opening
    for row in _posted(session, item, account, start, end):
        balance += sign * row.amount_minor
        lines.append(
            Line(
                id=row.id,
                date=row.date,
                authorized_date=row.authorized_date,
                name=row.name,
                merchant_name=row.merchant_name,
                category=row.category,
                payment_channel=row.payment_channel,
                amount_minor=row.amount_minor,
                balance_minor=balance,
                check_number=(row.details or {}).get("check_number"),
            )
        )
    institution = institutions.get(item.institution_id)
    owner = accounts_mod.owner(items.data_key(item.tenant, item), institution.country)
    where = owner["addresses"][0]["data"]
    address = (where["street"], " ".join(filter(None, [where["city"], where["region"]])))
    return Period(
        institution=institution,
        item=item,
        account=account,
        holder=owner["names"][0],
        address=(*address, where["postal_code"] or ""),
        start=start,
        end=end,
        opening_minor=opening,
        closing_minor=balance,
        lines=tuple(lines),
    )


def with_card_terms(session: Session, period: Period) -> Period:
    """The period as a card statement closing on ``period.end``: balance, minimum, due, APR."""
    institution = period.institution
    plan = items.plan_for(session, period.item, institution.country, institution.currency)
    card = next(p for p in plan.accounts if p.ordinal == period.account.ordinal)
    interest = cards.interest_minor(card)
    terms = CardTerms(
        statement_minor=period.closing_minor,
        minimum_minor=cards.minimum_payment_minor(period.closing_minor, interest),
        due_date=period.end + dt.timedelta(days=cards.DUE_AFTER_DAYS),
        apr=card.apr or 0.0,
        limit_minor=period.account.limit_minor,
        interest_minor=interest,
    )
    return Period(**{**vars(period), "card": terms})


def card_cycle(session: Session, item: Item, account: Account, day: dt.date) -> dt.date:
    """The last statement close of a card on or before ``day``."""
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    card = next(p for p in plan.accounts if p.ordinal == account.ordinal)
    return cards.last_close(plan, card, day)


def _opening(session: Session, item: Item, account: Account, start: dt.date) -> int:
    """The end-of-day balance of the day before ``start``: the same replay the charts use."""
    before = start - dt.timedelta(days=1)
    (series,) = balances.history(session, item, [account], before, before)
    return series.points[0][1]


def _posted(
    session: Session, item: Item, account: Account, start: dt.date, end: dt.date
) -> list[Transaction]:
    """Posted, live rows in the order they hit the account."""
    return list(
        session.scalars(
            select(Transaction)
            .where(
                Transaction.item_pk == item.pk,
                Transaction.account_id == account.id,
                Transaction.pending.is_(False),
                Transaction.removed.is_(False),
                Transaction.date >= start,
                Transaction.date <= end,
            )
            .order_by(Transaction.date, Transaction.created_seq, Transaction.id)
        )
    )
