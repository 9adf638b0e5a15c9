"""What a reader makes of a file: dated, signed rows with where each came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the line and the problem."""

    def __init__(self, line: int | None, problem: str) -> None:
        self.line, self.problem = line, problem
        super().__init__(f"line {line}: {problem}" if line else problem)


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
    kind: str | None = None  # "depository" or "credit", when the file says
    skipped: list[int] = field(default_factory=list)  # lines that are not transactions

    @property
    def mask(self) -> str | None:
        """The account's last four digits, if the file names the account."""
        digits = "".join(c for c in self.account_number or "" if c.isdigit())
        return digits[-4:] if len(digits) >= 4 else None
