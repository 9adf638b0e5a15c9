"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, overload

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

SCALE = Decimal(10) ** 4
BIGINT_MAX = 2**63 - 1  # the largest value (or id) a 64-bit integer column holds


class Money(TypeDecorator[Decimal]):
    """Decimal stored as an integer of 1/10,000 units: exact, summable, no float on SQLite."""

    impl = BigInteger
    cache_ok = True
    LARGEST = Decimal(BIGINT_MAX) / SCALE  # in either direction

    @classmethod
    def storable(cls, value: Decimal) -> bool:
        """Whether the column can hold ``value``: finite, within 64 bits, four places at most
        (what an amount a user typed, or a cursor they edited, must be checked for)."""
        if not value.is_finite() or value.copy_abs() > cls.LARGEST:  # before any arithmetic
            return False
        return value * SCALE == (value * SCALE).to_integral_value()

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        """Scale to an integer; an amount the column cannot hold is a bug upstream."""
        if value is None:
            return None
        value = Decimal(value)  # a query may compare with a plain int
        if not self.storable(value):
            raise ValueError(f"amount {value} is not finite, beyond 64 bits or past 4 places")
        return int(value * SCALE)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Back to a Decimal with the original precision."""
        return None if value is None else (Decimal(int(value)) / SCALE).normalize()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Store naive UTC; naive input is refused so local times never sneak in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Reattach UTC."""
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Fit:
    """Cuts text to the length of a ``String(n)`` model attribute.

    PostgreSQL refuses a value longer than the column (a driver error that would fail the
    whole sync page) where SQLite stores it whole; a name a provider sends longer than the
    store keeps is stored as its first ``n`` characters on both, and the transaction with it.
    Made once per column, at import: reading an attribute's type goes through SQLAlchemy's
    proxies, which cost a sync page more than writing its rows when done per name."""

    __slots__ = ("length",)

    def __init__(self, column: Any) -> None:
        self.length: int | None = getattr(column.type, "length", None)

    @overload
    def __call__(self, value: str) -> str: ...
    @overload
    def __call__(self, value: str | None) -> str | None: ...
    def __call__(self, value: str | None) -> str | None:
        """``value`` cut to the column's length (None stays None)."""
        return value[: self.length] if value is not None and self.length is not None else value
