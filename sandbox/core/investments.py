"""Investments facts for an item: holdings, securities and investment transactions.

Everything is read off the ledger's portfolio engine (``ledger.portfolio``), so the
holdings at any simulated day are exactly the opening positions plus the trades dated up to
it, and their value is the account's ``current`` balance. The dialect renders these
value types; quantities stay in thousandths of a share and money in minor units here.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from . import institutions, items
from .errors import InvalidField, ItemError, NoInvestmentAccounts
from .ledger import ItemPlan, portfolio, securities
from .ledger.securities import BY_TICKER, CASH, Security
from .models import Account, Item, ProcessorToken
from .seeding import digits, make_id, rng_for

SEEN = "investments_seen_on"  # account.details key: the day of the last refresh
# What the initial extraction reads: Plaid serves up to 24 months of investment transactions.
EXTRACTED = dt.timedelta(days=730)


@dataclass(frozen=True)
class Holding:
    """One position of one account (cash is a position in the cash security)."""

    account: Account
    security: Security
    quantity_milli: int
    price: int
    price_as_of: dt.date
    value_minor: int
    cost_minor: int
    currency: str


@dataclass(frozen=True)
class InvestmentTransaction:
    """One trade of one account, with its stable id."""

    id: str
    account: Account
    security: Security | None
    trade: portfolio.Trade
    currency: str


@dataclass(frozen=True)
class Quote:
    """A security with its latest close as of a day."""

    security: Security
    close: int
    as_of: dt.date


@dataclass
class Portfolio:
    """The item's investment accounts and what ``holdings``/``transactions`` found.

    ``shown``: every account asked about, which Plaid's reply lists whatever its type;
    ``accounts``: the investment accounts among them, which hold the positions and trades.
    """

    item: Item
    accounts: list[Account]
    holdings: list[Holding]
    transactions: list[InvestmentTransaction]
    total_transactions: int
    today: dt.date
    shown: list[Account]

    @property
    def securities(self) -> list[Quote]:
        """Every security a holding or a transaction names, in catalogue order, quoted."""
        named = {h.security.ticker for h in self.holdings}
        named |= {t.security.ticker for t in self.transactions if t.security is not None}
        as_of = securities.trading_day(self.today)
        return [
            Quote(s, securities.close(s, as_of), as_of)
            for s in securities.CATALOGUE
            if s.ticker in named
        ]


def investment_accounts(
    selected: list[Account], missing: type[ItemError] = NoInvestmentAccounts
) -> list[Account]:
    """The investment accounts among ``selected``; none raises ``missing`` (the product's
    own error: ``NO_INVESTMENT_ACCOUNTS`` for Investments)."""
    found = [a for a in selected if a.type == "investment"]
    if not found:
        raise missing()
    return found


def holdings(session: Session, item: Item, selected: list[Account], today: dt.date) -> Portfolio:
    """Every position of the investment accounts among ``selected`` at the end of ``today``."""
    accounts = investment_accounts(selected)
    plan, currency = _plan(session, item)
    plans = {p.ordinal: p for p in plan.accounts}
    found = []
    for account in accounts:
        held = portfolio.holdings_on(plan, plans[account.ordinal], today)
        as_of = securities.trading_day(today)
        found.append(
            # one share of cash is one currency unit: a thousandth of it is ten minor units
            Holding(
                account,
                CASH,
                held.cash_minor * 10,
                CASH.start_price,
                as_of,
                held.cash_minor,
                held.cash_minor,
                currency,
            )
        )
        for ticker, position in sorted(held.positions.items()):
            if position.quantity_milli == 0:
                continue
            security = BY_TICKER[ticker]
            price = securities.close(security, today)
            value = portfolio.worth(position.quantity_milli, price)
            found.append(
                Holding(
                    account,
                    security,
                    position.quantity_milli,
                    price,
                    as_of,
                    value,
                    position.cost_minor,
                    currency,
                )
            )
    return Portfolio(item, accounts, found, [], 0, today, selected)


def transactions(
    session: Session,
    item: Item,
    selected: list[Account],
    start: dt.date,
    end: dt.date,
    *,
    count: int,
    offset: int,
    today: dt.date,
) -> Portfolio:
    """Trades dated ``start``..``end`` of the investment accounts, newest first, one page.

    Nothing is traded after ``today``: a range reaching into the future stops there.
    """
    if end < start:
        raise InvalidField("end_date must not be before start_date", field="end_date")
    end = min(end, today)
    accounts = investment_accounts(selected)
    plan, currency = _plan(session, item)
    plans = {p.ordinal: p for p in plan.accounts}
    found = [
        InvestmentTransaction(
            make_id(account.id, "investment", trade.key),
            account,
            BY_TICKER[trade.ticker] if trade.ticker else None,
            trade,
            currency,
        )
        for account in accounts
        for trade in portfolio.trades_between(plan, plans[account.ordinal], start, end)
    ]
    found.sort(key=lambda t: t.trade.day, reverse=True)  # stable: same-day trades keep their order
    page = found[offset : offset + count]
    return Portfolio(item, accounts, [], page, len(found), today, selected)


def report_portfolio(
    session: Session, item: Item, account: Account, start: dt.date, day: dt.date
) -> Portfolio:
    """An investment account in an Asset report with the ``investments`` add-on: its holdings
    at the end of ``day`` and every trade from ``start`` to ``day``, as the Investments
    endpoints give them that day."""
    held = holdings(session, item, [account], day)
    traded = transactions(
        session, item, [account], start, day, count=sys.maxsize, offset=0, today=day
    )
    return replace(
        held, transactions=traded.transactions, total_transactions=len(traded.transactions)
    )


def _plan(session: Session, item: Item) -> tuple[ItemPlan, str]:
    institution = institutions.get(item.institution_id)
    return items.plan_for(session, item, institution.country, institution.currency), (
        institution.currency
    )


@dataclass(frozen=True)
class Refresh:
    """What changed since the previous refresh (or the link): the webhooks' counts, the new
    trades by account id (a partner's copy counts its account's)."""

    new_holdings: int
    updated_holdings: int
    trades: dict[str, int]

    @property
    def new_transactions(self) -> int:
        """The item's new trades."""
        return sum(self.trades.values())


