"""Merchant entities through plaid-python against a served sandbox.

The SDK's ``Transaction`` and ``TransactionCounterparty`` models read a recognised merchant's
``merchant_entity_id``, ``logo_url`` and ``website`` (``VERY_HIGH``), the nulls of a payroll
from a fictional employer (``LOW``) and a transfer's empty ``counterparties``; ``/transactions/
get``, ``/transactions/sync`` and ``/processor/transactions/sync`` agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_transactions_sync_request import ProcessorTransactionsSyncRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from sandbox.core.ledger import entities

from .served import sdk_client

pytestmark = pytest.mark.e2e


def _merchant(transaction: Any) -> tuple[Any, ...]:
    """The merchant fields of an SDK ``Transaction`` (counterparties as plain dicts)."""
    return (
        transaction.merchant_entity_id,
        transaction.logo_url,
        transaction.website,
        [c.to_dict() for c in transaction.counterparties],
    )


def test_plaid_python_reads_merchant_entities_and_the_endpoints_agree(
    plaid_server: dict[str, Any],
) -> None:
    client = sdk_client(plaid_server)
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")]
        )
    ).public_token
    token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    added: list[Any] = []
    cursor, more = "", True
    while more:
        page = client.transactions_sync(
            TransactionsSyncRequest(access_token=token, cursor=cursor, count=500)
        )
        added += page.added
        cursor, more = page.next_cursor, page.has_more

    starbucks = next(t for t in added if t.merchant_name == "Starbucks")
    entity = entities.known()["Starbucks"]
    assert (starbucks.merchant_entity_id, starbucks.logo_url) == (entity.entity_id, entity.logo_url)
    assert starbucks.website == "starbucks.com"
    counterparty = starbucks.counterparties[0]
    assert (counterparty.entity_id, counterparty.logo_url) == (entity.entity_id, entity.logo_url)
    assert (counterparty.confidence_level, str(counterparty.type)) == ("VERY_HIGH", "merchant")
    transfer = next(t for t in added if not t.merchant_name)
    assert (transfer.merchant_entity_id, transfer.logo_url, transfer.counterparties) == (
        None,
        None,
        [],
    )
    payroll = [
        t for t in added if t.merchant_name and not entities.merchant_entity(t.merchant_name)
    ]
    assert payroll and all(t.counterparties[0].confidence_level == "LOW" for t in payroll)
    assert all(t.merchant_entity_id is None for t in payroll)

    by_id = {t.transaction_id: t for t in added}
    got = client.transactions_get(
        TransactionsGetRequest(
            access_token=token,
            start_date=dt.date(2024, 1, 1),
            end_date=max(t.date for t in added),
            options=TransactionsGetRequestOptions(count=500),
        )
    ).transactions
    assert any(t.merchant_entity_id for t in got)
    assert all(_merchant(t) == _merchant(by_id[t.transaction_id]) for t in got)

    processor = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=token, account_id=starbucks.account_id, processor="dwolla"
        )
    ).processor_token
    twin = client.processor_transactions_sync(
        ProcessorTransactionsSyncRequest(processor_token=processor, count=500)
    ).added
    assert any(t.merchant_entity_id for t in twin)
    assert all(_merchant(t) == _merchant(by_id[t.transaction_id]) for t in twin)
