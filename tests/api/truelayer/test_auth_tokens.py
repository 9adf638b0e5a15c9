"""The token endpoint, /api/delete, /api/providers, /api/debug, /data/v1/me and extension,
and errors on TrueLayer's paths that none of its views rendered."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from sandbox.truelayer import auth_dialog, auth_extend, auth_tokens, data_routes, errors
from tests.conftest import unexpected_error

from .auth_helpers import CHALLENGE, REDIRECT, SCOPES, VERIFIER, AuthDialog, csrf_of, query_of
from .auth_helpers import tl_auth as tl_auth  # the fixture


def test_code_exchange_returns_truelayer_token_response(tl_auth: AuthDialog) -> None:
    response = tl_auth.exchange(tl_auth.authorize()["code"])
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert set(body) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (3600, "Bearer", SCOPES)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
    assert claims["connector_id"] == "mock" and claims["client_id"] == tl_auth.keys.client_id
    assert claims["scope"] == SCOPES.split() and claims["aud"] == "data_api"


def test_code_exchange_accepts_json_and_basic_auth(tl_auth: AuthDialog) -> None:
    code = tl_auth.authorize()["code"]
    basic = base64.b64encode(f"{tl_auth.keys.client_id}:{tl_auth.keys.secret}".encode()).decode()
    response = tl_auth.client.post(
        "/connect/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("pair", ["%00:%00", "a%00b:x", "a\x00b:x"])
def test_basic_auth_with_a_nul_once_decoded_is_invalid_client(
    tl_auth: AuthDialog, pair: str
) -> None:
    """The header screen sees base64; the NUL appears when it is decoded (PostgreSQL: 500)."""
    code = tl_auth.authorize()["code"]
    basic = base64.b64encode(pair.encode()).decode()
    response = tl_auth.client.post(
        "/connect/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code in (400, 401), response.get_json()
    assert response.get_json()["error"] == "invalid_client"


def test_no_offline_access_no_refresh_token(tl_auth: AuthDialog) -> None:
    body = tl_auth.tokens(scope="info accounts")
    assert "refresh_token" not in body and body["scope"] == "info accounts"


@pytest.mark.parametrize(
    ("form", "status", "error", "parameter"),
    [
        ({"grant_type": None}, 400, "invalid_request", "grant_type"),
        ({"grant_type": "password"}, 400, "invalid_request", "grant_type"),
        ({"code": None}, 400, "invalid_request", "code"),
        ({"client_secret": "wrong"}, 400, "invalid_client", "client_secret"),
        ({"client_id": "nobody"}, 400, "invalid_client", "client_id"),
        ({"code": "not-a-code"}, 400, "invalid_authorization_code", "code"),
        ({"redirect_uri": "https://other.example/cb"}, 400, "invalid_grant", "redirect_uri"),
    ],
)
def test_token_errors_use_truelayer_envelope(
    tl_auth: AuthDialog, form: dict[str, str | None], status: int, error: str, parameter: str
) -> None:
    code = tl_auth.authorize()["code"]
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": tl_auth.keys.client_id,
        "client_secret": tl_auth.keys.secret,
        **form,
    }
    response = tl_auth.client.post(
        "/connect/token", data={k: v for k, v in body.items() if v is not None}
    )
    assert response.status_code == status
    got = response.get_json()
    assert got["error"] == error and got["error_details"]["parameter"] == parameter
    assert got["error_description"]


NOT_TEXT = [123, 1.5, True, ["x"], {"a": "b"}]  # empty ones were already refused


@pytest.mark.parametrize("value", NOT_TEXT)
@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("client_id", "invalid_client"),
        ("client_secret", "invalid_client"),
        ("code_verifier", "invalid_request"),
    ],
)
def test_a_json_field_that_is_not_a_string_is_refused_not_a_500(
    tl_auth: AuthDialog, field: str, error: str, value: object
) -> None:
    """The core takes text: a number or a list used to reach ``.startswith``/``.encode``."""
    body = {
        "grant_type": "authorization_code",
        "code": tl_auth.authorize(code_challenge=CHALLENGE, code_challenge_method="S256")["code"],
        "redirect_uri": REDIRECT,
        "client_id": tl_auth.keys.client_id,
        "client_secret": tl_auth.keys.secret,
        "code_verifier": VERIFIER,
        field: value,
    }
    response = tl_auth.client.post("/connect/token", json=body)
    got = response.get_json()
    assert (response.status_code, got["error"]) == (400, error), got
    assert got["error_details"]["parameter"] == field


def test_code_is_single_use(tl_auth: AuthDialog) -> None:
    code = tl_auth.authorize()["code"]
    assert tl_auth.exchange(code).status_code == 200
    again = tl_auth.exchange(code)
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_authorization_code")


def test_code_expires_after_five_minutes(tl_auth: AuthDialog) -> None:
    code = tl_auth.authorize()["code"]
    tl_auth.advance(dt.timedelta(minutes=5, seconds=1))
    assert tl_auth.exchange(code).get_json()["error"] == "invalid_authorization_code"


def test_pkce_code_exchanges_with_its_verifier(tl_auth: AuthDialog) -> None:
    code = tl_auth.authorize(code_challenge=CHALLENGE, code_challenge_method="S256")["code"]
    assert tl_auth.exchange(code, code_verifier=VERIFIER).status_code == 200


@pytest.mark.parametrize(
    "attempt",
    [
        {"redirect_uri": REDIRECT},
        {"redirect_uri": REDIRECT, "code_verifier": "wrong-" + "v" * 43},
        {"redirect_uri": "https://console.truelayer.com/redirect-page", "code_verifier": VERIFIER},
    ],
    ids=["no-verifier", "wrong-verifier", "other-redirect-uri"],
)
def test_failed_exchange_uses_the_code_up(tl_auth: AuthDialog, attempt: dict[str, str]) -> None:
    """RFC 6749 §10.5: a code is tried once, so its PKCE verifier cannot be guessed."""
    code = tl_auth.authorize(code_challenge=CHALLENGE, code_challenge_method="S256")["code"]
    failed = tl_auth.token(grant_type="authorization_code", code=code, **attempt)
    assert (failed.status_code, failed.get_json()["error"]) == (400, "invalid_grant")
    right = tl_auth.exchange(code, code_verifier=VERIFIER)
    assert (right.status_code, right.get_json()["error"]) == (400, "invalid_authorization_code")


def test_another_clients_attempt_leaves_the_code_alone(tl_auth: AuthDialog) -> None:
    """Only the app a code was issued to can use it up: anyone else is refused, no more."""
    code = tl_auth.authorize()["code"]
    other = tl_auth.another_app()
    refused = other.exchange(code)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "invalid_authorization_code")
    assert tl_auth.exchange(code).status_code == 200


def test_a_non_ascii_code_challenge_is_invalid_grant_not_a_500(tl_auth: AuthDialog) -> None:
    code = tl_auth.authorize(code_challenge="\u00e9" * 43, code_challenge_method="S256")["code"]
    refused = tl_auth.exchange(code, code_verifier=VERIFIER)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "invalid_grant")


def test_refresh_rotates_the_refresh_token(tl_auth: AuthDialog) -> None:
    first = tl_auth.tokens()
    refreshed = tl_auth.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    body = refreshed.get_json()
    assert refreshed.status_code == 200 and body["refresh_token"] != first["refresh_token"]
    reused = tl_auth.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reused.status_code, reused.get_json()["error"]) == (400, "invalid_grant")


def test_me_describes_the_connection(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    response = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    body = response.get_json()
    me = body["results"][0]
    assert response.status_code == 200 and body["status"] == "Succeeded"
    assert me["client_id"] == tl_auth.keys.client_id and me["consent_status"] == "Authorised"
    assert me["consent_created_at"] == "2026-03-16T15:30:00.000000Z"
    assert me["consent_expires_at"] == "2026-06-14T15:30:00.000000Z"
    assert me["provider"]["provider_id"] == "mock" and me["provider"]["display_name"] == "Mock"
    assert me["scopes"] == sorted(SCOPES.split()) and me["privacy_policy"] == "Feb2019"
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert me["credentials_id"] == claims["sub"]
    # A Data API reply's headers, as every other /data/v1 call sends them
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-Credentials-Id"] == claims["sub"]
    assert len(response.headers["X-TL-Correlation-Id"]) == 36


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_me_without_a_valid_token_is_invalid_token(tl_auth: AuthDialog, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = tl_auth.client.get("/data/v1/me", headers=headers)
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_token")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "X-TL-Correlation-Id" in response.headers and "X-Credentials-Id" not in response.headers


def test_expired_access_token_says_when(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(hours=1))
    response = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert response.status_code == 401
    assert response.get_json()["error_description"] == "The token expired at '2026-03-16 16:30:00Z'"
    refreshed = tl_auth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (
        tl_auth.bearer("GET", "/data/v1/me", refreshed.get_json()["access_token"]).status_code
        == 200
    )


def test_expired_consent_is_access_denied_and_refresh_fails(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(days=90))
    response = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert (response.status_code, response.get_json()["error"]) == (403, "access_denied")
    refreshed = tl_auth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (refreshed.status_code, refreshed.get_json()["error"]) == (400, "invalid_grant")


def test_delete_ends_the_connection(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    deleted = tl_auth.bearer("DELETE", "/api/delete", tokens["access_token"])
    assert (deleted.status_code, deleted.data) == (200, b"")
    me = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert (me.status_code, me.get_json()["error"]) == (401, "invalid_token")
    refreshed = tl_auth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.get_json()["error"] == "invalid_grant"


def test_providers_lists_mock_and_filters(tl_auth: AuthDialog) -> None:
    everything = tl_auth.client.get("/api/providers").get_json()
    mock = next(p for p in everything if p["provider_id"] == "mock")
    assert mock["display_name"] == "Mock" and mock["country"] == "uk"
    assert "offline_access" in mock["scopes"]
    logo = tl_auth.client.get(urlsplit(mock["logo_url"]).path)
    assert logo.status_code == 200 and logo.data[:4] == b"\x89PNG"
    dutch = tl_auth.client.get("/api/providers?country=nl&scopes=accounts%20balance").get_json()
    assert [p["provider_id"] for p in dutch] == ["xs2a-ing"]
    assert tl_auth.client.get("/api/providers?scopes=telepathy").get_json() == []


def test_providers_availability_is_the_institution_health_clientid_sees(
    tl_auth: AuthDialog,
) -> None:
    """TrueLayer's ``availability`` (not a ``release_stage``): the catalogue's health, or the
    health a tenant set, when ``clientId`` names one of its apps."""
    keys = {"PLAID-CLIENT-ID": tl_auth.keys.client_id, "PLAID-SECRET": tl_auth.keys.secret}
    down = tl_auth.client.put(
        "/control/institutions/ins_200001/health", json={"status": "DOWN"}, headers=keys
    )
    assert down.status_code == 200, down.get_json()

    def mock(**params: str) -> dict[str, Any]:
        found = tl_auth.client.get("/api/providers", query_string=params).get_json()
        listed: dict[str, Any] = next(p for p in found if p["provider_id"] == "mock")
        assert "release_stage" not in listed
        return listed

    catalogue = {"recommended_status": "healthy", "updated_at": "2024-01-01T00:00:00.000000Z"}
    assert mock()["availability"] == catalogue
    assert mock(clientId="no-such-client")["availability"] == catalogue
    seen = mock(clientId=tl_auth.keys.client_id)["availability"]
    assert seen["recommended_status"] == "unhealthy"
    assert seen["updated_at"] != catalogue["updated_at"]


@pytest.mark.parametrize("countries", ["nl de", "nl,de", "NL%20de"])
def test_providers_take_a_list_of_countries(tl_auth: AuthDialog, countries: str) -> None:
    """The OpenAPI file's ``country`` is a space-separated list."""
    found = tl_auth.client.get(f"/api/providers?country={countries}").get_json()
    assert [p["provider_id"] for p in found] == ["xs2a-ing", "xs2a-deutsche-bank"]


