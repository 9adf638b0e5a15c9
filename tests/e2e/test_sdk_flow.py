"""The official plaid-python SDK against a real ``python -m sandbox serve`` process.

Only the host changes: the SDK's own models deserialize every reply, and errors come
back as ``plaid.ApiException`` whose body is Plaid's JSON error object.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.asset_report_create_request import AssetReportCreateRequest
from plaid.model.asset_report_create_request_options import AssetReportCreateRequestOptions
from plaid.model.asset_report_get_request import AssetReportGetRequest
from plaid.model.asset_report_pdf_get_request import AssetReportPDFGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.identity_match_request import IdentityMatchRequest
from plaid.model.identity_match_user import IdentityMatchUser
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_by_id_request_options import InstitutionsGetByIdRequestOptions
from plaid.model.institutions_get_request import InstitutionsGetRequest
from plaid.model.institutions_search_request import InstitutionsSearchRequest
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_refresh_request import InvestmentsRefreshRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_balance_get_request import ProcessorBalanceGetRequest
from plaid.model.processor_identity_get_request import ProcessorIdentityGetRequest
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_transactions_sync_request import ProcessorTransactionsSyncRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.signal_decision_report_request import SignalDecisionReportRequest
from plaid.model.signal_evaluate_request import SignalEvaluateRequest
from plaid.model.signal_return_report_request import SignalReturnReportRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.conftest import DATABASES, fresh_database_url

from .served import error_body, sdk_client, served_sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A sandbox process on a free port; yields the ready file's URL and keys."""
    with served_sandbox(fresh_database_url(request.param, tmp_path, "e2e"), tmp_path) as ready:
        yield ready


_client = sdk_client


def _error_code(call: Any, request: Any) -> str:
    body = error_body(call, request)
    assert body["status"] == 400
    return str(body["error_code"])


def test_sdk_full_flow_against_served_process(server: dict[str, Any]) -> None:
    client = _client(server)
    assert server["client_id"] == "e2e-client-id"
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions"), Products("auth")],
        )
    ).public_token
    exchange = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    token = exchange.access_token
    item = client.item_get(ItemGetRequest(access_token=token)).item
    assert item.item_id == exchange.item_id
    assert item.institution_id == "ins_109508"

    accounts = client.accounts_get(AccountsGetRequest(access_token=token)).accounts
    assert len(accounts) == 12
    balances = client.accounts_balance_get(AccountsBalanceGetRequest(access_token=token))
    assert [a.account_id for a in balances.accounts] == [a.account_id for a in accounts]
    auth = client.auth_get(AuthGetRequest(access_token=token))
    assert auth.numbers.ach and all(len(n.routing) == 9 for n in auth.numbers.ach)
    # Plaid's Auth guide has apps check this flag; a key left out raises in plaid-python
    assert not any(n.is_tokenized_account_number for n in auth.numbers.ach)
    identity = client.identity_get(IdentityGetRequest(access_token=token))
    assert identity.accounts[0].owners[0].names

    added: list[Any] = []
    cursor, has_more = "", True
    while has_more:
        page = client.transactions_sync(
            TransactionsSyncRequest(access_token=token, cursor=cursor, count=100)
        )
        added += page.added
        cursor, has_more = page.next_cursor, page.has_more
    assert cursor and len(added) > 100
    assert len({t.transaction_id for t in added}) == len(added)

    window = {"access_token": token, "start_date": dt.date(2025, 1, 1)}
    end = max(t.date for t in added)
    first = client.transactions_get(
        TransactionsGetRequest(
            **window, end_date=end, options=TransactionsGetRequestOptions(count=10, offset=0)
        )
    )
    second = client.transactions_get(
        TransactionsGetRequest(
            **window, end_date=end, options=TransactionsGetRequestOptions(count=10, offset=10)
        )
    )
    assert len(first.transactions) == len(second.transactions) == 10
    assert first.total_transactions == second.total_transactions >= 20
    assert first.transactions[0].date >= second.transactions[-1].date
    assert not {t.transaction_id for t in first.transactions} & {
        t.transaction_id for t in second.transactions
    }

    us = [CountryCode("US")]
    listed = client.institutions_get(InstitutionsGetRequest(count=5, offset=0, country_codes=us))
    assert len(listed.institutions) == 5 and listed.total >= 5
    platypus = client.institutions_get_by_id(
        InstitutionsGetByIdRequest(
            institution_id="ins_109508",
            country_codes=us,
            options=InstitutionsGetByIdRequestOptions(
                include_auth_metadata=True, include_payment_initiation_metadata=True
            ),
        )
    ).institution
    assert platypus.name == "First Platypus Bank"
    assert platypus.auth_metadata.supported_methods.instant_auth is True  # absent: it raises
    assert platypus.payment_initiation_metadata is None
    found = client.institutions_search(
        InstitutionsSearchRequest(query="Platypus", country_codes=us)
    )
    assert "ins_109508" in {i.institution_id for i in found.institutions}

    link = client.link_token_create(
        LinkTokenCreateRequest(
            client_name="E2E",
            language="en",
            country_codes=us,
            user=LinkTokenCreateRequestUser(client_user_id="user-1"),
            products=[Products("transactions")],
        )
    )
    assert link.link_token.startswith("link-sandbox-")
    got = client.link_token_get(LinkTokenGetRequest(link_token=link.link_token))
    assert got.metadata.client_name == "E2E"

    client.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=token))
    code = _error_code(client.accounts_get, AccountsGetRequest(access_token=token))
    assert code == "ITEM_LOGIN_REQUIRED"

    client.item_remove(ItemRemoveRequest(access_token=token))
    code = _error_code(client.item_get, ItemGetRequest(access_token=token))
    assert code == "ITEM_NOT_FOUND"


