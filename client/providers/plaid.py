"""The Plaid provider: /transactions/sync pages and Plaid errors, in the local model."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from client.api.errors import APIConnectionError, PlaidError
from client.api.plaid import PlaidClient
from client.api.transport import Observer
from client.collector import collector_paused
from client.providers import errors
from client.providers.base import ChangePage
from client.providers.model import (
    Counterparty,
    LocalAccount,
    LocalTransaction,
    ProviderCategory,
    TransactionDetails,
    normalise_payee,
)

# Plaid error codes that mean something specific to the engine; everything else is a
# plain SyncError, or ProviderUnavailable when Plaid says a retry may work.
_BY_CODE: dict[str, type[errors.SyncError]] = {
    "ITEM_LOGIN_REQUIRED": errors.LoginRequired,
    "ITEM_NOT_FOUND": errors.CredentialsRevoked,
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": errors.CursorReset,
    # the app's keys, environment or version (client.notify.APP_SIDE says what to check)
    "INVALID_API_KEYS": errors.AppMisconfigured,
    "UNAUTHORIZED_ENVIRONMENT": errors.AppMisconfigured,
    "UNAUTHORIZED_ROUTE_ACCESS": errors.AppMisconfigured,
    "INCOMPATIBLE_API_VERSION": errors.AppMisconfigured,
}
CONNECTION_ERROR = "CONNECTION_ERROR"


class PlaidProvider:
    """Implements `Provider` over a `PlaidClient`; the only place that reads Plaid pages."""

    name = "plaid"

    def __init__(self, api: PlaidClient, *, original_description: bool = True) -> None:
        self.api = api
        self.original_description = original_description

    def __repr__(self) -> str:
        return f"PlaidProvider({self.api.base_url!r})"

    def observed(self, observer: Observer) -> PlaidProvider:
        """A provider whose calls are also reported to `observer`."""
        return PlaidProvider(
            self.api.observed(observer), original_description=self.original_description
        )

    def fetch_changes(self, credentials: str, cursor: str | None, count: int) -> ChangePage:
        """One /transactions/sync page; the garbage collector waits while it is parsed (see
        `client.collector`), not while it is fetched."""
        with neutral_errors():
            raw = self.api.transactions_sync(
                credentials, cursor, count, include_original_description=self.original_description
            )
        with collector_paused():
            return parse_sync_page(raw)

    def refresh(self, credentials: str) -> None:
        """/transactions/refresh: Plaid pulls from the bank (the data follows asynchronously)."""
        with neutral_errors():
            self.api.transactions_refresh(credentials)

    def left_out_accounts(self, credentials: str) -> list[LocalAccount]:
        """Every account, from /accounts/get (free; balances as Plaid last read them): a
        /transactions/sync page names only accounts with transactions, so investment
        accounts and loans without any never come in one."""
        with neutral_errors():
            raw = self.api.accounts_get(credentials)
        return [map_account(a) for a in raw["accounts"]]


@contextmanager
def neutral_errors() -> Iterator[None]:
    """Re-raise Plaid's typed errors as provider-neutral sync errors (the cause is kept)."""
    try:
        yield
    except PlaidError as exc:
        cls = _BY_CODE.get(exc.error_code, errors.SyncError)
        raise cls(
            exc.error_code or f"HTTP_{exc.http_status}",
            exc.error_message,
            display_message=exc.display_message,
            request_id=exc.request_id,
            retryable=True if exc.should_retry else None,
        ) from exc
    except APIConnectionError as exc:
        # Reading the change log is idempotent, so even a lost reply is safe to retry.
        raise errors.ProviderUnavailable(CONNECTION_ERROR, str(exc)) from exc


def parse_sync_page(raw: dict[str, Any]) -> ChangePage:
    """A /transactions/sync reply as a `ChangePage`."""
    return ChangePage(
        added=[map_transaction(t) for t in raw["added"]],
        modified=[map_transaction(t) for t in raw["modified"]],
        removed=[r["transaction_id"] for r in raw["removed"]],
        accounts=[map_account(a) for a in raw.get("accounts", [])],
        next_cursor=raw["next_cursor"],
        has_more=bool(raw["has_more"]),
    )