def test_debug_names_credentials_and_provider(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    body = tl_auth.client.post(
        "/api/debug", json={"access_token": tokens["access_token"]}
    ).get_json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert body["credentials_id"] == claims["sub"] and body["provider_id"] == "mock"
    assert len(body["debug_id"]) == 32
    missing = tl_auth.client.post("/api/debug", json={})
    assert (missing.status_code, missing.get_json()["error"]) == (400, "invalid_request")
    unknown = tl_auth.client.post("/api/debug", json={"access_token": "nope"})
    assert unknown.status_code == 401


def test_debug_of_an_expired_access_token_is_invalid_token(tl_auth: AuthDialog) -> None:
    """The connection lives on, its access token does not (an hour): the document's 401,
    with the Data API's words for it."""
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(hours=2))
    reply = tl_auth.client.post("/api/debug", json={"access_token": tokens["access_token"]})
    body = reply.get_json()
    assert (reply.status_code, body["error"]) == (401, "invalid_token"), body
    assert body["error_description"].startswith("The token expired at")


@pytest.mark.parametrize("end", ["deleted", "expired"])
def test_debug_of_a_connection_that_is_over_is_invalid_request(
    tl_auth: AuthDialog, end: str
) -> None:
    """The OpenAPI file's 400 example: ``invalid_request``, "Consent expired or revoked"."""
    tokens = tl_auth.tokens()
    if end == "deleted":
        assert tl_auth.bearer("DELETE", "/api/delete", tokens["access_token"]).status_code == 200
    else:
        tl_auth.advance(dt.timedelta(days=91))
    reply = tl_auth.client.post("/api/debug", json={"access_token": tokens["access_token"]})
    body = reply.get_json()
    assert (reply.status_code, body["error"]) == (400, "invalid_request"), body
    assert body["error_details"]["reason"] == body["error_description"]


