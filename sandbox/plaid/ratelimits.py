"""Plaid's Sandbox rate limits, registered with the core's counters when the dialect loads.

Each endpoint has a limit per item and per client (tenant) per minute (plaid.md §9), and
answers with Plaid's code for it; the core counts them (``add_rate_limits``), and a fault rule
may inject any of the codes.
"""

from __future__ import annotations

from ..core.bank import Limit, add_rate_limits


def _same(per_item: int | None, per_client: int | None, code: str) -> Limit:
    return Limit(per_item, per_client, code, code)


# Plaid's Sandbox numbers (plaid.md §9, plaid-products.md for Investments and Statements);
# RATE_LIMIT where Plaid's code is unconfirmed.
PLAID_SANDBOX: dict[str, Limit] = {
    "/accounts/get": _same(100, 5000, "ACCOUNTS_LIMIT"),
    "/asset_report/create": _same(None, 100, "RATE_LIMIT"),
    "/asset_report/get": _same(None, 1000, "RATE_LIMIT"),
    "/asset_report/refresh": _same(None, 100, "RATE_LIMIT"),
    "/accounts/balance/get": Limit(25, 100, "BALANCE_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT"),
    "/auth/get": _same(100, 500, "AUTH_LIMIT"),
    "/identity/get": _same(100, 1000, "IDENTITY_LIMIT"),
    "/item/get": _same(40, 5000, "ITEM_GET_LIMIT"),
    "/item/remove": _same(100, 500, "RATE_LIMIT"),
    "/institutions/get": _same(None, 10, "INSTITUTIONS_GET_LIMIT"),
    "/institutions/get_by_id": _same(None, 400, "INSTITUTIONS_GET_BY_ID_LIMIT"),
    "/investments/auth/get": _same(15, 500, "RATE_LIMIT"),
    "/investments/holdings/get": _same(100, 1000, "INVESTMENT_HOLDINGS_GET_LIMIT"),
    "/investments/refresh": _same(1, 100, "RATE_LIMIT"),
    "/investments/transactions/get": _same(100, 1000, "INVESTMENT_TRANSACTIONS_LIMIT"),
    "/liabilities/get": _same(10, 1000, "RATE_LIMIT"),
    "/transactions/get": _same(80, 1000, "TRANSACTIONS_LIMIT"),
    "/transactions/sync": _same(50, 1000, "TRANSACTIONS_SYNC_LIMIT"),
    "/transactions/refresh": _same(2, 100, "TRANSACTIONS_REFRESH_LIMIT"),
    "/transactions/recurring/get": _same(20, 1000, "RATE_LIMIT"),
    "/sandbox/transactions/create": _same(2, 50, "RATE_LIMIT"),
    "/statements/download": _same(None, 50, "RATE_LIMIT"),
    "/statements/list": _same(None, 100, "RATE_LIMIT"),
    "/statements/refresh": _same(None, 50, "RATE_LIMIT"),
}
add_rate_limits("plaid", PLAID_SANDBOX)
