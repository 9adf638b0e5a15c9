"""Plaid's ``/liabilities/get``: credit card, mortgage and student loan details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response

from ..core.bank import Report
from . import requests
from .auth import current_bank
from .blueprint import bp
from .responses import accounts_array, money
from .views import account_ids, item_json, load, reply

MONEY_KEYS = {
    "balance_subject_to_apr",
    "interest_charge_amount",
    "last_payment_amount",
    "last_statement_balance",
    "minimum_payment_amount",
    "current_late_fee",
    "escrow_balance",
    "next_monthly_payment",
    "origination_principal_amount",
    "past_due_amount",
    "ytd_interest_paid",
    "ytd_principal_paid",
    "outstanding_interest_amount",
}


def wire(value: Any, key: str = "") -> Any:
    """Core figures in Plaid's format: minor units as amounts, dates as ``YYYY-MM-DD``."""
    if isinstance(value, dict):
        return {k: wire(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v, key) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if key in MONEY_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return money(value)
    return value


@bp.post("/liabilities/get")
def liabilities_get() -> Response:
    """Liabilities of the item's credit, mortgage and student loan accounts."""
    req = load(requests.AccountsRequest)
    bank = current_bank()
    found = bank.liabilities(req["access_token"], account_ids(req))
    return reply(
        accounts=accounts_array(found.accounts),
        item=item_json(bank, found.item),
        liabilities=liabilities_json(found),
    )


def liabilities_json(found: Report) -> dict[str, Any]:
    """The ``liabilities`` object (``/liabilities/get`` and its processor twin)."""
    return {
        "credit": wire(found.credit) if found.credit else None,
        "mortgage": wire(found.mortgage) if found.mortgage else None,
        "student": wire(found.student) if found.student else None,
    }