# -- /data/v1/connections/extend -----------------------------------------------------------------


def extend(tl_auth: AuthDialog, token: str, **overrides: object) -> tuple[int, dict[str, object]]:
    response = tl_auth.extend(token, **overrides)
    return response.status_code, response.get_json()


def test_extend_john_eternal_needs_no_action(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens(password="eternal")
    tl_auth.advance(dt.timedelta(days=89))
    status, body = extend(tl_auth, tokens["refresh_token"])
    assert status == 200 and body["action_needed"] == "no_action_needed"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    me = tl_auth.bearer("GET", "/data/v1/me", str(body["access_token"])).get_json()["results"][0]
    assert me["consent_expires_at"] == "2026-09-11T15:30:00.000000Z"  # day 89 + 90 days


def test_extend_john_doe_needs_authentication_at_the_bank(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    status, body = extend(tl_auth, tokens["refresh_token"])
    assert status == 200 and body["action_needed"] == "authentication_needed"
    assert parse_qs(urlsplit(str(body["user_input_link"])).query)["state"] == ["ext-1"]
    dialog = tl_auth.follow(str(body["user_input_link"])).headers["Location"]
    assert "Sign in to Mock" in tl_auth.client.get(dialog).text


def test_reconfirmation_link_renews_the_same_connection(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(days=95))  # consent over
    status, body = extend(tl_auth, tokens["refresh_token"], user_has_reconfirmed_consent=False)
    assert status == 200 and body["action_needed"] == "reconfirmation_of_consent_needed"
    dialog = tl_auth.follow(str(body["user_input_link"])).headers["Location"]
    assert "Keep sharing" in tl_auth.client.get(dialog).text
    back = query_of(tl_auth.post(dialog, "consent"))
    assert back["state"] == "ext-1"
    renewed = tl_auth.exchange(back["code"]).get_json()
    me = tl_auth.bearer("GET", "/data/v1/me", renewed["access_token"]).get_json()["results"][0]
    old = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert me["credentials_id"] == old["sub"]  # the same connection, a fresh period
    assert me["consent_expires_at"] == "2026-09-17T15:30:00.000000Z"  # day 95 + 90 days


def test_reauthentication_link_refuses_another_user_at_sign_in(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens(username="john9", password="doe9")
    _status, body = extend(tl_auth, tokens["refresh_token"])
    dialog = tl_auth.follow(str(body["user_input_link"])).headers["Location"]
    other = tl_auth.post(dialog, "login", username="john8", password="doe8")
    assert other.status_code == 400 and "Sign in to Mock" in other.text
    assert "sign in as the user who made this connection" in other.text
    assert "Keep sharing" not in tl_auth.client.get(dialog).text  # still at the sign-in
    assert tl_auth.post(dialog, "login", username="john9", password="doe9").status_code == 303
    back = query_of(tl_auth.post(dialog, "consent"))
    assert tl_auth.exchange(back["code"]).status_code == 200


def test_reconfirmation_link_is_single_use(tl_auth: AuthDialog) -> None:
    """truelayer.md §2.1: each auth link is single-use; another pass goes back to the app."""
    tokens = tl_auth.tokens()
    _status, body = extend(tl_auth, tokens["refresh_token"], user_has_reconfirmed_consent=False)
    dialog = tl_auth.follow(str(body["user_input_link"])).headers["Location"]
    code = query_of(tl_auth.post(dialog, "consent"))["code"]
    second = AuthDialog(tl_auth.client.application.test_client(), tl_auth.keys)  # a new browser
    refused = second.follow(str(body["user_input_link"]))
    back = query_of(refused)
    assert refused.headers["Location"].startswith(REDIRECT) and "code" not in back
    assert (back["error"], back["state"]) == ("invalid_request", "ext-1")
    assert "already been used" in back["error_description"]
    assert tl_auth.exchange(code).status_code == 200


def test_replayed_reconfirmation_dialog_issues_no_second_code(tl_auth: AuthDialog) -> None:
    """The dialog lives in the browser's cookie: sending the cookie from before Allow again
    must not renew the connection twice (two live refresh chains from one link). At once (a
    double click) it gets the same code back; once that code is used, the link's error."""
    tokens = tl_auth.tokens()
    _status, body = extend(tl_auth, tokens["refresh_token"], user_has_reconfirmed_consent=False)
    dialog = urlsplit(tl_auth.follow(str(body["user_input_link"])).headers["Location"]).path
    form = {"csrf_token": csrf_of(tl_auth.client.get(dialog).text)}
    cookie = tl_auth.client.get_cookie("session")
    assert cookie is not None
    first = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    tl_auth.client.set_cookie("session", cookie.value)
    double_click = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    assert "code" in first and double_click.get("code") == first["code"]
    assert tl_auth.exchange(first["code"]).status_code == 200
    tl_auth.client.set_cookie("session", cookie.value)
    replayed = query_of(tl_auth.client.post(f"{dialog}/consent", data=form))
    assert "code" not in replayed and replayed["error"] == "invalid_request"


def test_unknown_reconsent_token_goes_back_to_the_app(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    _status, body = extend(tl_auth, tokens["refresh_token"], user_has_reconfirmed_consent=False)
    query = parse_qs(urlsplit(str(body["user_input_link"])).query)
    forged = tl_auth.open(reconsent_token=query["reconsent_token"][0] + "x")
    assert query_of(forged)["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"user_has_reconfirmed_consent": "yes"}, 400, "user_has_reconfirmed_consent"),
        ({"refresh_token": "nope"}, 401, "refresh_token"),
        ({"client_secret": "wrong"}, 401, "client_secret"),
        ({"redirect_uri": "https://evil.example"}, 400, "redirect_uri"),
        ({"state": {"a": 1}}, 400, "state"),  # was written into the link as its str()
        ({"code_challenge": 12}, 400, "code_challenge"),
    ],
)
def test_extend_errors_are_problem_json(
    tl_auth: AuthDialog, overrides: dict[str, object], status: int, field: str
) -> None:
    tokens = tl_auth.tokens()
    got_status, body = extend(tl_auth, tokens["refresh_token"], **overrides)
    assert got_status == status and body["status"] == status
    assert set(body) >= {"type", "title", "detail", "instance", "trace_id"}
    assert field in body["errors"]  # type: ignore[operator]


@pytest.mark.parametrize("value", NOT_TEXT)
@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_extend_with_credentials_that_are_not_strings_is_unauthorized(
    tl_auth: AuthDialog, field: str, value: object
) -> None:
    status, body = extend(tl_auth, tl_auth.tokens()["refresh_token"], **{field: value})
    assert (status, body["title"]) == (401, "Unauthorized"), body
    assert field in body["errors"]  # type: ignore[operator]


def test_extend_deleted_connection_cannot_be_extended(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens(password="eternal")
    refresh = tokens["refresh_token"]
    status, body = extend(tl_auth, refresh)
    assert status == 200
    tl_auth.bearer("DELETE", "/api/delete", str(body["access_token"]))
    status, body = extend(tl_auth, str(body["refresh_token"]))
    assert status == 401 and body["title"] == "Unauthorized"  # its refresh token died with it


def test_reauthuri_links_the_refresh_tokens_connection(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    body = {
        "response_type": "code",
        "refresh_token": tokens["refresh_token"],
        "redirect_uri": REDIRECT,
        "state": "re-1",
    }
    reply = tl_auth.client.post("/v1/reauthuri", json=body).get_json()
    assert reply["success"] is True
    dialog = tl_auth.follow(reply["result"]).headers["Location"]
    assert tl_auth.post(dialog, "login", username="john", password="doe").status_code == 303
    back = query_of(tl_auth.post(dialog, "consent"))
    assert back["state"] == "re-1"
    renewed = tl_auth.exchange(back["code"]).get_json()
    old, new = (
        jwt.decode(t["access_token"], options={"verify_signature": False})
        for t in (tokens, renewed)
    )
    assert new["sub"] == old["sub"]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        # the OpenAPI file's 401 example for an invalid refresh token
        ({"refresh_token": "nope"}, 401, "invalid_request"),
        ({"redirect_uri": "https://evil.example"}, 401, "unauthorized_client"),
        # its document answers only 200, 401 and 500: a refused field is a 401 too
        ({"response_type": "token"}, 401, "invalid_request"),
        ({"state": ["re-1"]}, 401, "invalid_request"),  # was written into the link as its str()
    ],
)
def test_reauthuri_errors(
    tl_auth: AuthDialog, change: dict[str, object], status: int, error: str
) -> None:
    tokens = tl_auth.tokens()
    body = {
        "response_type": "code",
        "refresh_token": tokens["refresh_token"],
        "redirect_uri": REDIRECT,
    }
    reply = tl_auth.client.post("/v1/reauthuri", json={**body, **change})
    assert (reply.status_code, reply.get_json()["error"]) == (status, error)
    assert reply.get_json()["error_details"]["parameter"] in change


def test_a_connection_ninety_days_past_its_consent_cannot_be_renewed(
    tl_auth: AuthDialog,
) -> None:
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(days=90 + 90))  # TrueLayer: renewable up to 90 days after
    status, body = extend(tl_auth, tokens["refresh_token"])
    assert (status, body["title"]) == (422, "Connection Cannot Be Extended"), body
    assert "connect again" in str(body["detail"])
    reauth = {"response_type": "code", "refresh_token": tokens["refresh_token"]}
    reply = tl_auth.client.post("/v1/reauthuri", json={**reauth, "redirect_uri": REDIRECT})
    assert (reply.status_code, reply.get_json()["error"]) == (401, "invalid_request")
    assert "connect again" in reply.get_json()["error_details"]["reason"]


@pytest.mark.parametrize("opened_in_time", [False, True])
def test_a_link_whose_connection_is_past_renewal_goes_back_to_the_app(
    tl_auth: AuthDialog, opened_in_time: bool
) -> None:
    tokens = tl_auth.tokens()
    tl_auth.advance(dt.timedelta(days=179))  # the consent ended 89 days ago: still renewable
    _status, body = extend(tl_auth, tokens["refresh_token"], user_has_reconfirmed_consent=False)
    link = str(body["user_input_link"])
    if opened_in_time:  # the user opens it in time, then allows once the renewal time is over
        dialog = tl_auth.follow(link).headers["Location"]
        tl_auth.advance(dt.timedelta(days=181))
        back = query_of(tl_auth.post(dialog, "consent"))
    else:
        tl_auth.advance(dt.timedelta(days=181))
        back = query_of(tl_auth.follow(link))
    assert (back["error"], back["state"]) == ("invalid_request", "ext-1"), back
    assert "connect again" in back["error_description"] and "code" not in back


def test_the_endpoints_with_errors_of_their_own_are_routes(tl_auth: AuthDialog) -> None:
    assert set(errors.ENDPOINT_ERRORS) <= set(tl_auth.client.application.view_functions)


# -- errors that no TrueLayer view rendered --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/connect/token"),
        ("PUT", "/api/debug"),
        ("DELETE", "/api/debug"),  # not emulated: docs/truelayer.md
        ("GET", "/api/nothing"),
        ("GET", "/v1/reauthuri"),
        ("GET", "/data/v2/accounts"),
    ],
)
def test_an_unknown_path_or_method_is_truelayers_not_found(
    tl_auth: AuthDialog, method: str, path: str
) -> None:
    """Not Plaid's ``NOT_FOUND`` object: no route matched, but the path is TrueLayer's."""
    response = tl_auth.client.open(path, method=method)
    body = response.get_json()
    assert (response.status_code, body["error"]) == (404, "not_found"), body
    assert set(body) == {"error", "error_description", "error_details"}


