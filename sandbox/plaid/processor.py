"""Plaid's processor endpoints: a token for a payment partner, and what the partner reads.

The app calls ``/processor/token/create``; the partner (Dwolla, Modern Treasury, …) calls
the ``/processor/*`` endpoints with the token and sees that one account only. Each endpoint
is the twin of an access-token endpoint: the core read is the same (``bank.processors``), and
so is the JSON, built by the access-token module's helpers; only the envelope differs (one
``account`` instead of ``accounts`` and ``item``).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate

from . import requests
from .auth import current_bank
from .blueprint import bp
from .identity_match import MatchUser, matched_accounts_json
from .investments import (
    InvestmentsTransactionsOptions,
    extract_async,
    holdings_json,
    investment_accounts_json,
    investments_auth_json,
    securities_json,
    transactions_json,
)
from .liabilities import liabilities_json
from .requests import DateRange, RecurringOptions
from .responses import IdentityAccountSchema, auth_numbers, stream_json, timestamp
from .signal import (
    DecisionFields,
    EvaluateFields,
    ReturnFields,
    amount_minor,
    decision_details,
    evaluation_json,
)
from .transactions import sync_page
from .transactions import transactions_json as transactions_array
from .views import accounts_json, load, reply

# The partner names Plaid's API accepts (``ProcessorTokenCreateRequest.processor``,
# API 2020-09-14, document 1.697.4), then the partners Plaid added after that document,
# which the official SDKs the sandbox is tested with send (plaid-python 46, plaid 47 on npm).
_PARTNERS = """
    dwolla galileo modern_treasury ocrolus vesta drivewealth vopay achq check checkbook
    circle sila_money rize svb_api unit wyre lithic alpaca astra moov treasury_prime
    marqeta checkout solid highnote gemini apex_clearing gusto adyen atomic i2c wepay
    riskified utb adp_roll fortress_trust bond bakkt teal zero_hash taba_pay knot
    sardine alloy finix nuvei layer boom paynote stake wedbush esusu ansa scribeup
    straddle loanpro bloom_credit sfox brale parafin cardless open_ledger valon
    gainbridge cardlytics pinwheel thread_bank array fiant oatfi curinos frame
    interchecks interchange atomicfi
    adyen_ca airwallex anchorage bitgo bizcap cybrid increase kanmon kick kikoff_enterprise
    natural pay seamlessach webull
"""
PROCESSORS = frozenset(_PARTNERS.split())


class ProcessorTokenCreateRequest(requests.AccessTokenRequest):
    """``/processor/token/create``."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))
    processor = fields.String(required=True, validate=validate.OneOf(sorted(PROCESSORS)))


class SandboxProcessorTokenOptions(requests.PlaidRequest):
    override_username = fields.String(allow_none=True, load_default="user_good")
    override_password = fields.String(allow_none=True, load_default="pass_good")


class SandboxProcessorTokenCreateRequest(requests.PlaidRequest):
    """``/sandbox/processor_token/create``."""

    institution_id = fields.String(required=True, validate=validate.Length(min=1))
    options = fields.Nested(SandboxProcessorTokenOptions, load_default=dict)


class ProcessorTokenRequest(requests.PlaidRequest):
    """The processor endpoints that take only a processor token."""

    processor_token = fields.String(required=True, validate=validate.Length(min=1))


class ProcessorBalanceOptions(requests.PlaidRequest):
    min_last_updated_datetime = requests.UtcDateTime()


class ProcessorBalanceGetRequest(ProcessorTokenRequest):
    """``/processor/balance/get``."""

    options = fields.Nested(ProcessorBalanceOptions)


class ProcessorTransactionsSyncRequest(ProcessorTokenRequest):
    """``/processor/transactions/sync``."""

    cursor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=256))
    count = requests.StrictInteger(load_default=100, validate=validate.Range(1, 500))
    options = fields.Nested(requests.SyncOptions, load_default=dict)


class ProcessorTransactionsGetOptions(requests.PlaidRequest):
    """``ProcessorTransactionsGetRequestOptions``: no ``account_ids``, the token names one."""

    count = requests.StrictInteger(load_default=100, validate=validate.Range(1, 500))
    offset = requests.StrictInteger(load_default=0, validate=validate.Range(min=0))
    include_original_description = requests.StrictBoolean(allow_none=True, load_default=False)

    class Meta(requests.PlaidRequest.Meta):
        include = requests.accepted(
            "include_personal_finance_category",
            "include_personal_finance_category_beta",
            "include_logo_and_counterparty_beta",
        )


