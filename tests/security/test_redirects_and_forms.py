"""Redirects come from configuration and are http(s) only; bad form fields are 400 pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from sandbox.core.models import OAuthClient
from sandbox.extensions import db
from tests.api.web.test_link_pages import LinkBrowser, to_credentials
from tests.conftest import PlaidClient


def oauth_redirect(plaid: PlaidClient, host: str) -> str:
    """The redirect URI Link sends to the bank when the browser reaches it as ``host``."""
    link = LinkBrowser(plaid)
    base = f"http://{host}"
    page = link.client.get(f"/link?token={link.token}", base_url=base).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    for action, form in (("consent", {}), ("select", {"institution_id": "ins_56"}), ("oauth", {})):
        data = {"csrf_token": csrf, "token": link.token, **form}
        reply = link.client.post(f"/link/{action}", data=data, base_url=base)
        assert reply.status_code == 303, reply.text
    return parse_qs(urlsplit(reply.headers["Location"]).query)["redirect_uri"][0]


def registered_uris() -> list[str]:
    return [uri for row in db.session.query(OAuthClient).all() for uri in row.redirect_uris]


def test_a_foreign_host_header_never_becomes_a_redirect_uri(plaid: PlaidClient) -> None:
    uri = oauth_redirect(plaid, "evil.example")
    assert uri == "http://127.0.0.1:8000/link/oauth-callback"
    assert not any("evil.example" in u for u in registered_uris())


def test_the_configured_public_url_is_the_redirect_base(plaid: PlaidClient, app: Flask) -> None:
    app.config["PUBLIC_URL"] = "https://sandbox.team.example/"
    uri = oauth_redirect(plaid, "localhost")
    assert uri == "https://sandbox.team.example/link/oauth-callback"


def test_a_loopback_host_stays_usable_on_a_local_sandbox(plaid: PlaidClient) -> None:
    assert oauth_redirect(plaid, "localhost:8000") == ("http://localhost:8000/link/oauth-callback")


def test_links_own_client_forgets_redirect_uris_stored_from_host_headers(
    plaid: PlaidClient,
) -> None:
    oauth_redirect(plaid, "localhost:9999")
    oauth_redirect(plaid, "localhost:8000")
    assert [u for u in registered_uris() if "9999" in u] == []


@pytest.mark.parametrize(
    "uri", ["javascript:alert(document.cookie)", "data:text/html,<script>1</script>", "myapp:x"]
)
def test_completion_redirect_uri_must_be_http_or_https(plaid: PlaidClient, uri: str) -> None:
    error = plaid.error(
        "/link/token/create",
        client_name="app",
        language="en",
        country_codes=["US"],
        user={"client_user_id": "u"},
        products=["auth"],
        hosted_link={"completion_redirect_uri": uri},
    )
    assert error["error_code"] == "INVALID_FIELD"
    assert "hosted_link.completion_redirect_uri" in error["error_message"]


@pytest.mark.parametrize("count", ["abc", "2e7", "20000000", "0", "\u00b2"])
def test_link_mfa_count_out_of_bounds_is_a_400_page_naming_count(
    plaid: PlaidClient, count: str
) -> None:
    link = LinkBrowser(plaid)
    to_credentials(link)
    link.post("credentials", username="user_good", password="mfa_device")
    reply: Any = link.post("mfa", count=count, answer_0="1234")
    assert reply.status_code == 400 and reply.mimetype == "text/html"
    assert "count" in reply.text


def test_dashboard_clock_superscript_days_is_a_400_page_naming_days(
    app: Flask, plaid: PlaidClient
) -> None:
    client = plaid.client
    page = client.get("/dashboard/login").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/dashboard/login",
        data={"csrf_token": csrf, "client_id": plaid.client_id, "secret": plaid.secret},
    )
    csrf = client.get("/dashboard").text.split('name="csrf_token" value="')[1].split('"')[0]
    reply = client.post(
        "/dashboard/clock", data={"csrf_token": csrf, "change": "advance", "days": "\u00b2"}
    )
    assert reply.status_code == 400 and reply.mimetype == "text/html"
    assert "days: must be a whole number from 1 to 3650" in reply.text
