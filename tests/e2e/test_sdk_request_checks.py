"""Request checks an app meets through plaid-python against a served sandbox: an empty
``options.account_ids`` filter and ``/link/token/create``'s ``institution_data``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_request_options import AccountsGetRequestOptions
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_institution_data import LinkTokenCreateInstitutionData
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions

from .served import error_body, sdk_client

pytestmark = pytest.mark.e2e


def _linked(api: plaid_api.PlaidApi) -> str:
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")]
        )
    ).public_token
    exchanged = api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    return str(exchanged.access_token)


def test_sdk_empty_account_ids_filter_is_invalid_field(plaid_server: dict[str, Any]) -> None:
    api = sdk_client(plaid_server)
    token = _linked(api)
    assert api.accounts_get(AccountsGetRequest(access_token=token)).accounts
    today = dt.date.today()
    for call, request in (
        (
            api.accounts_get,
            AccountsGetRequest(
                access_token=token, options=AccountsGetRequestOptions(account_ids=[])
            ),
        ),
        (
            api.transactions_get,
            TransactionsGetRequest(
                access_token=token,
                start_date=today - dt.timedelta(days=30),
                end_date=today,
                options=TransactionsGetRequestOptions(account_ids=[]),
            ),
        ),
    ):
        body = error_body(call, request)
        assert (body["status"], body["error_code"]) == (400, "INVALID_FIELD")
        assert body["error_message"].startswith("options.account_ids")


def _link_token_request(routing: str) -> LinkTokenCreateRequest:
    return LinkTokenCreateRequest(
        client_name="Demo",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="u1"),
        products=[Products("transactions")],
        institution_data=LinkTokenCreateInstitutionData(routing_number=routing),
    )


def test_sdk_link_token_keeps_institution_data_and_refuses_a_bad_routing_number(
    plaid_server: dict[str, Any],
) -> None:
    api = sdk_client(plaid_server)
    token = api.link_token_create(_link_token_request("112000024")).link_token
    got = api.link_token_get(LinkTokenGetRequest(link_token=token))
    assert got.metadata.institution_data.routing_number == "112000024"
    body = error_body(api.link_token_create, _link_token_request("112000025"))
    assert (body["status"], body["error_code"]) == (400, "INVALID_FIELD")
    assert body["error_message"].startswith("institution_data.routing_number")
