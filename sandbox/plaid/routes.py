"""Plaid endpoints for items, accounts, auth, identity and webhook keys.

Each view loads its request schema, calls the bank and dumps the result; anything
that branches lives in ``sandbox.core``. Transactions, institutions, Link and the
sandbox helpers have their own modules next to this one.
"""

from __future__ import annotations

from flask import Response

from ..core.bank import ShownAccountsView
from . import requests
from .auth import current_bank
from .blueprint import bp
from .responses import (
    accounts_array,
    auth_numbers,
    identity_account_json,
    item_status,
    item_with_consent_json,
)
from .views import account_ids, item_json, load, reply


@bp.post("/item/public_token/exchange")
def item_public_token_exchange() -> Response:
    """Trade a public token for an access token."""
    req = load(requests.PublicTokenExchangeRequest)
    access_token, item = current_bank().exchange_public_token(req["public_token"])
    return reply(access_token=access_token, item_id=item.id)


@bp.post("/item/get")
def item_get() -> Response:
    """The item with its status; answers 200 even while the item is in error."""
    req = load(requests.AccessTokenRequest)
    bank = current_bank()
    item = bank.item(req["access_token"], allow_error=True, change=False)
    institution, reason = bank.institution_of(item), bank.error_reason(item)
    body = item_with_consent_json(item, institution, reason, bank.auth_method(item))
    return reply(item=body, status=item_status(item))


@bp.post("/item/remove")
def item_remove() -> Response:
    """Remove the item; its access tokens stop working."""
    req = load(requests.ItemRemoveRequest)
    current_bank().remove_item(req["access_token"])
    return reply()


@bp.post("/item/webhook/update")
def item_webhook_update() -> Response:
    """Change (or clear) the item's webhook URL."""
    req = load(requests.ItemWebhookUpdateRequest)
    bank = current_bank()
    item = bank.update_webhook(req["access_token"], req["webhook"])
    return reply(item=item_json(bank, item))


@bp.post("/item/access_token/invalidate")
def item_access_token_invalidate() -> Response:
    """Rotate the access token: the old one dies at once."""
    req = load(requests.AccessTokenRequest)
    return reply(new_access_token=current_bank().invalidate_access_token(req["access_token"]))


def _accounts_reply(view: ShownAccountsView) -> Response:
    """``/accounts/get`` and ``/accounts/balance/get`` answer alike in the sandbox."""
    return reply(accounts=accounts_array(view.accounts), item=item_json(current_bank(), view.item))


@bp.post("/accounts/get")
def accounts_get() -> Response:
    """The item's accounts with cached balances."""
    req = load(requests.AccountsRequest)
    return _accounts_reply(current_bank().accounts(req["access_token"], account_ids(req)))


@bp.post("/accounts/balance/get")
def accounts_balance_get() -> Response:
    """The item's accounts with real-time balances (the same numbers in the sandbox)."""
    req = load(requests.BalanceRequest)
    oldest = (req.get("options") or {}).get("min_last_updated_datetime")
    return _accounts_reply(current_bank().balances(req["access_token"], account_ids(req), oldest))


@bp.post("/auth/get")
def auth_get() -> Response:
    """Account and routing numbers of the item's checking and savings accounts."""
    req = load(requests.AccountsRequest)
    bank = current_bank()
    view = bank.auth.get(req["access_token"], account_ids(req))
    numbers = auth_numbers(view.accounts, bank.institution_of(view.item).country)
    return reply(
        accounts=accounts_array(view.accounts), numbers=numbers, item=item_json(bank, view.item)
    )


@bp.post("/identity/get")
def identity_get() -> Response:
    """The item's accounts with their owners' names, addresses, emails and phones."""
    req = load(requests.AccountsRequest)
    bank = current_bank()
    view = bank.identity.get(req["access_token"], account_ids(req))
    owner = bank.owner(view.item)
    accounts = [identity_account_json(account, owner) for account in view.accounts]
    return reply(accounts=accounts, item=item_json(bank, view.item))


@bp.post("/webhook_verification_key/get")
def webhook_verification_key_get() -> Response:
    """The public JWK that verifies this tenant's webhook signatures."""
    req = load(requests.WebhookVerificationKeyGetRequest)
    return reply(key=current_bank().outbox.public_key(req["key_id"]))
