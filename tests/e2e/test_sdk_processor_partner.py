"""A payment partner's side of processor tokens, through the official plaid-python SDK.

The app links an item and hands a partner a processor token per account; the partner then
calls every processor twin against a real ``python -m sandbox serve`` process, only the host
changed. The SDK's own models deserialize each reply; errors arrive as ``plaid.ApiException``.
The app narrows a token's products, and the partner's webhook receives signed webhooks from
the served process's own dispatcher.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.identity_match_user import IdentityMatchUser
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.processor_account_get_request import ProcessorAccountGetRequest
from plaid.model.processor_auth_get_request import ProcessorAuthGetRequest
from plaid.model.processor_balance_get_request import ProcessorBalanceGetRequest
from plaid.model.processor_identity_match_request import ProcessorIdentityMatchRequest
from plaid.model.processor_investments_auth_get_request import (
    ProcessorInvestmentsAuthGetRequest,
)
from plaid.model.processor_investments_holdings_get_request import (
    ProcessorInvestmentsHoldingsGetRequest,
)
from plaid.model.processor_investments_transactions_get_request import (
    ProcessorInvestmentsTransactionsGetRequest,
)
from plaid.model.processor_liabilities_get_request import ProcessorLiabilitiesGetRequest
from plaid.model.processor_signal_decision_report_request import (
    ProcessorSignalDecisionReportRequest,
)
from plaid.model.processor_signal_evaluate_request import ProcessorSignalEvaluateRequest
from plaid.model.processor_signal_prepare_request import ProcessorSignalPrepareRequest
from plaid.model.processor_signal_return_report_request import ProcessorSignalReturnReportRequest
from plaid.model.processor_sync_updates_available_webhook import (
    ProcessorSyncUpdatesAvailableWebhook,
)
from plaid.model.processor_token_create_request import ProcessorTokenCreateRequest
from plaid.model.processor_token_permissions_get_request import (
    ProcessorTokenPermissionsGetRequest,
)
from plaid.model.processor_token_permissions_set_request import (
    ProcessorTokenPermissionsSetRequest,
)
from plaid.model.processor_token_webhook_update import ProcessorTokenWebhookUpdate
from plaid.model.processor_token_webhook_update_request import ProcessorTokenWebhookUpdateRequest
from plaid.model.processor_transactions_get_request import ProcessorTransactionsGetRequest
from plaid.model.processor_transactions_get_request_options import (
    ProcessorTransactionsGetRequestOptions,
)
from plaid.model.processor_transactions_recurring_get_request import (
    ProcessorTransactionsRecurringGetRequest,
)
from plaid.model.processor_transactions_refresh_request import ProcessorTransactionsRefreshRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_set_verification_status_request import (
    SandboxItemSetVerificationStatusRequest,
)
from plaid.model.sandbox_processor_token_create_request import SandboxProcessorTokenCreateRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from tests.api.plaid.contract import FakeResponse
from tests.conftest import DATABASES, fresh_database_url

from .served import sdk_client, served_sandbox
from .test_webhook_delivery import Receiver

pytestmark = pytest.mark.e2e
# The served process follows real time: a window ending today holds the linked history.
END = dt.datetime.now(dt.UTC).date()
START = END - dt.timedelta(days=80)


@pytest.fixture(params=DATABASES)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A sandbox process on a free port; yields the ready file's URL and keys."""
    database_url = fresh_database_url(request.param, tmp_path, "e2e_processor")
    with served_sandbox(database_url, tmp_path) as ready:
        yield ready


_client = sdk_client


def _error(call: Any, request: Any) -> dict[str, Any]:
    with pytest.raises(plaid.ApiException) as caught:
        call(request)
    body: dict[str, Any] = json.loads(caught.value.body)
    assert caught.value.status == 400 and body["request_id"]
    return body


def _link(
    client: plaid_api.PlaidApi, institution: str, products: list[str], **options: Any
) -> tuple[str, dict[str, str]]:
    """An access token and the item's account ids by mask."""
    public = client.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id=institution,
            initial_products=[Products(p) for p in products],
            options=SandboxPublicTokenCreateRequestOptions(**options),
        )
    ).public_token
    access = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    accounts = client.accounts_get(AccountsGetRequest(access_token=access)).accounts
    return access, {a.mask: a.account_id for a in accounts}


def _processor_token(client: plaid_api.PlaidApi, access: str, account_id: str) -> str:
    request = ProcessorTokenCreateRequest(
        access_token=access, account_id=account_id, processor="modern_treasury"
    )
    token: str = client.processor_token_create(request).processor_token
    return token