@pytest.mark.parametrize("path", ["/connect/token", "/api/debug", "/v1/reauthuri"])
def test_a_body_too_large_is_truelayers_invalid_request(tl_auth: AuthDialog, path: str) -> None:
    tl_auth.client.application.config["MAX_CONTENT_LENGTH"] = 1024
    response = tl_auth.client.post(path, json={"refresh_token": "x" * 2048})
    body = response.get_json()
    assert (response.status_code, body["error"]) == (413, "invalid_request"), body
    assert body["error_details"]["parameter"] == "body"


def test_extend_body_too_large_is_problem_json(tl_auth: AuthDialog) -> None:
    tl_auth.client.application.config["MAX_CONTENT_LENGTH"] = 1024
    status, body = extend(tl_auth, "x" * 2048)
    assert status == 413 and body["status"] == 413, body
    assert "body" in body["errors"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("raw", "field"), [(b"{", "body"), (b"[1, 2]", "body"), (b'{"a": "\\ud800"}', "a")]
)
def test_extend_body_that_is_not_a_json_object_is_problem_json(
    tl_auth: AuthDialog, raw: bytes, field: str
) -> None:
    """Refused by the body's screening (before the view) or by the view: the same format."""
    response = tl_auth.client.post(
        "/data/v1/connections/extend", data=raw, content_type="application/json"
    )
    body = response.get_json(force=True)
    assert response.status_code == 400 and body["status"] == 400, body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["title"] == "Invalid Parameters" and field in body["errors"]