class ProcessorTransactionsGetRequest(DateRange, ProcessorTokenRequest):
    """``/processor/transactions/get``."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    options = fields.Nested(
        ProcessorTransactionsGetOptions, load_default=lambda: {"count": 100, "offset": 0}
    )


class ProcessorTransactionsRecurringGetRequest(ProcessorTokenRequest):
    """``/processor/transactions/recurring/get``."""

    options = fields.Nested(RecurringOptions)


class ProcessorInvestmentsTransactionsGetRequest(DateRange, ProcessorTokenRequest):
    """``/processor/investments/transactions/get`` (``options.account_ids`` may name only
    the token's account)."""

    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    options = fields.Nested(
        InvestmentsTransactionsOptions, load_default=lambda: {"count": 100, "offset": 0}
    )


class ProcessorIdentityMatchRequest(ProcessorTokenRequest):
    """``/processor/identity/match``."""

    user = fields.Nested(MatchUser, load_default=dict)


class ProcessorSignalEvaluateRequest(EvaluateFields, ProcessorTokenRequest):
    """``/processor/signal/evaluate``."""


class ProcessorSignalDecisionReportRequest(DecisionFields, ProcessorTokenRequest):
    """``/processor/signal/decision/report``."""


class ProcessorSignalReturnReportRequest(ReturnFields, ProcessorTokenRequest):
    """``/processor/signal/return/report``."""


def _account(accounts: list[Any]) -> dict[str, Any]:
    """The one account of a processor reply."""
    return accounts_json(accounts)[0]


@bp.post("/processor/token/create")
def processor_token_create() -> Response:
    """A token that lets ``processor`` read one account of the item."""
    req = load(ProcessorTokenCreateRequest)
    token = current_bank().processors.create(
        req["access_token"], req["account_id"], req["processor"]
    )
    return reply(processor_token=token)


@bp.post("/sandbox/processor_token/create")
def sandbox_processor_token_create() -> Response:
    """A new item at ``institution_id`` and a processor token for its checking account."""
    req = load(SandboxProcessorTokenCreateRequest)
    options = req["options"]
    token = current_bank().processors.sandbox_create(
        req["institution_id"],
        options.get("override_username") or "user_good",
        options.get("override_password") or "pass_good",
    )
    return reply(processor_token=token)


@bp.post("/processor/account/get")
def processor_account_get() -> Response:
    """The token's account with its cached balances, and the institution's id."""
    req = load(ProcessorTokenRequest)
    processors = current_bank().processors
    view = processors.account(req["processor_token"])
    return reply(account=_account(view.accounts), institution_id=processors.institution_id(view))


@bp.post("/processor/auth/get")
def processor_auth_get() -> Response:
    """The token's account with its routable numbers (one object per scheme, or null)."""
    req = load(ProcessorTokenRequest)
    bank = current_bank()
    view = bank.processors.auth(req["processor_token"])
    numbers = auth_numbers(view.accounts, bank.institution_of(view.item).country)
    return reply(
        numbers={scheme: (found[0] if found else None) for scheme, found in numbers.items()},
        account=_account(view.accounts),
    )


@bp.post("/processor/balance/get")
def processor_balance_get() -> Response:
    """The token's account with its balances."""
    req = load(ProcessorBalanceGetRequest)
    oldest = (req.get("options") or {}).get("min_last_updated_datetime")
    view = current_bank().processors.balance(req["processor_token"], oldest)
    return reply(account=_account(view.accounts))


@bp.post("/processor/identity/get")
def processor_identity_get() -> Response:
    """The token's account with its owners."""
    req = load(ProcessorTokenRequest)
    bank = current_bank()
    view = bank.processors.identity(req["processor_token"])
    return reply(account=IdentityAccountSchema(bank.owner(view.item)).dump(view.accounts[0]))


@bp.post("/processor/identity/match")
def processor_identity_match() -> Response:
    """How well the partner's user matches the owner of the token's account."""
    req = load(ProcessorIdentityMatchRequest)
    view, scores = current_bank().processors.identity_match(req["processor_token"], req["user"])
    return reply(account=matched_accounts_json(view, scores)[0])


@bp.post("/processor/liabilities/get")
def processor_liabilities_get() -> Response:
    """The token's credit card, mortgage or student loan with its liability details."""
    req = load(ProcessorTokenRequest)
    found = current_bank().processors.liabilities(req["processor_token"])
    return reply(account=_account(found.accounts), liabilities=liabilities_json(found))


@bp.post("/processor/investments/holdings/get")
def processor_investments_holdings_get() -> Response:
    """Every position of the token's investment account at the latest close."""
    req = load(ProcessorTokenRequest)
    found = current_bank().processors.holdings(req["processor_token"])
    return reply(
        account=investment_accounts_json(found)[0],
        holdings=holdings_json(found),
        securities=securities_json(found),
        is_investments_fallback_item=False,
    )


@bp.post("/processor/investments/transactions/get")
def processor_investments_transactions_get() -> Response:
    """The token's account's trades and cash movements between two dates, one page."""
    req = load(ProcessorInvestmentsTransactionsGetRequest)
    options = req["options"]
    processors = current_bank().processors
    if options.get("async_update"):
        extract_async(lambda: processors.start_investments_extraction(req["processor_token"]))
    found = processors.investment_transactions(
        req["processor_token"],
        req["start_date"],
        req["end_date"],
        account_ids=options.get("account_ids"),
        count=options.get("count", 100),
        offset=options.get("offset", 0),
    )
    return reply(
        account=investment_accounts_json(found)[0],
        securities=securities_json(found),
        investment_transactions=transactions_json(found),
        total_investment_transactions=found.total_transactions,
        is_investments_fallback_item=False,
    )


@bp.post("/processor/investments/auth/get")
def processor_investments_auth_get() -> Response:
    """Holdings, owners and transfer numbers (ACATS, ATON, 401k plan) of the token's account."""
    req = load(ProcessorTokenRequest)
    bank = current_bank()
    found, numbers = bank.processors.investments_auth(req["processor_token"])
    return reply(
        account=investment_accounts_json(found)[0],
        **investments_auth_json(bank, found, numbers),
        is_investments_fallback_item=False,
    )


@bp.post("/processor/transactions/sync")
def processor_transactions_sync() -> Response:
    """One page of the token's account's transaction changes since ``cursor``."""
    req = load(ProcessorTransactionsSyncRequest)
    processors = current_bank().processors
    options = req["options"]
    view = processors.sync(
        req["processor_token"], req["cursor"], req["count"], options.get("days_requested")
    )
    # The token's account even where no transactions stream (loans, investments).
    account = _account(processors.account(req["processor_token"]).accounts)
    return reply(**sync_page(view, options), account=account)


@bp.post("/processor/transactions/get")
def processor_transactions_get() -> Response:
    """The token's account's transactions between two dates, newest first, one page."""
    req = load(ProcessorTransactionsGetRequest)
    options = req["options"]
    view = current_bank().processors.transactions(
        req["processor_token"],
        req["start_date"],
        req["end_date"],
        count=options["count"],
        offset=options["offset"],
    )
    return reply(
        account=_account(view.accounts),
        transactions=transactions_array(view.transactions, options),
        total_transactions=view.total,
    )


@bp.post("/processor/transactions/refresh")
def processor_transactions_refresh() -> Response:
    """Ask the bank for new data for the token's item now."""
    req = load(ProcessorTokenRequest)
    current_bank().processors.refresh_transactions(req["processor_token"])
    return reply()


@bp.post("/processor/transactions/recurring/get")
def processor_transactions_recurring_get() -> Response:
    """Inflow and outflow streams of the token's account."""
    req = load(ProcessorTransactionsRecurringGetRequest)
    bank = current_bank()
    streams = bank.processors.recurring(req["processor_token"])
    return reply(
        inflow_streams=[stream_json(s) for s in streams if s.inflow],
        outflow_streams=[stream_json(s) for s in streams if not s.inflow],
        updated_datetime=timestamp(bank.now()),
    )


@bp.post("/processor/signal/prepare")
def processor_signal_prepare() -> Response:
    """Add Signal to the token's item (a no-op when it has it)."""
    req = load(ProcessorTokenRequest)
    current_bank().processors.signal_prepare(req["processor_token"])
    return reply()


@bp.post("/processor/signal/evaluate")
def processor_signal_evaluate() -> Response:
    """Risk scores of a debit from the token's account, as ``/signal/evaluate`` gives them."""
    req = load(ProcessorSignalEvaluateRequest)
    evaluation = current_bank().processors.signal_evaluate(
        req["processor_token"], req["client_transaction_id"], amount_minor(req), req["ruleset_key"]
    )
    return reply(**evaluation_json(evaluation))


@bp.post("/processor/signal/decision/report")
def processor_signal_decision_report() -> Response:
    """Record whether the partner went ahead with a debit scored on the token's account."""
    req = load(ProcessorSignalDecisionReportRequest)
    token, ctid = req.pop("processor_token"), req.pop("client_transaction_id")
    initiated = req.pop("initiated")
    current_bank().processors.signal_decision(token, ctid, initiated, decision_details(req))
    return reply()


@bp.post("/processor/signal/return/report")
def processor_signal_return_report() -> Response:
    """Record that a debit scored on the token's account came back."""
    req = load(ProcessorSignalReturnReportRequest)
    current_bank().processors.signal_return(
        req["processor_token"], req["client_transaction_id"], req["return_code"], req["returned_at"]
    )
    return reply()
