"""Plaid's ``/auth/verify``: Database Auth on account and routing numbers collected outside Link.

The numbers go through the same Database Insights checks as numbers typed into Link's bank
pane (``docs/auth-verification.md``): the verdict, its ``verification_insights``, and the
id of the Auth-only item made for them.
"""

from __future__ import annotations

from flask import Response
from marshmallow import fields

from ..core.bank import NumberFields
from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply

# The request's fields, as Plaid's errors name them.
FIELDS = NumberFields(
    routing="numbers.ach.routing", account="numbers.ach.account", name="legal_name"
)


class AchNumbers(requests.PlaidRequest):
    account = fields.String(required=True)
    routing = fields.String(required=True)


class VerifyNumbers(requests.PlaidRequest):
    ach = fields.Nested(AchNumbers, required=True)


class AuthVerifyRequest(requests.PlaidRequest):
    """``/auth/verify``."""

    numbers = fields.Nested(VerifyNumbers, required=True)
    legal_name = fields.String(allow_none=True)


@bp.post("/auth/verify")
def auth_verify() -> Response:
    """Database Insights' verdict on the numbers (and the owner's name, if given)."""
    req = load(AuthVerifyRequest)
    ach = req["numbers"]["ach"]
    verdict = current_bank().auth.verify(
        ach["routing"], ach["account"], req.get("legal_name"), FIELDS
    )
    return reply(
        item_id=verdict.item.id if verdict.item is not None else None,
        verification_status=verdict.status,
        verification_insights=verdict.insights,
    )
