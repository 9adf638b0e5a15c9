"""Plaid's ``/item/products/terminate``: the recommended way to offboard a user's item.

Plaid ends the item's access token and billing, as ``/item/remove`` does; the call differs
in asking why (``reason_code``, required). The sandbox removes the item the same way.
"""

from __future__ import annotations

from flask import Response
from marshmallow import fields, validate

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply

# Plaid's ``ProductsTerminateReasonCode``.
REASON_CODES = (
    "FRAUD_FIRST_PARTY",
    "FRAUD_FALSE_IDENTITY",
    "FRAUD_ABUSE",
    "FRAUD_OTHER",
    "CONSUMER_LOAN_PAID_OFF",
    "CONSUMER_ACCOUNT_CLOSED",
    "CONSUMER_CHARGE_OFF",
    "CONSUMER_PAYMENT_METHOD_SWITCHED",
    "USER_OFFBOARDING",
    "DUPLICATE_ITEM",
    "BILLING_TERMINATION",
    "OTHER",
)


class ItemProductsTerminateRequest(requests.AccessTokenRequest):
    """``/item/products/terminate``."""

    reason_code = fields.String(required=True, validate=validate.OneOf(REASON_CODES))
    reason_note = fields.String(allow_none=True, validate=validate.Length(max=512))


@bp.post("/item/products/terminate")
def item_products_terminate() -> Response:
    """Terminate the item: its access tokens stop working, its unsent webhooks are dropped."""
    req = load(ItemProductsTerminateRequest)
    current_bank().remove_item(req["access_token"])
    return reply()