def refresh(session: Session, item: Item, today: dt.date) -> Refresh:
    """Count the holdings that appeared or changed (quantity or price) and the trades made since
    the last look, and look again."""
    accounts = investment_accounts(list(item.accounts))
    plan, _ = _plan(session, item)
    plans = {p.ordinal: p for p in plan.accounts}
    new = updated = 0
    trades = {}
    for account in accounts:
        account_plan = plans[account.ordinal]
        since = dt.date.fromisoformat(
            account.details.get(SEEN) or item.created_at.date().isoformat()
        )
        before = _shown(session, item, account, since)
        after = _shown(session, item, account, today)
        new += len(after.keys() - before.keys())
        updated += sum(1 for held in after.keys() & before.keys() if after[held] != before[held])
        found = portfolio.trades_between(plan, account_plan, since + dt.timedelta(1), today)
        trades[account.id] = len(found)
        account.details = {**account.details, SEEN: today.isoformat()}
    return Refresh(new, updated, trades)


def _shown(
    session: Session, item: Item, account: Account, day: dt.date
) -> dict[str, tuple[int, int]]:
    """The account's holdings on ``day`` as ``/investments/holdings/get`` shows them (cash
    included), as quantity and price by security: what the webhook's counts compare."""
    found = holdings(session, item, [account], day).holdings
    return {h.security.ticker: (h.quantity_milli, h.price) for h in found}


def start_extraction(item: Item, now: dt.datetime, by: ProcessorToken | None = None) -> None:
    """Begin the initial extraction in the background (``async_update``): the item gains
    Investments when it ends (``extraction_due``). ``by``: the processor token whose call
    started it (its webhook hears the end); None for the app's access token."""
    item.investments_extracting_since = now
    item.investments_extraction_by = None if by is None else by.token


def extraction_due(item: Item, now: dt.datetime, takes: dt.timedelta) -> bool:
    """Whether the item's running extraction, which takes ``takes``, has ended by ``now``."""
    since = item.investments_extracting_since
    return since is not None and now >= since + takes


@dataclass(frozen=True)
class Extraction:
    """An ended extraction: the trades it found in each account (by account id), and the
    processor token that started it (None: the app)."""

    trades: dict[str, int]
    started_by: ProcessorToken | None


def finish_extraction(session: Session, item: Item, today: dt.date) -> Extraction:
    """End the running extraction: the item has Investments and its accounts count as looked
    at today (the next refresh counts from here)."""
    by = item.investments_extraction_by
    started_by = None if by is None else session.get(ProcessorToken, by)
    item.investments_extracting_since = item.investments_extraction_by = None
    item.products = sorted({*item.products, "investments"})
    plan, _ = _plan(session, item)
    plans = {p.ordinal: p for p in plan.accounts}
    trades = {}
    for account in item.accounts:
        if account.type != "investment":
            continue
        found = portfolio.trades_between(plan, plans[account.ordinal], today - EXTRACTED, today)
        trades[account.id] = len(found)
        account.details = {**account.details, SEEN: today.isoformat()}
    return Extraction(trades, started_by)


@dataclass(frozen=True)
class TransferNumbers:
    """What moving an account to another broker needs: its number, the DTC participant
    numbers of its custodian and, for an employer plan, the plan number."""

    account: Account
    number: str
    dtc_numbers: list[str]
    plan: str | None
    country: str


def transfer_numbers(item: Item, accounts: list[Account], country: str) -> list[TransferNumbers]:
    """Transfer numbers of ``accounts``; derived from the institution and account ids."""
    dtc_numbers = institutions.get(item.institution_id).dtc_numbers
    found = []
    for account in accounts:
        plan = None
        if account.subtype in ("401k", "403b"):
            plan = digits(rng_for("plan", account.id), 6)
        number = account.numbers.get("account") or digits(rng_for("acct", account.id), 10)
        found.append(TransferNumbers(account, number, dtc_numbers, plan, country))
    return found
