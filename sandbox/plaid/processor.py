"""Plaid's processor endpoints: a token for a payment partner, and what the partner reads.

The app calls ``/processor/token/create``; the partner (Dwolla, Modern Treasury, …) calls
the ``/processor/*`` endpoints with the token and sees that one account only.
"""

from __future__ import annotations

from flask import Response
from marshmallow import fields, validate

from . import requests
from .auth import current_bank
from .blueprint import bp
from .responses import IdentityAccountSchema, auth_numbers
from .transactions import sync_page
from .views import accounts_json, load, reply

# The partner names Plaid's API accepts (``ProcessorTokenCreateRequest.processor``,
# API 2020-09-14, document 1.697.4).
_PARTNERS = """
    dwolla galileo modern_treasury ocrolus vesta drivewealth vopay achq check checkbook
    circle sila_money rize svb_api unit wyre lithic alpaca astra moov treasury_prime
    marqeta checkout solid highnote gemini apex_clearing gusto adyen atomic i2c wepay
    riskified utb adp_roll fortress_trust bond bakkt teal zero_hash taba_pay knot
    sardine alloy finix nuvei layer boom paynote stake wedbush esusu ansa scribeup
    straddle loanpro bloom_credit sfox brale parafin cardless open_ledger valon
    gainbridge cardlytics pinwheel thread_bank array fiant oatfi curinos frame
    interchecks interchange atomicfi
"""
PROCESSORS = frozenset(_PARTNERS.split())


class ProcessorTokenCreateRequest(requests.AccessTokenRequest):
    """``/processor/token/create``."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))
    processor = fields.String(required=True, validate=validate.OneOf(sorted(PROCESSORS)))


class ProcessorTokenRequest(requests.PlaidRequest):
    """The processor endpoints that take only a processor token."""

    processor_token = fields.String(required=True, validate=validate.Length(min=1))


class ProcessorBalanceOptions(requests.PlaidRequest):
    min_last_updated_datetime = fields.AwareDateTime()


class ProcessorBalanceGetRequest(ProcessorTokenRequest):
    """``/processor/balance/get``."""

    options = fields.Nested(ProcessorBalanceOptions)


class ProcessorTransactionsSyncRequest(ProcessorTokenRequest):
    """``/processor/transactions/sync``."""

    cursor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=256))
    count = requests.StrictInteger(load_default=100, validate=validate.Range(1, 500))
    options = fields.Nested(requests.SyncOptions, load_default=dict)


@bp.post("/processor/token/create")
def processor_token_create() -> Response:
    """A token that lets ``processor`` read one account of the item."""
    req = load(ProcessorTokenCreateRequest)
    token = current_bank().processors.create(
        req["access_token"], req["account_id"], req["processor"]
    )
    return reply(processor_token=token)


@bp.post("/processor/auth/get")
def processor_auth_get() -> Response:
    """The token's account with its routable numbers (one object per scheme, or null)."""
    req = load(ProcessorTokenRequest)
    bank = current_bank()
    view = bank.processors.auth(req["processor_token"])
    numbers = auth_numbers(view.accounts, bank.institution_of(view.item).country)
    return reply(
        numbers={scheme: (found[0] if found else None) for scheme, found in numbers.items()},
        account=accounts_json(view.accounts)[0],
    )


@bp.post("/processor/balance/get")
def processor_balance_get() -> Response:
    """The token's account with its balances."""
    req = load(ProcessorBalanceGetRequest)
    view = current_bank().processors.account(req["processor_token"])
    return reply(account=accounts_json(view.accounts)[0])


@bp.post("/processor/identity/get")
def processor_identity_get() -> Response:
    """The token's account with its owners."""
    req = load(ProcessorTokenRequest)
    bank = current_bank()
    view = bank.processors.identity(req["processor_token"])
    return reply(account=IdentityAccountSchema(bank.owner(view.item)).dump(view.accounts[0]))


@bp.post("/processor/transactions/sync")
def processor_transactions_sync() -> Response:
    """One page of the token's account's transaction changes since ``cursor``."""
    req = load(ProcessorTransactionsSyncRequest)
    processors = current_bank().processors
    view = processors.sync(req["processor_token"], req["cursor"], req["count"])
    # The token's account even where no transactions stream (loans, investments).
    account = accounts_json(processors.account(req["processor_token"]).accounts)[0]
    return reply(**sync_page(view, req["options"]), account=account)
