"""Stripe bank account tokens, Transactions Enrich and Signal's schedule through plaid-python.

plaid-python's own request and reply models (type checking on) against one ``sandbox serve``
process: a ``btok_`` token for a checking account and Plaid's error for a card; an app's raw
rows enriched with the merchant, entity and category, and a bad row refused naming it; the
banking days to debit an account on, ranked, and a card refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.client_provided_transaction import ClientProvidedTransaction
from plaid.model.client_provided_transaction_location import ClientProvidedTransactionLocation
from plaid.model.enrich_transaction_direction import EnrichTransactionDirection
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.processor_stripe_bank_account_token_create_request import (
    ProcessorStripeBankAccountTokenCreateRequest,
)
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.signal_schedule_default_payment_method import SignalScheduleDefaultPaymentMethod
from plaid.model.signal_schedule_request import SignalScheduleRequest
from plaid.model.transactions_enrich_request import TransactionsEnrichRequest
from plaid.model.transactions_enrich_request_options import TransactionsEnrichRequestOptions

from sandbox.core.ledger import entities

from .served import error_body, sdk_client

pytestmark = pytest.mark.e2e


def _linked(client: Any, *products: str) -> tuple[str, str, str]:
    """(access token, checking account id, card account id) of a new item."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products(p) for p in products]
        )
    ).public_token
    token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=token)).accounts
    checking = next(a.account_id for a in accounts if str(a.subtype) == "checking")
    card = next(a.account_id for a in accounts if str(a.type) == "credit")
    return token, checking, card


def test_plaid_python_creates_a_stripe_bank_account_token(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    token, checking, card = _linked(client, "auth")
    request = ProcessorStripeBankAccountTokenCreateRequest(access_token=token, account_id=checking)
    first = client.processor_stripe_bank_account_token_create(request)
    assert first.stripe_bank_account_token.startswith("btok_") and first.request_id
    again = client.processor_stripe_bank_account_token_create(request)
    assert again.stripe_bank_account_token == first.stripe_bank_account_token
    error = error_body(
        client.processor_stripe_bank_account_token_create,
        ProcessorStripeBankAccountTokenCreateRequest(access_token=token, account_id=card),
    )
    assert (error["status"], error["error_code"]) == (400, "NO_AUTH_ACCOUNTS")


def _row(n: int, description: str, direction: str, **extra: Any) -> ClientProvidedTransaction:
    return ClientProvidedTransaction(
        id=f"t-{n}",
        description=description,
        amount=23.5,
        direction=EnrichTransactionDirection(direction),
        iso_currency_code="USD",
        **extra,
    )


def test_plaid_python_enriches_an_apps_transactions(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    reply = client.transactions_enrich(
        TransactionsEnrichRequest(
            account_type="depository",
            transactions=[
                _row(
                    0,
                    "STARBUCKS STORE #0421",
                    "OUTFLOW",
                    location=ClientProvidedTransactionLocation(city="Austin", region="TX"),
                ),
                _row(1, "GLOBEX CORP DIRECT DEP", "INFLOW"),
                _row(2, "NOTHING KNOWN 12", "OUTFLOW", mcc="5812"),
            ],
            options=TransactionsEnrichRequestOptions(include_legacy_category=True),
        )
    )
    starbucks, payroll, restaurant = reply.enriched_transactions
    entity = entities.known()["Starbucks"]
    assert starbucks.id == "t-0" and starbucks.enrichments.merchant_name == "Starbucks"
    assert (starbucks.enrichments.entity_id, starbucks.enrichments.logo_url) == (
        entity.entity_id,
        entity.logo_url,
    )
    assert starbucks.enrichments.location.city == "Austin"
    assert starbucks.enrichments.location.store_number == "0421"
    assert starbucks.enrichments.personal_finance_category.detailed == "FOOD_AND_DRINK_COFFEE"
    assert starbucks.enrichments.legacy_category_id
    assert str(starbucks.enrichments.counterparties[0].type) == "merchant"
    assert payroll.enrichments.personal_finance_category.primary == "INCOME"
    assert str(payroll.enrichments.counterparties[0].type) == "income_source"
    assert restaurant.enrichments.personal_finance_category.detailed == (
        "FOOD_AND_DRINK_RESTAURANT"
    )
    error = error_body(
        client.transactions_enrich,
        TransactionsEnrichRequest(
            account_type="depository",
            transactions=[_row(0, "STARBUCKS", "OUTFLOW", mcc="12")],
        ),
    )
    assert error["error_code"] == "INVALID_FIELD"
    assert "transactions[0].mcc" in error["error_message"]


def test_plaid_python_schedules_a_debit(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    token, checking, card = _linked(client, "auth", "signal")
    reply = client.signal_schedule(
        SignalScheduleRequest(
            access_token=token,
            account_id=checking,
            client_transaction_id="sdk-schedule",
            amount=1.0,
            default_payment_method=SignalScheduleDefaultPaymentMethod("SAME_DAY_ACH"),
        )
    )
    ranked = sorted((r for r in reply.recommendations if r.rank is not None), key=lambda r: r.rank)
    assert ranked and reply.optimal_date == ranked[0].date
    assert len(reply.recommendations) in (5, 6) and reply.warnings == []
    error = error_body(
        client.signal_schedule,
        SignalScheduleRequest(
            access_token=token, account_id=card, client_transaction_id="sdk-card", amount=1.0
        ),
    )
    assert (error["status"], error["error_code"]) == (400, "INVALID_ACCOUNT_ID")
