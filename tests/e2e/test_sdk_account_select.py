"""Link's Account Select pane end to end: a link token made with plaid-python's
``link_customization_name`` against a served ``python -m sandbox serve`` process, hosted
Link walked over plain HTTP (``HostedLink``), and the exchanged item read through the SDK:
it holds exactly the accounts ticked on the pane, as ``/link/token/get`` and the
``ITEM_ADD_RESULT`` webhook report them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products

from .served import sdk_client, webhook_bodies
from .test_sdk_typed_auth_flows import HostedLink, _exchange

pytestmark = pytest.mark.e2e


def test_the_exchanged_item_has_exactly_the_accounts_chosen_on_the_pane(
    plaid_server: dict[str, Any],
) -> None:
    client = sdk_client(plaid_server)
    request = LinkTokenCreateRequest(
        client_name="E2E",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="e2e-account-select"),
        products=[Products("transactions")],
        link_customization_name="account_select_multiple",
        webhook="https://app.example/hook",
        hosted_link=LinkTokenCreateHostedLink(completion_redirect_uri="https://app.example/done"),
    )
    link_token = client.link_token_create(request).link_token
    link = HostedLink(plaid_server, link_token)
    link.post("consent")
    link.post("select", institution_id="ins_109508")
    pane = link.post("credentials", username="user_good", password="pass_good")
    boxes = dict(
        (name, value)
        for value, name in re.findall(
            r'name="account" value="(\d+)">\s*<span class="account-name">([^<]+)<', pane.text
        )
    )
    assert len(boxes) > 2, pane.text[-1000:]
    chosen = ["Plaid Saving", "Plaid Credit Card"]
    finished = link.post("accounts", account=[boxes[n] for n in chosen])  # type: ignore[arg-type]
    public = link.public_token(finished)
    access = _exchange(client, public)
    accounts = client.accounts_get(AccountsGetRequest(access_token=access)).accounts
    assert sorted(a.name for a in accounts) == sorted(chosen)
    session = client.link_token_get(LinkTokenGetRequest(link_token=link_token)).link_sessions[0]
    shared = session.results.item_add_results[0].accounts
    assert sorted(a.name for a in shared) == sorted(chosen)
    assert {a.id for a in shared} == {a.account_id for a in accounts}
    added = [
        b for b in webhook_bodies(plaid_server, "LINK") if b["webhook_code"] == "ITEM_ADD_RESULT"
    ]
    assert [b["public_token"] for b in added if b["link_token"] == link_token] == [public]
