"""The CSV import/export format: the same columns as the local model, one row per transaction."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from client.providers.model import LocalTransaction, normalise_payee

COLUMNS = (
    "date",
    "account",
    "amount",
    "currency",
    "description",
    "payee",
    "category",
    "pending",
    "id",
)


def write_csv(rows: Iterable[LocalTransaction], out: IO[str]) -> int:
    """Export transactions; returns how many rows were written."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for t in rows:
        writer.writerow(
            [
                t.date.isoformat(),
                t.account_provider_id,
                f"{t.amount:.2f}",
                t.currency,
                t.description,
                t.payee or "",
                t.category or "",
                "1" if t.pending else "0",
                t.provider_id,
            ]
        )
        count += 1
    return count


def read_csv(src: IO[str], default_currency: str = "USD") -> Iterator[LocalTransaction]:
    """Import rows (positive = money in); rows without an id get a stable content hash."""
    for row in csv.DictReader(src):
        ident = (
            row.get("id")
            or hashlib.sha256("|".join(row.get(c, "") for c in COLUMNS).encode()).hexdigest()[:32]
        )
        yield LocalTransaction(
            provider_id=ident,
            account_provider_id=row["account"],
            amount=Decimal(row["amount"]),
            currency=row.get("currency") or default_currency,
            date=dt.date.fromisoformat(row["date"]),
            description=row.get("description", ""),
            payee=row.get("payee") or normalise_payee(row.get("description")),
            category=row.get("category") or None,
            pending=row.get("pending") == "1",
            source="csv",
        )
