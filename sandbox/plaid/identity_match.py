"""Plaid's ``/identity/match``: scores of the app's user against the account owner."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core.bank import AccountsView, MatchScores
from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import account_ids, accounts_json, item_json, load, reply

# Digits with the separators people type; Plaid wants E.164 (``+14155550123``). ``\Z``, not
# ``$``: ``$`` also matches before a trailing newline.
PHONE = r"^\+?[0-9][0-9 ()\-.]{6,19}\Z"


class MatchAddress(requests.PlaidRequest):
    street = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)


class MatchUser(requests.PlaidRequest):
    legal_name = fields.String(allow_none=True)
    phone_number = fields.String(allow_none=True, validate=validate.Regexp(PHONE))
    email_address = fields.Email(allow_none=True)
    address = fields.Nested(MatchAddress, allow_none=True)


class IdentityMatchRequest(requests.AccountsRequest):
    """``/identity/match``."""

    user = fields.Nested(MatchUser, load_default=dict)


def scores_json(scores: MatchScores) -> dict[str, Any]:
    """The four score objects; the SDK needs each object even when its score is null."""
    name, address = scores.legal_name, scores.address
    return {
        "legal_name": {
            "score": name.score,
            "is_first_name_or_last_name_match": name.first_or_last_name_match,
            "is_nickname_match": name.nickname_match,
            "is_business_name_detected": name.business_name_detected,
        },
        "phone_number": {"score": scores.phone_number},
        "email_address": {"score": scores.email_address},
        "address": {"score": address.score, "is_postal_code_match": address.postal_code_match},
    }


@bp.post("/identity/match")
def identity_match() -> Response:
    """How well the app's user matches the owner of each account of the item."""
    req = load(IdentityMatchRequest)
    bank = current_bank()
    view, scores = bank.identity.match(req["access_token"], req["user"], account_ids(req))
    return reply(accounts=matched_accounts_json(view, scores), item=item_json(bank, view.item))


def matched_accounts_json(view: AccountsView, scores: MatchScores) -> list[dict[str, Any]]:
    """The view's accounts, balances nulled, each with the four score objects."""
    matched = scores_json(scores)
    return [
        {**account, "balances": _no_balances(account["balances"]), **matched}
        for account in accounts_json(view.accounts)
    ]


def _no_balances(balances: dict[str, Any]) -> dict[str, Any]:
    """Identity Match reads no balances: Plaid's sample sends every key null, the
    currency codes included."""
    return dict.fromkeys(balances)
