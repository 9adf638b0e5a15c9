"""Map Plaid's account and transaction JSON to the local model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from client.providers.categories import CategoryMap
from client.providers.model import LocalAccount, LocalTransaction, normalise_payee


def _decimal(value: Any) -> Decimal | None:
    """Plaid sends JSON numbers; go through str so 0.1 stays 0.1."""
    return None if value is None else Decimal(str(value))


def _date(value: str | None) -> dt.date | None:
    """Plaid dates are YYYY-MM-DD strings."""
    return dt.date.fromisoformat(value) if value else None


def currency_of(obj: dict[str, Any]) -> str:
    """ISO code, or the unofficial one (crypto, etc.) when ISO is null."""
    return str(obj.get("iso_currency_code") or obj.get("unofficial_currency_code") or "XXX")


def map_account(raw: dict[str, Any]) -> LocalAccount:
    """A Plaid account (any type: depository, credit, loan, investment) with its currency."""
    balances = raw.get("balances") or {}
    return LocalAccount(
        provider_id=raw["account_id"],
        name=raw.get("name") or "",
        mask=raw.get("mask"),
        type=raw.get("type") or "other",
        subtype=raw.get("subtype"),
        currency=currency_of(balances),
        current=_decimal(balances.get("current")),
        available=_decimal(balances.get("available")),
        limit=_decimal(balances.get("limit")),
        official_name=raw.get("official_name"),
    )


def map_transaction(raw: dict[str, Any], categories: CategoryMap) -> LocalTransaction:
    """A Plaid transaction in local form; the amount sign flips (Plaid: outflow positive)."""
    pfc = raw.get("personal_finance_category") or {}
    legacy = raw.get("category") or []
    amount = _decimal(raw["amount"]) or Decimal(0)
    return LocalTransaction(
        provider_id=raw["transaction_id"],
        account_provider_id=raw["account_id"],
        amount=-amount,
        currency=currency_of(raw),
        date=dt.date.fromisoformat(raw["date"]),
        authorized_date=_date(raw.get("authorized_date")),
        description=raw.get("name") or raw.get("original_description") or "",
        payee=normalise_payee(raw.get("merchant_name") or raw.get("name")),
        category=categories.lookup(
            pfc.get("detailed"), pfc.get("primary"), " > ".join(legacy) or None
        ),
        pending=bool(raw.get("pending")),
        pending_provider_id=raw.get("pending_transaction_id"),
        source="plaid",
    )
