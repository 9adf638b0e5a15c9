"""An investment account's life: contributions, buys, sells, dividends, fees and transfers.

The account starts at ``START`` with a mix of securities picked from the plan's key; every
later trade is generated day by day from the holdings the earlier days left, so the trades
always agree with the holdings and the cash. Quantities are integers in thousandths of a
share, prices in ``securities.PRICE_SCALE`` units and money in minor units: no floats.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from ..seeding import rng_for
from . import securities
from .model import ANCHOR, AccountPlan, ItemPlan
from .securities import BY_TICKER, Security

START = ANCHOR - dt.timedelta(days=731)  # the portfolio's first day (a Monday)
MILLI = 1_000  # quantities are in thousandths of a share
MIXES = {
    "401k": ("VFIAX", "VBTLX", "VFFVX"),
    "403b": ("VFIAX", "VBTLX", "VFFVX"),
    "ira": ("VTI", "AGG", "AAPL"),
    "roth": ("VTI", "AGG", "AAPL"),
}
BROKERAGE_MIX = ("AAPL", "MSFT", "SPY", "VTI", "AGG")
RETIREMENT = {"401k", "403b", "ira", "roth", "roth 401k", "sep ira", "simple ira"}
QUARTER_ENDS = (3, 6, 9, 12)
_lock = threading.Lock()


@dataclass(frozen=True)
class Trade:
    """One investment transaction, in Plaid's sign: a positive amount leaves the account."""

    key: str
    day: dt.date
    type: str
    subtype: str
    ticker: str | None  # None: a cash movement that names no security
    quantity_milli: int
    price: int
    amount_minor: int
    name: str
    fees_minor: int = 0


@dataclass(frozen=True)
class Position:
    """Shares of one security and what they cost."""

    quantity_milli: int
    cost_minor: int


@dataclass(frozen=True)
class Holdings:
    """Everything the account holds at the end of ``day``."""

    day: dt.date
    cash_minor: int
    positions: dict[str, Position] = field(default_factory=dict)

    def value_minor(self, on: dt.date) -> int:
        """The cash plus every position at the close of ``on``."""
        return self.cash_minor + sum(
            worth(p.quantity_milli, securities.close(BY_TICKER[t], on))
            for t, p in self.positions.items()
        )


@dataclass
class Book:
    """The trades generated so far and the holdings after each day that had one."""

    account: AccountPlan
    mix: tuple[Security, ...]
    trades: list[Trade]
    days: list[dt.date]
    snapshots: list[Holdings]
    through: dt.date


def worth(quantity_milli: int, price: int) -> int:
    """Minor units of ``quantity_milli`` thousandths of a share at ``price`` (half up)."""
    return (quantity_milli * price + 50_000) // 100_000


def holdings_on(plan: ItemPlan, account: AccountPlan, day: dt.date) -> Holdings:
    """The account's holdings at the end of ``day``."""
    book = _book(plan, account, day)
    index = max(0, bisect_right(book.days, day) - 1)  # before START: the opening holdings
    return replace(book.snapshots[index], day=day)


def trades_between(
    plan: ItemPlan, account: AccountPlan, start: dt.date, end: dt.date
) -> list[Trade]:
    """The account's trades dated ``start`` to ``end``, oldest first."""
    book = _book(plan, account, end)
    return [t for t in book.trades if start <= t.day <= end]


def mix_of(plan: ItemPlan, account: AccountPlan) -> tuple[Security, ...]:
    """The securities the account invests in, chosen by its subtype and the plan's key."""
    tickers = MIXES.get(account.subtype or "", BROKERAGE_MIX)
    rng = rng_for(*plan.key, account.ordinal, "mix")
    chosen = sorted(rng.sample(range(len(tickers)), min(3, len(tickers))))
    return tuple(BY_TICKER[tickers[i]] for i in chosen)


