"""Plaid's Investments endpoints: holdings, investment transactions, refresh and auth.

The core hands over positions and trades with quantities in thousandths of a share, prices
in ten-thousandths and money in minor units; this module writes Plaid's JSON numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core.bank import Bank, Portfolio, TransferNumbers
from ..extensions import current_session
from . import requests
from .auth import current_bank
from .blueprint import bp
from .requests import AccessTokenRequest, AccountIdsOptions, StrictBoolean, StrictInteger
from .responses import money
from .views import account_ids, accounts_json, item_json, load, reply

PRICE_SCALE = 10_000
# Plaid's ``Security.subtype`` of each security type the catalogue holds (Plaid's examples
# pair ``equity`` with ``common stock``).
SUBTYPES = {"cash": "cash", "equity": "common stock", "etf": "etf", "mutual fund": "mutual fund"}


class InvestmentsTransactionsOptions(AccountIdsOptions):
    count = StrictInteger(load_default=100, validate=validate.Range(1, 500))
    offset = StrictInteger(load_default=0, validate=validate.Range(min=0))
    async_update = StrictBoolean(load_default=False)


class InvestmentsTransactionsGetRequest(requests.DateRange, AccessTokenRequest):
    """``/investments/transactions/get``."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    options = fields.Nested(
        InvestmentsTransactionsOptions, load_default=lambda: {"count": 100, "offset": 0}
    )


def _price(scaled: int) -> float:
    return round(scaled / PRICE_SCALE, 4)


def _quantity(milli: int) -> float:
    return round(milli / 1_000, 3)


def investment_accounts_json(found: Portfolio) -> list[dict[str, Any]]:
    """Plaid's ``InvestmentAccount``s: every account of the item (or of ``account_ids``),
    each the usual account with ``margin_loan_amount``."""
    accounts = accounts_json(found.shown)
    for account in accounts:
        account["balances"] = {**account["balances"], "margin_loan_amount": None}
    return accounts


def securities_json(found: Portfolio) -> list[dict[str, Any]]:
    """The ``securities`` array: every security a holding or transaction names."""
    return [
        {
            "security_id": q.security.id,
            "isin": q.security.isin,
            "cusip": q.security.cusip,
            "sedol": None,
            "institution_security_id": None,
            "institution_id": None,
            "proxy_security_id": None,
            "name": q.security.name,
            "ticker_symbol": q.security.ticker,
            "is_cash_equivalent": q.security.is_cash,
            "type": q.security.type,
            "subtype": SUBTYPES[q.security.type],
            "close_price": _price(q.close),
            "close_price_as_of": q.as_of.isoformat(),
            "update_datetime": None,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "market_identifier_code": q.security.market,
            "sector": q.security.sector,
            "industry": q.security.industry,
            "option_contract": None,
            "fixed_income": None,
            "cfi_code": q.security.cfi_code,
            "figi": None,
        }
        for q in found.securities
    ]


def holdings_json(found: Portfolio) -> list[dict[str, Any]]:
    """The ``holdings`` array, cash included as a position in the cash security."""
    return [
        {
            "account_id": h.account.id,
            "security_id": h.security.id,
            "institution_price": _price(h.price),
            "institution_price_as_of": h.price_as_of.isoformat(),
            "institution_price_datetime": None,
            "institution_value": money(h.value_minor),
            "cost_basis": money(h.cost_minor),
            "quantity": _quantity(h.quantity_milli),
            "iso_currency_code": h.currency,
            "unofficial_currency_code": None,
            "vested_quantity": None,  # no vesting schedules here (Plaid: null when not vested)
            "vested_value": None,
        }
        for h in found.holdings
    ]


