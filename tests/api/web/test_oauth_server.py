"""The banks' OAuth 2.0 server: PKCE, exact redirect URIs, single-use codes, rotation."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from sandbox.core import tenants
from sandbox.extensions import db
from sandbox.web.oauth_clients import register_client

BANK = "ins_127287"
REDIRECT = "http://localhost:5005/callback"
VERIFIER = "v" * 50


def challenge(verifier: str = VERIFIER) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@pytest.fixture
def client_id(app: Flask, tenant_keys: tenants.Keys) -> str:
    tenant = tenants.authenticate(db.session, tenant_keys.client_id, tenant_keys.secret)
    row = register_client(tenant.id, BANK, REDIRECT, client_id="test-app")
    db.session.commit()
    return row.client_id


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    return app.test_client()


def authorize_url(client_id: str, **overrides: Any) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "accounts transactions",
        "state": "xyz",
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
        **overrides,
    }
    return f"/oauth/{BANK}/authorize?" + urlencode({k: v for k, v in params.items() if v})


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match[1]


def consent(browser: FlaskClient, url: str, action: str = "approve", accounts=("0", "1")) -> Any:
    """Sign in as user_good and answer the consent screen; returns the redirect response."""
    token = csrf_of(browser.get(url).text)
    signed_in = browser.post(
        url,
        data={
            "csrf_token": token,
            "action": "login",
            "username": "user_good",
            "password": "pass_good",
        },
    )
    assert signed_in.status_code == 303
    return browser.post(
        url, data={"csrf_token": token, "action": action, "account": list(accounts)}
    )


def code_from(response: Any) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def token_request(browser: FlaskClient, **form: str) -> Any:
    return browser.post(f"/oauth/{BANK}/token", data=form)


def redeem(browser: FlaskClient, client_id: str, code: str, verifier: str = VERIFIER) -> Any:
    return token_request(
        browser,
        grant_type="authorization_code",
        client_id=client_id,
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )


def test_authorize_approve_redirects_with_code_and_state_and_token_carries_consent(
    browser: FlaskClient, client_id: str
) -> None:
    code = code_from(consent(browser, authorize_url(client_id), accounts=("0", "2")))
    tokens = redeem(browser, client_id, code).get_json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600
    data = browser.get(
        f"/oauth/{BANK}/accounts", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).get_json()
    assert data == {"username": "user_good", "accounts": [0, 2]}


def test_authorize_without_code_challenge_is_rejected(browser: FlaskClient, client_id: str) -> None:
    response = browser.get(authorize_url(client_id, code_challenge="", code_challenge_method=""))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert (
        query["error"] == ["invalid_request"] and "code_challenge" in query["error_description"][0]
    )


def test_authorize_plain_code_challenge_method_is_rejected(
    browser: FlaskClient, client_id: str
) -> None:
    response = browser.get(authorize_url(client_id, code_challenge_method="plain"))
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_token_with_wrong_code_verifier_is_rejected(browser: FlaskClient, client_id: str) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    response = redeem(browser, client_id, code, verifier="w" * 50)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_token_without_code_verifier_is_rejected(browser: FlaskClient, client_id: str) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    response = token_request(
        browser,
        grant_type="authorization_code",
        client_id=client_id,
        code=code,
        redirect_uri=REDIRECT,
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_authorize_wrong_redirect_uri_is_rejected_without_redirecting(
    browser: FlaskClient, client_id: str
) -> None:
    response = browser.get(authorize_url(client_id, redirect_uri="http://localhost:5005/evil"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not valid" in response.text


def test_authorize_without_state_is_rejected_without_redirecting(
    browser: FlaskClient, client_id: str
) -> None:
    response = browser.get(authorize_url(client_id, state=""))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "state" in response.text


def test_authorize_client_of_another_bank_is_rejected(browser: FlaskClient, client_id: str) -> None:
    response = browser.get(authorize_url(client_id).replace(BANK, "ins_56"))
    assert response.status_code == 400 and "invalid_client" in response.text


def test_token_code_reuse_is_rejected(browser: FlaskClient, client_id: str) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    assert redeem(browser, client_id, code).status_code == 200
    again = redeem(browser, client_id, code)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_token_expired_code_is_rejected(browser: FlaskClient, client_id: str) -> None:
    with freeze_time("2026-03-16 15:30:00") as frozen:
        code = code_from(consent(browser, authorize_url(client_id)))
        frozen.tick(61)
        response = redeem(browser, client_id, code)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_token_redirect_uri_must_match_the_authorization_request(
    browser: FlaskClient, client_id: str
) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    response = token_request(
        browser,
        grant_type="authorization_code",
        client_id=client_id,
        code=code,
        redirect_uri=REDIRECT + "/other",
        code_verifier=VERIFIER,
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_refresh_rotates_and_old_refresh_token_stops_working(
    browser: FlaskClient, client_id: str
) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    first = redeem(browser, client_id, code).get_json()
    second = token_request(
        browser,
        grant_type="refresh_token",
        client_id=client_id,
        refresh_token=first["refresh_token"],
    ).get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reused = token_request(
        browser,
        grant_type="refresh_token",
        client_id=client_id,
        refresh_token=first["refresh_token"],
    )
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    old = browser.get(
        f"/oauth/{BANK}/accounts", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert old.status_code == 401


def test_access_token_expires(browser: FlaskClient, client_id: str) -> None:
    with freeze_time("2026-03-16 15:30:00") as frozen:
        code = code_from(consent(browser, authorize_url(client_id)))
        access = redeem(browser, client_id, code).get_json()["access_token"]
        frozen.tick(601)
        response = browser.get(
            f"/oauth/{BANK}/accounts", headers={"Authorization": f"Bearer {access}"}
        )
    assert response.status_code == 401


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoked_tokens_stop_working(browser: FlaskClient, client_id: str, which: str) -> None:
    code = code_from(consent(browser, authorize_url(client_id)))
    tokens = redeem(browser, client_id, code).get_json()
    revoked = browser.post(
        f"/oauth/{BANK}/revoke",
        data={"client_id": client_id, "token": tokens[which], "token_type_hint": which},
    )
    assert revoked.status_code == 200
    data = browser.get(
        f"/oauth/{BANK}/accounts", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert data.status_code == 401
    refresh = token_request(
        browser,
        grant_type="refresh_token",
        client_id=client_id,
        refresh_token=tokens["refresh_token"],
    )
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied_and_state(browser: FlaskClient, client_id: str) -> None:
    response = consent(browser, authorize_url(client_id), action="deny")
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]


def test_cancel_on_the_sign_in_page_goes_back_denied(browser: FlaskClient, client_id: str) -> None:
    """The bank's sign-in page had no way back to the app but the browser's Back button."""
    url = authorize_url(client_id)
    page = browser.get(url).text
    assert 'value="deny"' in page
    response = browser.post(url, data={"csrf_token": csrf_of(page), "action": "deny"})
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]


def test_authorize_form_without_csrf_token_is_refused(browser: FlaskClient, client_id: str) -> None:
    url = authorize_url(client_id)
    browser.get(url)
    response = browser.post(
        url, data={"action": "login", "username": "user_good", "password": "pass_good"}
    )
    assert response.status_code == 400


def test_a_form_sent_after_the_session_was_lost_gets_the_banks_own_page(
    browser: FlaskClient, client_id: str
) -> None:
    """The bank's page, not the developer site's 400 (its menu, a link to the home page)."""
    url = authorize_url(client_id)
    token = csrf_of(browser.get(url).text)
    browser.delete_cookie("session")
    form = {"csrf_token": token, "action": "login", "username": "user_good", "password": "x"}
    response = browser.post(url, data=form)
    page = response.text
    assert response.status_code == 400 and "This page has expired" in page
    assert "· Platypus OAuth Bank</title>" in page and "/dashboard" not in page


def test_authorize_wrong_password_shows_the_banks_message(
    browser: FlaskClient, client_id: str
) -> None:
    url = authorize_url(client_id)
    token = csrf_of(browser.get(url).text)
    response = browser.post(
        url,
        data={"csrf_token": token, "action": "login", "username": "user_good", "password": "wrong"},
    )
    assert (
        response.status_code == 400 and "credentials you provided were incorrect" in response.text
    )


def test_not_you_signs_out_of_the_bank_and_keeps_the_request_open(
    browser: FlaskClient, client_id: str
) -> None:
    """Signed in as the wrong test user (or by another tab), the consent page offered only
    Deny, which ends the app's request: "Not you?" goes back to the sign-in instead, and
    another user then consents."""
    url = authorize_url(client_id)
    token = csrf_of(browser.get(url).text)
    login = {"csrf_token": token, "action": "login", "password": "pass_good"}
    browser.post(url, data={**login, "username": "user_good"})
    assert "Signed in as <strong>user_good</strong>" in browser.get(url).text
    switched = browser.post(url, data={"csrf_token": token, "action": "switch"})
    assert switched.status_code == 303 and "/authorize?" in switched.headers["Location"]
    assert "state=xyz" in switched.headers["Location"]
    assert 'name="username"' in browser.get(url).text  # the sign-in form again
    browser.post(url, data={**login, "username": "user_transactions_dynamic"})
    page = browser.get(url).text
    assert "Signed in as <strong>user_transactions_dynamic</strong>" in page
    back = browser.post(url, data={"csrf_token": token, "action": "approve", "account": "0"})
    assert back.status_code == 302 and "code=" in back.headers["Location"]


def test_discovery_document_lists_the_endpoints(browser: FlaskClient) -> None:
    meta = browser.get(f"/.well-known/oauth-authorization-server/oauth/{BANK}").get_json()
    assert meta["issuer"] == f"http://localhost/oauth/{BANK}"
    assert meta["token_endpoint"] == f"http://localhost/oauth/{BANK}/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert browser.get(f"/oauth/{BANK}/.well-known/oauth-authorization-server").get_json() == meta


def test_non_oauth_bank_has_no_authorization_server(browser: FlaskClient) -> None:
    assert (
        browser.get("/oauth/ins_109508/.well-known/oauth-authorization-server").status_code == 404
    )


def test_the_banks_sign_in_message_is_in_sentences(browser: FlaskClient, client_id: str) -> None:
    """As in Link's error pane: Plaid's display message ends without a stop."""
    url = authorize_url(client_id)
    token = csrf_of(browser.get(url).text)
    form = {"csrf_token": token, "action": "login", "username": "user_good", "password": "x"}
    page = browser.post(url, data=form).text
    assert "that you use for this institution.</p>" in page
