"""Plaid's Stripe integration: a Stripe bank account token for one account of an item.

The app calls ``/processor/stripe/bank_account_token/create`` with its access token and the
account the user picked, and gives the ``btok_…`` token to Stripe, which debits the account
over ACH. The core reads the account as ``/auth/get`` does (``bank.processors``).
"""

from __future__ import annotations

from flask import Response
from marshmallow import fields, validate

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply


class ProcessorStripeBankAccountTokenCreateRequest(requests.AccessTokenRequest):
    """``/processor/stripe/bank_account_token/create``."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))


@bp.post("/processor/stripe/bank_account_token/create")
def processor_stripe_bank_account_token_create() -> Response:
    """The Stripe bank account token of one checking, savings or cash management account."""
    req = load(ProcessorStripeBankAccountTokenCreateRequest)
    token = current_bank().processors.stripe_bank_account_token(
        req["access_token"], req["account_id"]
    )
    return reply(stripe_bank_account_token=token)
