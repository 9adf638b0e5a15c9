"""What a reader makes of a file: dated, signed rows with where each came from."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from client.store.types import Money

# A description is stored whole and, normalised, as the payee (bc_transactions.payee is
# String(200)): a longer one is refused on every store rather than cut short on one.
DESCRIPTION_LIMIT = 200


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the line and the problem."""

    def __init__(self, line: int | None, problem: str) -> None:
        self.line, self.problem = line, problem
        super().__init__(f"line {line}: {problem}" if line else problem)


def checked_amount(line: int, field: str, raw: str, value: Decimal) -> Decimal:
    """``value`` if the store holds it exactly (64-bit units of 1/10,000), else the reason."""
    if value.is_finite() and value.copy_abs() > Money.LARGEST:
        raise ImportFileError(line, f"{field}: {raw!r} is too large an amount")
    if not Money.storable(value):
        raise ImportFileError(line, f"{field}: {raw!r} has more than 4 decimal places")
    return value


def checked_text(line: int, field: str, text: str) -> str:
    """A description as the store keeps it alike on SQLite and PostgreSQL: no control
    characters (PostgreSQL refuses NUL; a line break means a quote was left open) and at
    most `DESCRIPTION_LIMIT` characters."""
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c != "\t"), None)
    if bad is not None:
        raise ImportFileError(line, f"{field}: holds the control character {bad!r}")
    if len(text) > DESCRIPTION_LIMIT:
        raise ImportFileError(
            line, f"{field}: {len(text)} characters, more than the {DESCRIPTION_LIMIT} allowed"
        )
    return text


@dataclass(frozen=True)
class FileRow:
    """One transaction of a file, signed like the local model (money in is positive)."""

    line: int
    date: dt.date
    amount: Decimal
    description: str
    fitid: str | None = None
    category: str | None = None  # a key of the client's taxonomy, when the bank gave one
    check_number: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """A file's rows and what it says about its account."""

    format: str  # csv layout key, "ofx" or "qfx"
    rows: list[FileRow]
    currency: str | None = None
    bank: str | None = None  # the bank the layout (or OFX FID) belongs to
    institution_id: str | None = None
    account_number: str | None = None
    account_id: str | None = None  # the provider's id of the account (the client's own export)
    kind: str | None = None  # "depository" or "credit", when the file says
    skipped: list[int] = field(default_factory=list)  # lines that are not transactions

    @property
    def mask(self) -> str | None:
        """The account's last four digits, if the file names the account."""
        digits = "".join(c for c in self.account_number or "" if c.isdigit())
        return digits[-4:] if len(digits) >= 4 else None