def test_an_unexpected_error_at_the_token_endpoint_is_truelayers_500(
    tl_auth: AuthDialog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(auth_tokens, "authenticate_app_client", unexpected_error)
    response = tl_auth.token(grant_type="refresh_token", refresh_token="r")
    body = response.get_json()
    assert (response.status_code, body["error"]) == (500, "internal_server_error"), body
    assert [r.getMessage() for r in caplog.records] == ["unhandled error"]


def test_an_unexpected_error_in_extend_is_problem_json(
    tl_auth: AuthDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh = tl_auth.tokens()["refresh_token"]
    monkeypatch.setattr(auth_extend, "authenticate_app_client", unexpected_error)
    status, body = extend(tl_auth, refresh)
    assert (status, body["status"], body["title"]) == (500, 500, "Internal Server Error"), body


def test_an_unexpected_error_in_the_data_api_is_truelayers_500(
    tl_auth: AuthDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tl_auth.tokens()["access_token"]
    monkeypatch.setattr(data_routes, "_renderer", unexpected_error)
    response = tl_auth.bearer("GET", "/data/v1/info", token)
    body = response.get_json()
    assert (response.status_code, body["error"]) == (500, "internal_server_error"), body


def test_an_unexpected_error_in_the_dialog_is_its_500_page(
    tl_auth: AuthDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    monkeypatch.setattr(auth_dialog, "check_login", unexpected_error)
    response = tl_auth.post(dialog, "login", username="john", password="doe")
    assert (response.status_code, response.mimetype) == (500, "text/html")
    assert "TrueLayer sandbox" in response.text
