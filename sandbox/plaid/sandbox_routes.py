"""Plaid's ``/sandbox/*`` helpers: create items without Link, break them, add data."""

from __future__ import annotations

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply


@bp.post("/sandbox/public_token/create")
def sandbox_public_token_create() -> Response:
    """Create an item for test credentials and return its public token."""
    req = load(requests.SandboxPublicTokenCreateRequest)
    options = req["options"]
    history = options.get("transactions") or {}
    statements = options.get("statements")
    public_token = current_bank().sandbox_public_token(
        req["institution_id"],
        req["initial_products"],
        username=options.get("override_username") or "user_good",
        password=options.get("override_password") or "pass_good",
        webhook=options.get("webhook"),
        days_requested=history.get("days_requested"),
        start_date=history.get("start_date"),
        end_date=history.get("end_date"),
        statements_dates=(statements["start_date"], statements["end_date"]) if statements else None,
    )
    return reply(public_token=public_token)


@bp.post("/sandbox/item/reset_login")
def sandbox_item_reset_login() -> Response:
    """Force the item into ``ITEM_LOGIN_REQUIRED``."""
    req = load(requests.AccessTokenRequest)
    current_bank().reset_login(req["access_token"])
    return reply(reset_login=True)


@bp.post("/sandbox/transactions/create")
def sandbox_transactions_create() -> Response:
    """Add transactions to a ``user_transactions_dynamic`` item (acts like a refresh)."""
    req = load(requests.SandboxTransactionsCreateRequest)
    extra = [
        {
            **t,
            "date_transacted": t["date_transacted"].isoformat(),
            "date_posted": t["date_posted"].isoformat(),
            "amount": str(t["amount"]),
        }
        for t in req["transactions"]
    ]
    current_bank().transactions.add_dynamic(req["access_token"], extra)
    return reply()