def _book(plan: ItemPlan, account: AccountPlan, until: dt.date) -> Book:
    """The account's book, generated at least through ``until`` (cached on the plan)."""
    key = ("portfolio", account.ordinal)
    with _lock:
        book: Book | None = plan.memo.get(key)
        if book is None:
            book = _opening(plan, account)
            plan.memo[key] = book
        day = book.through
        while day < until:
            day += dt.timedelta(days=1)
            _trade_day(plan, book, day)
        book.through = max(book.through, until)
        return book


def _opening(plan: ItemPlan, account: AccountPlan) -> Book:
    """Holdings on ``START``: 70% of the opening value invested across the mix, 3% cash."""
    mix = mix_of(plan, account)
    rng = rng_for(*plan.key, account.ordinal, "weights")
    weights = [rng.randint(20, 60) for _ in mix]
    invested = account.opening_minor * 70 // 100
    positions = {}
    for security, weight in zip(mix, weights, strict=True):
        budget = invested * weight // sum(weights)
        price = securities.close(security, START)
        quantity = budget * 100_000 // price
        positions[security.ticker] = Position(quantity, worth(quantity, price))
    opening = Holdings(START, account.opening_minor * 3 // 100, positions)
    return Book(account, mix, [], [START], [opening], START)


def _trade_day(plan: ItemPlan, book: Book, day: dt.date) -> None:
    """Generate ``day``'s trades from the holdings before it and record the holdings after."""
    if day.weekday() >= securities.SATURDAY:
        return
    before = book.snapshots[-1]
    trades = _trades_on(plan, book, before, day)
    if not trades:
        return
    after = before
    for trade in trades:
        after = _apply(after, trade)
    book.trades.extend(trades)
    book.days.append(day)
    book.snapshots.append(replace(after, day=day))


def _trades_on(plan: ItemPlan, book: Book, before: Holdings, day: dt.date) -> list[Trade]:
    account, iso = book.account, day.isoformat()
    found: list[Trade] = []
    if day == _first_weekday(day.year, day.month, 15):
        found += _contribution(plan, book, day, iso)
    if day.month in QUARTER_ENDS and day == _last_weekday(day):
        found += _dividends(before, day, iso)
    if day == _first_weekday(day.year, day.month, 1):
        found += _fees_and_rebalancing(account, before, day, iso)
    if account.subtype in ("ira", "roth") and day == START + dt.timedelta(days=45):
        found.append(_transfer_in(book, day, iso))
    return found


def _contribution(plan: ItemPlan, book: Book, day: dt.date, iso: str) -> list[Trade]:
    """Money in on the 15th, invested at once in the next security of the mix."""
    account = book.account
    amount = max(2_500, account.opening_minor // 120)
    retirement = (account.subtype or "") in RETIREMENT
    cash = Trade(
        f"{iso}:contribution",
        day,
        "cash",
        "contribution" if retirement else "deposit",
        None,
        0,
        securities.PRICE_SCALE,
        -amount,
        _contribution_name(account.subtype or ""),
    )
    months = (day.year - START.year) * 12 + day.month - START.month
    security = book.mix[months % len(book.mix)]
    price = securities.close(security, day)
    quantity = amount * 100_000 // price
    if quantity == 0:
        return [cash]
    buy = Trade(
        f"{iso}:buy:{security.ticker}",
        day,
        "buy",
        "buy",
        security.ticker,
        quantity,
        price,
        worth(quantity, price),
        f"BUY {security.name}",
    )
    return [cash, buy]


def _contribution_name(subtype: str) -> str:
    if subtype in ("401k", "403b"):
        return "Employee contribution"
    return "IRA contribution" if subtype in RETIREMENT else "Deposit"


def _dividends(before: Holdings, day: dt.date, iso: str) -> list[Trade]:
    """A quarter's dividend of every position that pays one, in cash."""
    found = []
    for ticker, position in sorted(before.positions.items()):
        security = BY_TICKER[ticker]
        value = worth(position.quantity_milli, securities.close(security, day))
        amount = value * security.dividend_yield_bp // 40_000
        if amount > 0:
            found.append(
                Trade(
                    f"{iso}:dividend:{ticker}",
                    day,
                    "cash",
                    "dividend",
                    ticker,
                    0,
                    0,
                    -amount,
                    f"DIVIDEND {security.name}",
                )
            )
    return found


def _fees_and_rebalancing(
    account: AccountPlan, before: Holdings, day: dt.date, iso: str
) -> list[Trade]:
    """401(k) quarterly management fees, the IRA's yearly fee, brokerage trims and payouts."""
    subtype = account.subtype or ""
    if subtype in ("401k", "403b") and day.month in (1, 4, 7, 10):
        fee = max(1, before.value_minor(day) * 5 // 10_000)
        return [Trade(f"{iso}:fee", day, "fee", "management fee", None, 0, 0, fee, "Plan fee")]
    if subtype in RETIREMENT:
        if day.month != 2:
            return []
        fee = min(2_500, before.cash_minor)  # taken from the cash only, never on margin
        if fee <= 0:
            return []
        return [Trade(f"{iso}:fee", day, "fee", "account fee", None, 0, 0, fee, "Annual fee")]
    if day.month in (5, 11) and before.positions:
        return [_trim_largest(before, day, iso)]
    if day.month == 12 and before.cash_minor > 0:
        amount = before.cash_minor // 2
        name = "Transfer to linked checking"
        return [Trade(f"{iso}:withdrawal", day, "cash", "withdrawal", None, 0, 0, amount, name)]
    return []


def _trim_largest(before: Holdings, day: dt.date, iso: str) -> Trade:
    """Sell 15% of the largest position (the brokerage account's half-yearly rebalance)."""

    def value(ticker: str) -> int:
        return worth(
            before.positions[ticker].quantity_milli, securities.close(BY_TICKER[ticker], day)
        )

    ticker = max(sorted(before.positions), key=value)
    security = BY_TICKER[ticker]
    price = securities.close(security, day)
    quantity = before.positions[ticker].quantity_milli * 15 // 100
    return Trade(
        f"{iso}:sell:{ticker}",
        day,
        "sell",
        "sell",
        ticker,
        -quantity,
        price,
        -worth(quantity, price),
        f"SELL {security.name}",
    )


def _transfer_in(book: Book, day: dt.date, iso: str) -> Trade:
    """Shares moved in from another broker (ACATS): the position grows, the cash does not."""
    security = book.mix[0]
    price = securities.close(security, day)
    quantity = max(MILLI, book.account.opening_minor * 5 * 1_000 // price)
    return Trade(
        f"{iso}:transfer:{security.ticker}",
        day,
        "transfer",
        "transfer",
        security.ticker,
        quantity,
        price,
        0,
        f"ACATS transfer in {security.name}",
    )


def _apply(holdings: Holdings, trade: Trade) -> Holdings:
    """The holdings after ``trade``: cash moves by its amount, a position by its quantity."""
    positions = dict(holdings.positions)
    if trade.ticker is not None and trade.quantity_milli:
        held = positions.get(trade.ticker, Position(0, 0))
        if trade.quantity_milli > 0:
            cost = held.cost_minor + worth(trade.quantity_milli, trade.price)
        else:
            cost = (
                held.cost_minor
                * (held.quantity_milli + trade.quantity_milli)
                // max(1, held.quantity_milli)
            )
        positions[trade.ticker] = Position(held.quantity_milli + trade.quantity_milli, cost)
    cash = holdings.cash_minor - trade.amount_minor - trade.fees_minor
    return Holdings(holdings.day, cash, positions)


def _first_weekday(year: int, month: int, day: int) -> dt.date:
    """``day`` of the month, moved to the Monday after when it falls on a weekend."""
    date = dt.date(year, month, day)
    while date.weekday() >= securities.SATURDAY:
        date += dt.timedelta(days=1)
    return date


def _last_weekday(day: dt.date) -> dt.date:
    """The month's last weekday."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return securities.trading_day(following - dt.timedelta(days=1))