def test_partner_reads_every_twin_through_the_sdk(server: dict[str, Any]) -> None:
    client = _client(server)
    access, ids = _link(client, "ins_109508", ["auth", "transactions", "investments"])
    checking, card, ira, loan = (
        _processor_token(client, access, ids[m]) for m in ("0000", "3333", "5555", "7777")
    )

    account = client.processor_account_get(ProcessorAccountGetRequest(processor_token=checking))
    assert account.account.account_id == ids["0000"] and account.institution_id == "ins_109508"

    match = client.processor_identity_match(
        ProcessorIdentityMatchRequest(
            processor_token=checking, user=IdentityMatchUser(legal_name="Alberta Charleson")
        )
    )
    assert match.account.account_id == ids["0000"] and match.account.legal_name.score > 70

    page = client.processor_transactions_get(
        ProcessorTransactionsGetRequest(
            processor_token=checking,
            start_date=START,
            end_date=END,
            options=ProcessorTransactionsGetRequestOptions(count=20, offset=0),
        )
    )
    assert page.account.account_id == ids["0000"] and len(page.transactions) == 20
    assert {t.account_id for t in page.transactions} == {ids["0000"]}
    assert page.total_transactions > 20
    client.processor_transactions_refresh(
        ProcessorTransactionsRefreshRequest(processor_token=checking)
    )
    streams = client.processor_transactions_recurring_get(
        ProcessorTransactionsRecurringGetRequest(processor_token=checking)
    )
    assert {s.account_id for s in streams.inflow_streams + streams.outflow_streams} <= {ids["0000"]}

    holdings = client.processor_investments_holdings_get(
        ProcessorInvestmentsHoldingsGetRequest(processor_token=ira)
    )
    assert holdings.account.account_id == ids["5555"] and holdings.holdings
    trades = client.processor_investments_transactions_get(
        ProcessorInvestmentsTransactionsGetRequest(
            processor_token=ira,
            start_date=START,
            end_date=END,
            options=InvestmentsTransactionsGetRequestOptions(count=3, offset=1),
        )
    )
    assert len(trades.investment_transactions) == 3 and trades.total_investment_transactions > 4
    auth = client.processor_investments_auth_get(
        ProcessorInvestmentsAuthGetRequest(processor_token=ira)
    )
    assert auth.numbers.acats[0].account_id == ids["5555"]

    credit = client.processor_liabilities_get(ProcessorLiabilitiesGetRequest(processor_token=card))
    assert [c.account_id for c in credit.liabilities.credit] == [ids["3333"]]
    student = client.processor_liabilities_get(ProcessorLiabilitiesGetRequest(processor_token=loan))
    assert [s.account_id for s in student.liabilities.student] == [ids["7777"]]

    client.processor_signal_prepare(ProcessorSignalPrepareRequest(processor_token=checking))
    scored = client.processor_signal_evaluate(
        ProcessorSignalEvaluateRequest(
            processor_token=checking, client_transaction_id="txn-partner-1", amount=12.17
        )
    )
    assert scored.scores.bank_initiated_return_risk.score.value == 60
    client.processor_signal_decision_report(
        ProcessorSignalDecisionReportRequest(
            processor_token=checking, client_transaction_id="txn-partner-1", initiated=True
        )
    )
    client.processor_signal_return_report(
        ProcessorSignalReturnReportRequest(
            processor_token=checking, client_transaction_id="txn-partner-1", return_code="R01"
        )
    )


def test_partner_sees_the_errors_plaid_sends(server: dict[str, Any]) -> None:
    client = _client(server)
    access, ids = _link(client, "ins_109508", ["auth", "transactions"])
    checking = _processor_token(client, access, ids["0000"])
    wrong_kind = _error(
        client.processor_liabilities_get, ProcessorLiabilitiesGetRequest(processor_token=checking)
    )
    assert wrong_kind["error_code"] == "NO_LIABILITY_ACCOUNTS"
    not_offered_access, gb = _link(client, "ins_117650", ["auth"])
    gb_token = _processor_token(client, not_offered_access, gb["0000"])
    not_offered = _error(
        client.processor_investments_holdings_get,
        ProcessorInvestmentsHoldingsGetRequest(processor_token=gb_token),
    )
    assert not_offered["error_code"] == "PRODUCTS_NOT_SUPPORTED"
    client.item_remove(ItemRemoveRequest(access_token=access))
    dead = _error(
        client.processor_account_get, ProcessorAccountGetRequest(processor_token=checking)
    )
    assert (dead["error_type"], dead["error_code"]) == ("INVALID_INPUT", "INVALID_PROCESSOR_TOKEN")