def _decimal(value: Any) -> Decimal | None:
    """Plaid sends JSON numbers; go through str so 0.1 stays 0.1."""
    return None if value is None else Decimal(str(value))


def _date(value: str | None) -> dt.date | None:
    """Plaid dates are YYYY-MM-DD strings."""
    return dt.date.fromisoformat(value) if value else None


def _instant(value: str | None) -> dt.datetime | None:
    """Plaid date-times are ISO 8601 with an offset or "Z"."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _present(obj: dict[str, Any] | None) -> dict[str, Any]:
    """Only the keys that carry a value (Plaid sends every key, mostly null)."""
    return {k: v for k, v in (obj or {}).items() if v is not None}


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


def map_transaction(raw: dict[str, Any]) -> LocalTransaction:
    """A Plaid transaction in local form; the amount sign flips (Plaid: outflow positive)."""
    amount = _decimal(raw["amount"]) or Decimal(0)
    details = map_details(raw)
    return LocalTransaction(
        provider_id=raw["transaction_id"],
        account_provider_id=raw["account_id"],
        amount=-amount,
        currency=currency_of(raw),
        date=dt.date.fromisoformat(raw["date"]),
        authorized_date=_date(raw.get("authorized_date")),
        description=raw.get("name") or raw.get("original_description") or "",
        payee=normalise_payee(raw.get("merchant_name") or raw.get("name")),
        category=details.category.detailed or details.category.primary,
        pending=bool(raw.get("pending")),
        pending_provider_id=raw.get("pending_transaction_id"),
        source="plaid",
        details=details,
    )


def map_details(raw: dict[str, Any]) -> TransactionDetails:
    """Merchant, counterparties, place, channel, categories, times and reference codes."""
    return TransactionDetails(
        merchant_name=raw.get("merchant_name"),
        merchant_entity_id=raw.get("merchant_entity_id"),
        logo_url=raw.get("logo_url"),
        website=raw.get("website"),
        counterparties=tuple([map_counterparty(c) for c in raw.get("counterparties") or ()]),
        location=_present(raw.get("location")),
        payment_meta=_present(raw.get("payment_meta")),
        payment_channel=raw.get("payment_channel"),
        category=map_category(raw),
        authorized_at=_instant(raw.get("authorized_datetime")),
        posted_at=_instant(raw.get("datetime")),
        check_number=raw.get("check_number"),
        transaction_code=raw.get("transaction_code"),
        iso_currency_code=raw.get("iso_currency_code"),
        unofficial_currency_code=raw.get("unofficial_currency_code"),
        original_description=raw.get("original_description"),
        account_owner=raw.get("account_owner"),
    )


def map_category(raw: dict[str, Any]) -> ProviderCategory:
    """personal_finance_category with its icon, and the legacy category path."""
    pfc = raw.get("personal_finance_category") or {}
    return _category(
        pfc.get("primary"),
        pfc.get("detailed"),
        pfc.get("confidence_level"),
        raw.get("personal_finance_category_icon_url"),
        tuple(raw.get("category") or ()),
        raw.get("category_id"),
    )


@functools.lru_cache(maxsize=4096)
def _category(*values: Any) -> ProviderCategory:
    """One shared (immutable) object per distinct category: a page of 500 transactions
    names a few dozen, so most transactions build none."""
    return ProviderCategory(*values)


def map_counterparty(raw: dict[str, Any]) -> Counterparty:
    """One entry of Plaid's `counterparties`."""
    return _counterparty(
        raw.get("name") or "",
        raw.get("type"),
        raw.get("entity_id"),
        raw.get("logo_url"),
        raw.get("website"),
        raw.get("confidence_level"),
    )


@functools.lru_cache(maxsize=4096)
def _counterparty(*values: Any) -> Counterparty:
    """One shared (immutable) object per distinct counterparty, as for categories: the
    same merchants come back on every page."""
    return Counterparty(*values)
