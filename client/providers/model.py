"""The local transaction/account model shared by every provider and the CSV format."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

# Sign convention of the local model: money into the account is positive, money out is
# negative (the opposite of Plaid, which reports outflows as positive).


@dataclass(frozen=True)
class LocalAccount:
    """An account as the app sees it, whatever the provider."""

    provider_id: str
    name: str
    mask: str | None
    type: str
    subtype: str | None
    currency: str
    current: Decimal | None
    available: Decimal | None
    limit: Decimal | None
    official_name: str | None = None


@dataclass(frozen=True)
class LocalTransaction:
    """A transaction in the app's format: signed Decimal amount, payee, app category."""

    provider_id: str
    account_provider_id: str
    amount: Decimal
    currency: str
    date: dt.date
    description: str
    payee: str | None
    category: str
    pending: bool
    authorized_date: dt.date | None = None
    pending_provider_id: str | None = None
    source: str = "plaid"
    extra: dict[str, str] = field(default_factory=dict, compare=False)


_NOISE = re.compile(r"[#*]+|\b\d{4,}\b|\s{2,}")


def normalise_payee(raw: str | None) -> str | None:
    """One spelling per payee ("UBER 063015 SF**POOL**" -> "Uber Sf Pool") so rules can match."""
    if not raw:
        return None
    cleaned = _NOISE.sub(" ", raw).strip(" -.")
    cleaned = re.sub(r"\s+", " ", cleaned)
    return cleaned.title() or None
