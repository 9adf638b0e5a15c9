"""The securities investment accounts hold, and their daily closing prices.

A close is a seeded random walk: each trading day moves the previous close by a draw of
basis points keyed on the security and the date alone, so every tenant, machine and
request sees the same price for the same day, and moving the simulated clock moves it.
Prices are integers in ten-thousandths of a currency unit (``PRICE_SCALE``): no floats.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from ..seeding import make_id, rng_for

PRICE_SCALE = 10_000
WALK_START = dt.date(2020, 1, 2)  # the first close of every walk (a Thursday)
SATURDAY = 5


@dataclass(frozen=True)
class Security:
    """One instrument: identifiers, kind and where its price walk starts."""

    ticker: str
    name: str
    type: str  # Plaid's security types: equity, etf, mutual fund, fixed income, cash...
    cusip8: str | None  # CUSIP without its check digit; None for cash
    start_price: int  # close on WALK_START, in PRICE_SCALE units
    volatility_bp: int  # the largest daily move, in basis points
    dividend_yield_bp: int = 0  # yearly, paid quarterly
    market: str | None = None  # ISO 10383 MIC of its listing (Plaid's market_identifier_code)
    classification: tuple[str, str] | None = None  # Plaid's (sector, industry)
    cfi_code: str | None = None  # ISO 10962

    @property
    def id(self) -> str:
        """Plaid's ``security_id``: stable across items and tenants."""
        return make_id("security", self.ticker)

    @property
    def cusip(self) -> str | None:
        """The nine-character CUSIP with its modulus-10 check digit."""
        return None if self.cusip8 is None else self.cusip8 + cusip_check_digit(self.cusip8)

    @property
    def isin(self) -> str | None:
        """The US ISIN wrapping the CUSIP, with its Luhn check digit (ISO 6166)."""
        if self.cusip is None:
            return None
        return f"US{self.cusip}{isin_check_digit('US' + self.cusip)}"

    @property
    def sector(self) -> str | None:
        return self.classification[0] if self.classification else None

    @property
    def industry(self) -> str | None:
        return self.classification[1] if self.classification else None

    @property
    def is_cash(self) -> bool:
        """Cash is held as a security priced at 1 (as Plaid reports it)."""
        return self.type == "cash"


# Where and how the real instruments are listed and classified, in the terms Plaid's own
# samples use: funds (ETFs and mutual funds alike) are "Miscellaneous" / "Investment Trusts
# or Mutual Funds", mutual funds quoted on Nasdaq (XNAS), ETFs on NYSE Arca (ARCX).
FUND = ("Miscellaneous", "Investment Trusts or Mutual Funds")
COMMON_STOCK_CFI = "ESVUFR"  # equity, shares: voting, unrestricted, fully paid, registered
CASH = Security("CUR:USD", "U S Dollar", "cash", None, PRICE_SCALE, 0)
CATALOGUE: tuple[Security, ...] = (
    CASH,
    Security(
        "AAPL",
        "Apple Inc.",
        "equity",
        "03783310",
        740_000,
        120,
        50,
        market="XNAS",
        classification=("Electronic Technology", "Telecommunications Equipment"),
        cfi_code=COMMON_STOCK_CFI,
    ),
    Security(
        "MSFT",
        "Microsoft Corporation",
        "equity",
        "59491810",
        1_600_000,
        110,
        80,
        market="XNAS",
        classification=("Technology Services", "Packaged Software"),
        cfi_code=COMMON_STOCK_CFI,
    ),
    Security(
        "SPY",
        "SPDR S&P 500 ETF Trust",
        "etf",
        "78462F10",
        3_240_000,
        70,
        130,
        market="ARCX",
        classification=FUND,
    ),
    Security(
        "VTI",
        "Vanguard Total Stock Market ETF",
        "etf",
        "92290876",
        1_640_000,
        70,
        140,
        market="ARCX",
        classification=FUND,
    ),
    Security(
        "AGG",
        "iShares Core U.S. Aggregate Bond ETF",
        "etf",
        "46428722",
        1_130_000,
        20,
        330,
        market="ARCX",
        classification=FUND,
    ),
    Security(
        "VFIAX",
        "Vanguard 500 Index Fund Admiral Shares",
        "mutual fund",
        "92290871",
        2_980_000,
        70,
        130,
        market="XNAS",
        classification=FUND,
    ),
    Security(
        "VBTLX",
        "Vanguard Total Bond Market Index Fund Admiral Shares",
        "mutual fund",
        "92193710",
        1_100_000,
        15,
        300,
        market="XNAS",
        classification=FUND,
    ),
    Security(
        "VFFVX",
        "Vanguard Target Retirement 2055 Fund",
        "mutual fund",
        "92202E75",
        450_000,
        60,
        170,
        market="XNAS",
        classification=FUND,
    ),
)
BY_TICKER = {s.ticker: s for s in CATALOGUE}

_walks: dict[str, list[int]] = {}
_walk_lock = threading.Lock()


def cusip_check_digit(base: str) -> str:
    """The CUSIP check digit of the first eight characters (the "modulus 10 double add")."""
    total = 0
    for position, char in enumerate(base.upper()):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        if position % 2 == 1:
            value *= 2
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def isin_check_digit(base: str) -> str:
    """The ISIN check digit: letters become numbers (A=10), then Luhn over the digits."""
    numbers = "".join(str(int(c, 36)) for c in base.upper())
    total = 0
    for position, char in enumerate(reversed(numbers)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def trading_day(day: dt.date) -> dt.date:
    """The last weekday on or before ``day`` (the sandbox knows no market holidays)."""
    return day - dt.timedelta(days=max(0, day.weekday() - SATURDAY + 1))


def close(security: Security, day: dt.date) -> int:
    """The close of the last trading day on or before ``day``, in ``PRICE_SCALE`` units."""
    if security.is_cash or day <= WALK_START:
        return security.start_price
    index = (trading_day(day) - WALK_START).days
    walk = _walks.get(security.ticker)
    if walk is None or len(walk) <= index:
        walk = _extend(security, index)
    return walk[index]


def _extend(security: Security, index: int) -> list[int]:
    """Walk the closes up to ``index`` days after ``WALK_START`` (weekends repeat Friday)."""
    with _walk_lock:
        walk = _walks.setdefault(security.ticker, [security.start_price])
        while len(walk) <= index:
            day = WALK_START + dt.timedelta(days=len(walk))
            if day.weekday() >= SATURDAY:
                walk.append(walk[-1])
                continue
            rng = rng_for("close", security.ticker, day.isoformat())
            # An upward drift: the draw's range leans 6 basis points to the positive.
            move = rng.randint(-security.volatility_bp, security.volatility_bp + 6)
            walk.append(max(1, (walk[-1] * (10_000 + move) + 5_000) // 10_000))
        return walk
