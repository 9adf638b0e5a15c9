"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

SCALE = Decimal(10) ** 4


class Money(TypeDecorator[Decimal]):
    """Decimal stored as an integer of 1/10,000 units: exact, summable, no float on SQLite."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        """Scale to an integer; more than four decimals is a bug upstream."""
        if value is None:
            return None
        scaled = value * SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {value} has more than 4 decimal places")
        return int(scaled)

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