def test_sdk_quickstart_signal_identity_match_and_processor(server: dict[str, Any]) -> None:
    """Plaid quickstart's default products (auth, transactions, signal), then the add-ons."""
    client = _client(server)
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("auth"), Products("transactions"), Products("signal")],
        )
    ).public_token
    token = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    checking = client.accounts_get(AccountsGetRequest(access_token=token)).accounts[0]

    scored = client.signal_evaluate(
        SignalEvaluateRequest(
            access_token=token,
            account_id=checking.account_id,
            client_transaction_id="txn-1700000000000-0a1b2c3d",
            amount=100.0,
        )
    )
    assert 1 <= scored.scores.bank_initiated_return_risk.score.value <= 99
    # The served clock is the real one: the verdict depends on the day's balance.
    assert scored.ruleset.result.value in ("ACCEPT", "REVIEW", "REROUTE") and scored.warnings == []
    fixed = client.signal_evaluate(
        SignalEvaluateRequest(
            access_token=token,
            account_id=checking.account_id,
            client_transaction_id="txn-fixed",
            amount=27.53,
        )
    )
    assert fixed.scores.customer_initiated_return_risk.score.value == 90
    client.signal_decision_report(
        SignalDecisionReportRequest(client_transaction_id="txn-fixed", initiated=True)
    )
    client.signal_return_report(
        SignalReturnReportRequest(client_transaction_id="txn-fixed", return_code="R01")
    )

    owner = client.identity_get(IdentityGetRequest(access_token=token)).accounts[0].owners[0]
    matched = client.identity_match(
        IdentityMatchRequest(access_token=token, user=IdentityMatchUser(legal_name=owner.names[0]))
    )
    assert matched.accounts[0].legal_name.score == 100

    processor_token = client.processor_token_create(
        ProcessorTokenCreateRequest(
            access_token=token, account_id=checking.account_id, processor="dwolla"
        )
    ).processor_token
    auth = client.processor_auth_get(ProcessorAuthGetRequest(processor_token=processor_token))
    assert auth.account.account_id == checking.account_id and len(auth.numbers.ach.routing) == 9
    balance = client.processor_balance_get(
        ProcessorBalanceGetRequest(processor_token=processor_token)
    )
    assert balance.account.balances.current == checking.balances.current
    identity = client.processor_identity_get(
        ProcessorIdentityGetRequest(processor_token=processor_token)
    )
    assert identity.account.owners[0].names == owner.names
    page = client.processor_transactions_sync(
        ProcessorTransactionsSyncRequest(processor_token=processor_token, count=50)
    )
    assert page.added and {t.account_id for t in page.added} == {checking.account_id}

    key = client.webhook_verification_key_get(
        WebhookVerificationKeyGetRequest(key_id="6c5516e1-92dc-479e-a8ff-5a51992e0001")
    ).key
    assert key.kid == "6c5516e1-92dc-479e-a8ff-5a51992e0001" and key.x and key.y


def _linked(client: plaid_api.PlaidApi, product: str) -> str:
    """The access token of a First Platypus ``user_good`` item with ``product``."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products(product)]
        )
    ).public_token
    exchange = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    )
    return str(exchange.access_token)


def test_sdk_investments_against_served_process(server: dict[str, Any]) -> None:
    """Holdings, securities and investment transactions through plaid-python's own models."""
    client = _client(server)
    token = _linked(client, "investments")
    holdings = client.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token))
    invested = {a.subtype.value for a in holdings.accounts if a.type.value == "investment"}
    assert invested == {"ira", "401k"} and len(holdings.accounts) > len(invested)
    assert {h.security_id for h in holdings.holdings} == {
        s.security_id for s in holdings.securities
    }
    assert {s.subtype for s in holdings.securities} >= {"cash", "mutual fund"}
    assert all(h.vested_quantity is None for h in holdings.holdings)
    today = dt.date.fromisoformat(max(s.close_price_as_of.isoformat() for s in holdings.securities))
    page = client.investments_transactions_get(
        InvestmentsTransactionsGetRequest(
            access_token=token,
            start_date=today - dt.timedelta(days=365),
            end_date=today,
            options=InvestmentsTransactionsGetRequestOptions(count=20, offset=0),
        )
    )
    assert len(page.investment_transactions) == 20 < page.total_investment_transactions
    assert {t.type.value for t in page.investment_transactions} >= {"cash", "buy"}
    assert client.investments_refresh(InvestmentsRefreshRequest(access_token=token)).request_id


def test_sdk_asset_report_against_served_process(server: dict[str, Any]) -> None:
    """Create, poll until ready (as Plaid's quickstart does), read and download the PDF."""
    client = _client(server)
    token = _linked(client, "assets")
    created = client.asset_report_create(
        AssetReportCreateRequest(
            access_tokens=[token],
            days_requested=30,
            options=AssetReportCreateRequestOptions(client_report_id="e2e"),
        )
    )
    request = AssetReportGetRequest(
        asset_report_token=created.asset_report_token, include_insights=True
    )
    for _ in range(20):
        try:
            report = client.asset_report_get(request).report
            break
        except plaid.ApiException as exc:
            assert json.loads(exc.body)["error_code"] == "PRODUCT_NOT_READY"
            time.sleep(1)
    assert report.asset_report_id == created.asset_report_id
    checking = next(a for a in report.items[0].accounts if a.subtype.value == "checking")
    assert len(checking.historical_balances) == 30 and checking.transactions[0].name
    pdf = client.asset_report_pdf_get(
        AssetReportPDFGetRequest(asset_report_token=created.asset_report_token)
    )
    with pdf:  # the SDK writes the PDF to a temporary file and hands it over open
        assert pdf.read(5) == b"%PDF-"
