"""Which file rows are already known: one-to-one matching on a fingerprint.

A fingerprint is the account, the amount, the normalised payee and a date window (a bank
may date a row a day or two apart from the API). Matching is one-to-one and nearest date
first, so two identical coffees on one day match two stored coffees, and a file with two
where the store has one adds exactly one. Rows whose payee was spelt differently get a
second chance on the exact amount and the exact date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from client.providers.model import normalise_payee

WINDOW = dt.timedelta(days=3)


@dataclass(frozen=True)
class Known:
    """A stored transaction as matching sees it."""

    id: int
    date: dt.date
    amount: Decimal
    description: str


def payee_key(description: str) -> str:
    """The payee as matching compares it: normalised, case-folded, digits and spaces dropped."""
    return "".join(c for c in (normalise_payee(description) or "").casefold() if c.isalpha())


def match(rows: Sequence[tuple[dt.date, Decimal, str]], known: Sequence[Known]) -> dict[int, int]:
    """Row index -> id of the stored transaction it is; each stored row matches at most once."""
    claimed: set[int] = set()
    found: dict[int, int] = {}
    keys = {k.id: payee_key(k.description) for k in known}
    by_amount: dict[Decimal, list[Known]] = defaultdict(list)
    for k in known:
        by_amount[k.amount].append(k)
    for exact_payee in (True, False):
        for index in sorted(range(len(rows)), key=lambda i: rows[i][0]):
            if index in found:
                continue
            date, amount, description = rows[index]
            key = payee_key(description)
            best = min(
                (
                    k
                    for k in by_amount.get(amount, ())
                    if k.id not in claimed
                    and (keys[k.id] == key if exact_payee else k.date == date)
                    and abs(k.date - date) <= WINDOW
                ),
                key=lambda k: (abs(k.date - date), k.id),
                default=None,
            )
            if best is not None:
                claimed.add(best.id)
                found[index] = best.id
    return found
