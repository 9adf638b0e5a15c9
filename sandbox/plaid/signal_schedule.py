"""Plaid's ``/signal/schedule``: the banking days to submit an ACH debit on, best first.

The core projects the account's balance over the days weighed (``bank.signal.schedule``);
this module checks the request and writes ``SignalScheduleResponse``.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core.bank import Schedule
from . import requests
from .auth import current_bank
from .blueprint import bp
from .signal import (
    CLIENT_TRANSACTION_ID,
    DEFAULT_PAYMENT_METHODS,
    Amount,
    amount_minor,
    warnings_json,
)
from .views import load, reply


class SignalScheduleRequest(requests.AccessTokenRequest):
    """``/signal/schedule``: ``client_transaction_id`` is checked, not stored."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))
    client_transaction_id = fields.String(required=True, validate=CLIENT_TRANSACTION_ID)
    amount = Amount(required=True, places=2, validate=validate.Range(min=0, min_inclusive=False))
    default_payment_method = fields.String(
        allow_none=True, validate=validate.OneOf(DEFAULT_PAYMENT_METHODS)
    )


@bp.post("/signal/schedule")
def signal_schedule() -> Response:
    """Each banking day of the window, recommended (ranked) or not, and the best one."""
    req = load(SignalScheduleRequest)
    found = current_bank().signal.schedule(
        req["access_token"],
        req["account_id"],
        amount_minor(req),
        req.get("default_payment_method") or "STANDARD_ACH",
    )
    return reply(**schedule_json(found))


def schedule_json(found: Schedule) -> dict[str, Any]:
    """``SignalScheduleResponse`` without its ``request_id``."""
    return {
        "optimal_date": found.optimal_date.isoformat() if found.optimal_date else None,
        "recommendations": [
            {"date": r.date.isoformat(), "recommendation": r.recommendation, "rank": r.rank}
            for r in found.recommendations
        ],
        "warnings": warnings_json(found.item_error),
    }
