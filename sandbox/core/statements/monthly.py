"""Monthly statements: which exist for an account, their ids, and their periods.

A deposit account's statement covers a calendar month; a card's covers the billing cycle
that closes in that month (the cycle ``/liabilities/get`` reports). A statement exists once
its period has ended and it lies within the item's history. Ids are derived from the
account and the month, so a list and a download agree without storing anything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..errors import InvalidField
from ..ledger.model import add_months, month_end, month_start
from ..models import Account, Item
from . import period as period_mod

STATEMENT_SUBTYPES = {"checking", "savings", "money market", "cash management", "credit card"}
_ID = re.compile(r"stmt-(?P<account>[A-Za-z0-9]+)-(?P<year>[0-9]{4})(?P<month>[0-9]{2})")


@dataclass(frozen=True)
class Monthly:
    """One monthly statement of one account."""

    account: Account
    year: int
    month: int
    start: dt.date
    end: dt.date

    @property
    def statement_id(self) -> str:
        """The statement's id, stable for the account and month."""
        return f"stmt-{self.account.id}-{self.year:04d}{self.month:02d}"

    @property
    def date_posted(self) -> dt.date:
        """When the bank made it available: the day after the period closed."""
        return self.end + dt.timedelta(days=1)


def has_statements(account: Account) -> bool:
    """Deposit accounts and credit cards get monthly statements."""
    return account.subtype in STATEMENT_SUBTYPES


def listing(session: Session, item: Item, account: Account, today: dt.date) -> list[Monthly]:
    """Every complete monthly statement of ``account``, oldest first."""
    if not has_statements(account):
        return []
    found = []
    month = month_start(item.history_start)
    while month <= today:
        found.append(_statement(session, item, account, month.year, month.month))
        month = add_months(month, 1, 1)
    return [s for s in found if s.start >= item.history_start and s.end < today]


def find(session: Session, item: Item, statement_id: str, today: dt.date) -> Monthly:
    """The statement with this id among the item's accounts (complete ones only)."""
    match = _ID.fullmatch(statement_id)
    account = next(
        (a for a in item.accounts if match and a.id == match["account"] and has_statements(a)),
        None,
    )
    month = _walked_month(item, match["year"], match["month"], today) if match else None
    found = None
    if account is not None and month is not None:
        found = _statement(session, item, account, month.year, month.month)
    if found is None or found.end >= today or found.start < item.history_start:
        raise InvalidField(
            "statement_id does not name a statement of this item", field="statement_id"
        )
    return found


def period(session: Session, item: Item, statement: Monthly, today: dt.date) -> period_mod.Period:
    """The statement's period, with the card figures when it is a card statement."""
    built = period_mod.build(
        session, item, statement.account, statement.start, statement.end, today
    )
    if statement.account.type == "credit":
        return period_mod.with_card_terms(session, built)
    return built


def _walked_month(item: Item, year: str, month: str, today: dt.date) -> dt.date | None:
    """The month's first day if ``listing`` walks it; None for a month out of the calendar
    (13, 00, year 0000: no date) or out of the history (a card's January of year 1 has no
    cycle before it): refused before anything builds its period."""
    try:
        first = dt.date(int(year), int(month), 1)
    except ValueError:
        return None
    return first if month_start(item.history_start) <= first <= today else None


def _statement(session: Session, item: Item, account: Account, year: int, month: int) -> Monthly:
    first = dt.date(year, month, 1)
    if account.type != "credit":
        return Monthly(account, year, month, first, month_end(first))
    close = period_mod.card_cycle(session, item, account, month_end(first))
    previous = period_mod.card_cycle(session, item, account, close - dt.timedelta(days=1))
    return Monthly(account, year, month, previous + dt.timedelta(days=1), close)