def test_partner_gets_a_sandbox_token_without_an_app(server: dict[str, Any]) -> None:
    client = _client(server)
    token = client.sandbox_processor_token_create(
        SandboxProcessorTokenCreateRequest(institution_id="ins_109508")
    ).processor_token
    account = client.processor_account_get(ProcessorAccountGetRequest(processor_token=token))
    assert account.account.subtype.value == "checking" and account.institution_id == "ins_109508"
    numbers = client.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)).numbers
    assert numbers.ach.account_id == account.account.account_id


def test_partner_waits_for_automated_micro_deposits(server: dict[str, Any]) -> None:
    """Houndstooth with ``microdeposits_good``: the partner's auth read waits as the app's."""
    client = _client(server)
    access, ids = _link(
        client,
        "ins_109512",
        ["auth"],
        override_username="user_good",
        override_password="microdeposits_good",
    )
    token = _processor_token(client, access, ids["0000"])
    waiting = _error(client.processor_auth_get, ProcessorAuthGetRequest(processor_token=token))
    assert waiting["error_code"] == "PRODUCT_NOT_READY"
    client.sandbox_item_set_verification_status(
        SandboxItemSetVerificationStatusRequest(
            access_token=access,
            account_id=ids["0000"],
            verification_status="automatically_verified",
        )
    )
    numbers = client.processor_auth_get(ProcessorAuthGetRequest(processor_token=token)).numbers
    assert numbers.ach.account_id == ids["0000"] and len(numbers.ach.routing) == 9


def _verified(client: plaid_api.PlaidApi, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    """The body, once its ``Plaid-Verification`` JWT checks out as Plaid tells receivers to:
    ES256, the key fetched by ``kid``, and the body's SHA-256 in the claims."""
    token = headers["Plaid-Verification"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    key = client.webhook_verification_key_get(
        WebhookVerificationKeyGetRequest(key_id=header["kid"])
    ).key.to_dict()
    public = jwt.PyJWK({k: key[k] for k in ("kty", "crv", "x", "y", "alg", "kid")})
    claims = jwt.decode(token, public, algorithms=["ES256"])
    assert claims["request_body_sha256"] == hashlib.sha256(raw).hexdigest()
    body: dict[str, Any] = json.loads(raw)
    return body


def _as(client: plaid_api.PlaidApi, model: type, body: dict[str, Any]) -> Any:
    """``body`` deserialized into the SDK's webhook model, as a partner's receiver would."""
    return client.api_client.deserialize(FakeResponse(body), (model,), True)


def test_partner_webhooks_and_permissions_through_the_sdk(server: dict[str, Any]) -> None:
    """The app narrows the token to Auth; the partner's webhook gets the signed
    acknowledgement; once Transactions is allowed again, the fired SYNC_UPDATES_AVAILABLE
    reaches it in the processor shape."""
    client = _client(server)
    receiver = Receiver()
    try:
        access, ids = _link(client, "ins_109508", ["auth", "transactions"])
        token = _processor_token(client, access, ids["0000"])
        client.processor_token_permissions_set(
            ProcessorTokenPermissionsSetRequest(processor_token=token, products=[Products("auth")])
        )
        allowed = client.processor_token_permissions_get(
            ProcessorTokenPermissionsGetRequest(processor_token=token)
        )
        assert allowed.products == [Products("auth")]
        refused = _error(
            client.processor_balance_get, ProcessorBalanceGetRequest(processor_token=token)
        )
        assert (refused["error_type"], refused["error_code"]) == (
            "INVALID_INPUT",
            "INVALID_PRODUCT",
        )
        client.processor_token_webhook_update(
            ProcessorTokenWebhookUpdateRequest(processor_token=token, webhook=receiver.url)
        )
        receiver.wait_for(1, timeout=30)
        ack = _verified(client, *receiver.received[0])
        assert _as(client, ProcessorTokenWebhookUpdate, ack).new_webhook_url == receiver.url
        assert ack["account_id"] == ids["0000"] and "item_id" not in ack

        client.processor_token_permissions_set(
            ProcessorTokenPermissionsSetRequest(processor_token=token, products=[])
        )
        client.sandbox_item_fire_webhook(
            SandboxItemFireWebhookRequest(
                access_token=access, webhook_code="SYNC_UPDATES_AVAILABLE"
            )
        )
        receiver.wait_for(2, timeout=30)
        update = _verified(client, *receiver.received[1])
        model = _as(client, ProcessorSyncUpdatesAvailableWebhook, update)
        assert (model.account_id, model.historical_update_complete) == (ids["0000"], True)
    finally:
        receiver.server.shutdown()
