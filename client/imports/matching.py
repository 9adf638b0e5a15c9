"""Which file rows are already known: one-to-one matching on a fingerprint.

A fingerprint is the account, the amount, the normalised payee and a date window (a bank
may date a row a day or two apart from the API). Matching is one-to-one and nearest date
first, so two identical coffees on one day match two stored coffees, and a file with two
where the store has one adds exactly one.

A bank's raw text and the API's cleaned name often spell one payee differently ("POS
PURCHASE 123 ACME" against "Acme Corp"), so rows left over get a second pass on the exact
amount and the exact date, but only when the two texts share a distinctive word and the
pairing is unambiguous: the plausible partners on each side all spell one payee.
Two rows whose payees share no word ("RENT PAYMENT" against "COFFEE SHOP") never match.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from client.providers.model import normalise_payee

WINDOW = dt.timedelta(days=3)
# Words a bank puts around any payee: sharing one of these says nothing about the payee.
BOILERPLATE = frozenset(
    [
        "ach",
        "autopay",
        "bill",
        "card",
        "checkcard",
        "com",
        "corp",
        "credit",
        "debit",
        "deposit",
        "des",
        "inc",
        "indn",
        "llc",
        "ltd",
        "mastercard",
        "online",
        "payment",
        "pmt",
        "pos",
        "ppd",
        "purchase",
        "recurring",
        "store",
        "the",
        "transfer",
        "visa",
        "web",
        "withdrawal",
        "www",
        "xfer",
    ]
)
_WORD = re.compile(r"[^\W\d_]{3,}")

Row = tuple[dt.date, Decimal, str]


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


def payee_words(description: str) -> frozenset[str]:
    """The words that name the payee: three letters or more, bank boilerplate left out."""
    words = _WORD.findall((normalise_payee(description) or "").casefold())
    return frozenset(words) - BOILERPLATE


def same_payee(one: str, other: str) -> bool:
    """Whether two spellings plausibly name one payee: the same key, or a shared word."""
    return payee_key(one) == payee_key(other) or bool(payee_words(one) & payee_words(other))


def match(rows: Sequence[Row], known: Sequence[Known]) -> dict[int, int]:
    """Row index -> id of the stored transaction it is; each stored row matches at most once."""
    claimed: set[int] = set()
    found: dict[int, int] = {}
    keys = {k.id: payee_key(k.description) for k in known}
    by_amount: dict[Decimal, list[Known]] = defaultdict(list)
    for k in known:
        by_amount[k.amount].append(k)
    for index in sorted(range(len(rows)), key=lambda i: rows[i][0]):
        date, amount, description = rows[index]
        key = payee_key(description)
        best = min(
            (
                k
                for k in by_amount.get(amount, ())
                if k.id not in claimed and keys[k.id] == key and abs(k.date - date) <= WINDOW
            ),
            key=lambda k: (abs(k.date - date), k.id),
            default=None,
        )
        if best is not None:
            claimed.add(best.id)
            found[index] = best.id
    _respelt(rows, [k for k in known if k.id not in claimed], found)
    return found


def _respelt(rows: Sequence[Row], left: Sequence[Known], found: dict[int, int]) -> None:
    """The second pass: a payee spelt two ways, same day and amount, paired only when all
    the plausible partners on each side are one payee (identical rows are interchangeable)."""
    rows_at: dict[tuple[dt.date, Decimal], list[int]] = defaultdict(list)
    for index in range(len(rows)):
        if index not in found:
            rows_at[rows[index][0], rows[index][1]].append(index)
    known_at: dict[tuple[dt.date, Decimal], list[Known]] = defaultdict(list)
    for k in left:
        known_at[k.date, k.amount].append(k)
    for spot, indexes in rows_at.items():
        stored = sorted(known_at.get(spot, []), key=lambda k: k.id)
        for index in indexes:
            partners = [k for k in stored if same_payee(rows[index][2], k.description)]
            if not partners or len({payee_key(k.description) for k in partners}) > 1:
                continue
            rivals = {
                payee_key(rows[i][2])
                for i in indexes
                if i not in found and same_payee(rows[i][2], partners[0].description)
            }
            if len(rivals) == 1:
                found[index] = partners[0].id
                stored.remove(partners[0])
