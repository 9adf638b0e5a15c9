"""Instant micro-deposits and Database Insights through the official plaid-python SDK against
a served ``python -m sandbox serve`` process.

The link token is made with the SDK's ``LinkTokenCreateRequestAuth`` flags; hosted Link's
bank pane is walked over plain HTTP (a cookie session and its form token, as a browser would
post it: the browser tier clicks the same panes in Chromium); the public token is exchanged
and every read made through the SDK, whose own models deserialize each reply
(``verification_status``, ``verification_insights``, ``auth_method``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_hosted_link import LinkTokenCreateHostedLink
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_auth import LinkTokenCreateRequestAuth
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.products import Products

from .served import error_body, sdk_client, webhook_bodies

pytestmark = pytest.mark.e2e


class HostedLink:
    """One hosted Link session walked over HTTP: the page's form token, the posts."""

    def __init__(self, server: dict[str, Any], link_token: str) -> None:
        self.url, self.token = server["url"], link_token
        self.http = requests.Session()
        page = self.http.get(f"{self.url}/link", params={"token": link_token}, timeout=10).text
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]

    def post(self, action: str, **form: str) -> requests.Response:
        """Post a pane's form; the redirect it answers (303) is followed to the next pane."""
        body = {"csrf_token": self.csrf, "token": self.token, **form}
        reply = self.http.post(f"{self.url}/link/{action}", data=body, timeout=10)
        assert reply.status_code == 200, reply.text[-500:]
        return reply

    def public_token(self, finished: requests.Response) -> str:
        """The public token the success pane's Continue hands the app."""
        target = re.search(r'class="primary button-link" href="([^"]+)"', finished.text)
        assert target, finished.text[-1000:]
        return parse_qs(urlsplit(target[1].replace("&amp;", "&")).query)["public_token"][0]


def _link_token(client: plaid_api.PlaidApi, auth: LinkTokenCreateRequestAuth, **extra: Any) -> str:
    request = LinkTokenCreateRequest(
        client_name="E2E",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="e2e-user", **extra),
        products=[Products("auth")],
        auth=auth,
        webhook="https://app.example/hook",
        hosted_link=LinkTokenCreateHostedLink(completion_redirect_uri="https://app.example/done"),
    )
    token: str = client.link_token_create(request).link_token
    return token


def _exchange(client: plaid_api.PlaidApi, public: str) -> str:
    access: str = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    return access


def test_instant_micro_deposits_through_the_sdk(plaid_server: dict[str, Any]) -> None:
    client = sdk_client(plaid_server)
    link_token = _link_token(client, LinkTokenCreateRequestAuth(instant_microdeposits_enabled=True))
    link = HostedLink(plaid_server, link_token)
    link.post("consent")
    pane = link.post("manual", routing_number="333333334", account_number="1111222233330000")
    assert "Deposit code" in pane.text
    assert "2 attempts left" in link.post("verify", code="XYZ").text
    access = _exchange(client, link.public_token(link.post("verify", code="abc")))

    auth = client.auth_get(AuthGetRequest(access_token=access))
    (account,) = auth.accounts
    assert str(account.verification_status) == "manually_verified"
    assert [n.account_id for n in auth.numbers.ach] == [account.account_id]
    item = client.item_get(ItemGetRequest(access_token=access)).item
    assert (item.institution_id, str(item.auth_method)) == ("ins_135858", "INSTANT_MICRODEPOSITS")
    assert [str(p) for p in item.products] == ["auth"]
    refused = error_body(
        client.accounts_balance_get, AccountsBalanceGetRequest(access_token=access)
    )
    assert (refused["error_code"], refused["status"]) == ("PRODUCTS_NOT_SUPPORTED", 400)

    (session,) = client.link_token_get(LinkTokenGetRequest(link_token=link_token)).link_sessions
    assert [str(a.verification_status) for a in session.on_success.metadata.accounts] == [
        "manually_verified"
    ]
    names = [e.event_name for e in session.events]
    assert "INSTANT_MICRODEPOSIT_AUTHORIZED" in names and names[-1] == "HANDOFF"
    added = [
        b for b in webhook_bodies(plaid_server, "LINK") if b["webhook_code"] == "ITEM_ADD_RESULT"
    ]
    assert session.on_success.public_token in {b["public_token"] for b in added}


@pytest.mark.parametrize(
    ("account_number", "status", "score"),
    [
        ("1111222233331111", "database_insights_pass", 100),
        ("1111222233333333", "database_insights_pass_with_caution", None),
        ("1111222233330000", "database_insights_fail", None),
    ],
)
def test_database_insights_through_the_sdk(
    plaid_server: dict[str, Any], account_number: str, status: str, score: int | None
) -> None:
    client = sdk_client(plaid_server)
    link_token = _link_token(
        client,
        LinkTokenCreateRequestAuth(database_insights_enabled=True),
        legal_name="John Smith",
    )
    link = HostedLink(plaid_server, link_token)
    link.post("consent")
    done = link.post("manual", routing_number="011401533", account_number=account_number)
    access = _exchange(client, link.public_token(done))

    for reply in (
        client.accounts_get(AccountsGetRequest(access_token=access)),
        client.auth_get(AuthGetRequest(access_token=access)),
    ):
        (account,) = reply.accounts
        assert str(account.verification_status) == status
        assert account.verification_name == "John Smith"
        insights = account.verification_insights
        assert insights.network_status.has_numbers_match is (score is not None)
        assert insights.name_match_score == score
        assert str(insights.account_number_format) in ("valid", "invalid")
    item = client.item_get(ItemGetRequest(access_token=access)).item
    assert str(item.auth_method) == "DATABASE_INSIGHTS"
    refused = error_body(
        client.accounts_balance_get, AccountsBalanceGetRequest(access_token=access)
    )
    assert refused["error_code"] == "PRODUCTS_NOT_SUPPORTED"


def test_a_flow_flag_without_auth_is_refused_through_the_sdk(
    plaid_server: dict[str, Any],
) -> None:
    client = sdk_client(plaid_server)
    request = LinkTokenCreateRequest(
        client_name="E2E",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="e2e-user"),
        products=[Products("transactions")],
        auth=LinkTokenCreateRequestAuth(database_insights_enabled=True),
    )
    refused = error_body(client.link_token_create, request)
    assert refused["error_code"] == "INVALID_FIELD"
    assert refused["error_message"].startswith("auth.database_insights_enabled")