def transactions_json(found: Portfolio) -> list[dict[str, Any]]:
    """The ``investment_transactions`` array, newest first."""
    return [
        {
            "investment_transaction_id": t.id,
            "cancel_transaction_id": None,
            "account_id": t.account.id,
            "security_id": t.security.id if t.security else None,
            "date": t.trade.day.isoformat(),
            "transaction_datetime": None,
            "name": t.trade.name,
            "quantity": _quantity(t.trade.quantity_milli),
            "amount": money(t.trade.amount_minor),
            "price": _price(t.trade.price),
            "fees": money(t.trade.fees_minor),
            "type": t.trade.type,
            "subtype": t.trade.subtype,
            "iso_currency_code": t.currency,
            "unofficial_currency_code": None,
        }
        for t in found.transactions
    ]


@bp.post("/investments/holdings/get")
def investments_holdings_get() -> Response:
    """Every position of the item's investment accounts at the latest close."""
    req = load(requests.AccountsRequest)
    bank = current_bank()
    found = bank.investments.holdings(req["access_token"], account_ids(req))
    return reply(
        accounts=investment_accounts_json(found),
        holdings=holdings_json(found),
        securities=securities_json(found),
        item=item_json(bank, found.item),
    )


@bp.post("/investments/transactions/get")
def investments_transactions_get() -> Response:
    """Buys, sells, dividends, fees and cash movements between two dates, one page."""
    req = load(InvestmentsTransactionsGetRequest)
    bank = current_bank()
    options = req["options"]
    if options.get("async_update"):
        extract_async(lambda: bank.investments.start_extraction(req["access_token"]))
    found = bank.investments.transactions(
        req["access_token"],
        req["start_date"],
        req["end_date"],
        account_ids=account_ids(req),
        count=options.get("count", 100),
        offset=options.get("offset", 0),
    )
    return reply(
        item=item_json(bank, found.item),
        accounts=investment_accounts_json(found),
        securities=securities_json(found),
        investment_transactions=transactions_json(found),
        total_investment_transactions=found.total_transactions,
    )


def extract_async(start: Callable[[], bool]) -> None:
    """``options.async_update``: ``start`` the item's initial extraction if it needs one, and
    keep it (commit now): the reply that follows is ``PRODUCT_NOT_READY``, which rolls the
    request back."""
    if start():
        current_session().commit()


@bp.post("/investments/refresh")
def investments_refresh() -> Response:
    """Look for new holdings and trades now; the webhooks say what was found."""
    req = load(requests.AccessTokenRequest)
    current_bank().investments.refresh(req["access_token"])
    return reply()


@bp.post("/investments/auth/get")
def investments_auth_get() -> Response:
    """Holdings, owners and the transfer numbers (ACATS, ATON, 401k plan) of each account."""
    req = load(requests.AccountsRequest)
    bank = current_bank()
    found, numbers = bank.investments.auth(req["access_token"], account_ids(req))
    return reply(
        accounts=investment_accounts_json(found),
        **investments_auth_json(bank, found, numbers),
        item=item_json(bank, found.item),
    )


def investments_auth_json(
    bank: Bank, found: Portfolio, numbers: list[TransferNumbers]
) -> dict[str, Any]:
    """Holdings, securities, owners, transfer numbers and data sources (``/investments/auth/get``
    and its processor twin; the accounts are each endpoint's own)."""
    names = list(bank.owner(found.item)["names"])
    acats, aton, plans = [], [], []
    for n in numbers:
        if n.plan is not None:
            plans.append({"account_id": n.account.id, "plan": n.plan, "account": n.number})
        elif n.country == "CA":
            aton.append({"account_id": n.account.id, "account": n.number})
        else:
            acats.append(
                {"account_id": n.account.id, "account": n.number, "dtc_numbers": n.dtc_numbers}
            )
    source = {"numbers": "INSTITUTION", "owners": "INSTITUTION", "holdings": "INSTITUTION"}
    return {
        "holdings": holdings_json(found),
        "securities": securities_json(found),
        "owners": [{"account_id": a.id, "names": names} for a in found.accounts],
        "numbers": {"acats": acats, "aton": aton, "retirement_401k": plans},
        "data_sources": source,
    }
