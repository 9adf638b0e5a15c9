"""``POST /v1/authuri``: the direct bank link, followed through the dialog to a code and
tokens, and its refusals (401, naming the field)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .auth_helpers import CHALLENGE, REDIRECT, VERIFIER, AuthDialog, query_of
from .auth_helpers import tl_auth as tl_auth  # the fixture
from .test_auth_dialog import bank_approve


def link_of(tl_auth: AuthDialog, **fields: object) -> str:
    reply = tl_auth.authuri(**fields)
    body = reply.get_json()
    assert reply.status_code == 200 and body["success"] is True, body
    return str(body["result"])


def test_the_link_signs_in_at_the_provider_and_returns_a_code_without_consent_page(
    tl_auth: AuthDialog,
) -> None:
    """No picker (straight to the mock bank's form) and no consent page (the app asked
    for consent itself): the sign-in returns the code, which the app exchanges."""
    link = link_of(tl_auth, code_challenge=CHALLENGE, code_challenge_method="S256")
    assert parse_qs(urlsplit(link).query)["provider_id"] == ["mock"]
    opened = tl_auth.follow(link)
    assert opened.status_code == 303, opened.text
    dialog = opened.headers["Location"]
    assert 'name="username"' in tl_auth.client.get(dialog).text  # the sign-in form
    back = tl_auth.post(dialog, "login", username="john", password="doe")
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
    returned = query_of(back)
    assert returned["state"] == "st-d"
    assert tl_auth.exchange(returned["code"]).status_code == 400  # PKCE: the verifier needed
    tokens = tl_auth.exchange(
        link_code(tl_auth, code_challenge=CHALLENGE, code_challenge_method="S256"),
        code_verifier=VERIFIER,
    ).get_json()
    me = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"]).get_json()["results"][0]
    assert me["provider"]["provider_id"] == "mock" and "offline_access" in me["scopes"]


def link_code(tl_auth: AuthDialog, **fields: object) -> str:
    """The code a direct link returns once john signs in."""
    dialog = tl_auth.follow(link_of(tl_auth, **fields)).headers["Location"]
    return query_of(tl_auth.post(dialog, "login", username="john", password="doe"))["code"]


def test_a_link_to_an_oauth_bank_goes_to_its_page_and_back_to_the_app(
    tl_auth: AuthDialog,
) -> None:
    opened = tl_auth.follow(link_of(tl_auth, provider_id="xs2a-ing"))
    bank_url = opened.headers["Location"]
    assert opened.status_code == 303 and "/oauth/ins_120512/authorize?" in bank_url
    callback = bank_approve(tl_auth, bank_url, "user_good", "pass_good")
    back = tl_auth.client.get(callback)
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
    tokens = tl_auth.exchange(query_of(back)["code"]).get_json()
    me = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"]).get_json()["results"][0]
    assert me["provider"]["provider_id"] == "xs2a-ing"


def test_form_post_mode_posts_the_code(tl_auth: AuthDialog) -> None:
    dialog = tl_auth.follow(link_of(tl_auth, response_mode="form_post")).headers["Location"]
    page = tl_auth.post(dialog, "login", username="john", password="doe")
    assert page.status_code == 200 and f'action="{REDIRECT}"' in page.text
    assert 'name="state" value="st-d"' in page.text
    code = re.search(r'name="code" value="([^"]+)"', page.text)
    assert code and tl_auth.exchange(code[1]).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"user": {"id": "u-1", "name": "Alan Turing", "email": "alan@example.com"}},
        {"user": {"name": "Alan Turing", "phone": "+44777777777"}},
        {"auth_inputs": [{"branch-name": "north"}], "tracking_id": "t-1"},
        {"auth_inputs": {"branch-name": "north"}, "data_use_description": "Budgeting"},
    ],
)
def test_the_documents_optional_fields_are_taken(
    tl_auth: AuthDialog, fields: dict[str, object]
) -> None:
    assert link_of(tl_auth, **fields).startswith("http")


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        *(
            ({name: None}, name, "invalid_request")
            for name in ("response_type", "redirect_uri", "scope", "consent_id", "provider_id")
        ),
        ({"client_id": None}, "client_id", "invalid_request"),
        ({"client_id": "no-such-client"}, "client_id", "unauthorized_client"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri", "unauthorized_client"),
        ({"provider_id": "ob-nowhere"}, "provider_id", "invalid_request"),
        ({"scope": "   "}, "scope", "invalid_request"),
        ({"scope": ["info"]}, "scope", "invalid_request"),
        ({"response_type": "token"}, "response_type", "invalid_request"),
        ({"response_mode": "fragment"}, "response_mode", "invalid_request"),
        ({"response_mode": "query"}, "response_mode", "invalid_request"),  # its enum: form_post
        ({"providers": "xs2a-ing"}, "providers", "invalid_request"),  # not in the schema
        ({"reconsent_token": "abc"}, "reconsent_token", "invalid_request"),
        (
            {"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
            "code_challenge_method",
            "invalid_request",
        ),
        ({"code_challenge_method": "S256"}, "code_challenge", "invalid_request"),
        ({"state": 7}, "state", "invalid_request"),
        ({"user": "alan"}, "user", "invalid_request"),
        ({"user": {"email": "alan@example.com"}}, "user.name", "invalid_request"),
        ({"user": {"name": "Alan"}}, "user.email", "invalid_request"),
        ({"user": {"name": "Alan", "email": "alan"}}, "user.email", "invalid_request"),
        ({"user": {"name": "Alan", "phone": 447}}, "user.phone", "invalid_request"),
        ({"auth_inputs": [{"branch-name": 3}]}, "auth_inputs", "invalid_request"),
        ({"tracking_id": ["t"]}, "tracking_id", "invalid_request"),
    ],
)
def test_refusals_are_401_naming_the_field(
    tl_auth: AuthDialog, fields: dict[str, object], field: str, error: str
) -> None:
    """The document answers this path only 200, 401 and 500."""
    reply = tl_auth.authuri(**fields)
    body = reply.get_json()
    assert (reply.status_code, body["error"]) == (401, error), body
    assert body["error_details"]["parameter"] == field


def test_an_unknown_client_is_the_documents_unauthorized_client_example(
    tl_auth: AuthDialog,
) -> None:
    """Its text, not the token endpoint's mention of a ``client_secret`` this body lacks."""
    body = tl_auth.authuri(client_id="no-such-client").get_json()
    assert body["error_description"] == (
        "The client credentials you have entered are incorrect. Please check and try again."
    )


def test_a_body_that_is_not_a_json_object_is_refused(tl_auth: AuthDialog) -> None:
    reply = tl_auth.client.post("/v1/authuri", data=b"[1]", content_type="application/json")
    body = reply.get_json()
    assert (reply.status_code, body["error"], body["error_details"]["parameter"]) == (
        401,
        "invalid_request",
        "body",
    )


def test_the_auth_link_without_consent_id_still_asks_for_consent(tl_auth: AuthDialog) -> None:
    """The dialog's own link without ``consent_id`` still asks for consent."""
    dialog = tl_auth.open(provider_id="mock").headers["Location"]
    signed_in = tl_auth.post(dialog, "login", username="john", password="doe")
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == dialog
    assert f'action="{urlsplit(dialog).path}/consent"' in tl_auth.client.get(dialog).text


def test_the_apps_consent_covers_only_the_provider_it_names(tl_auth: AuthDialog) -> None:
    """The app asked the user's consent for ``provider_id`` only: the user who goes Back from
    its sign-in and picks another bank (here one with its own OAuth page) gets the consent
    page for that one. It returned the code straight from the bank."""
    dialog = tl_auth.open(provider_id="mock", consent_id="c-for-mock").headers["Location"]
    assert tl_auth.post(dialog, "back").status_code == 303
    chosen = tl_auth.post(dialog, "provider", provider_id="ob-monzo")
    callback = bank_approve(tl_auth, chosen.headers["Location"], "user_good", "pass_good")
    returned = tl_auth.client.get(callback)
    assert returned.status_code == 303 and returned.headers["Location"] == dialog
    assert f'action="{urlsplit(dialog).path}/consent"' in tl_auth.client.get(dialog).text


def test_another_provider_picked_at_the_sign_in_asks_for_consent(tl_auth: AuthDialog) -> None:
    """The same without Back: the provider form posted from the sign-in step."""
    dialog = tl_auth.open(provider_id="mock", consent_id="c-for-mock").headers["Location"]
    chosen = tl_auth.post(dialog, "provider", provider_id="ob-monzo")
    callback = bank_approve(tl_auth, chosen.headers["Location"], "user_good", "pass_good")
    returned = tl_auth.client.get(callback)
    assert returned.status_code == 303 and returned.headers["Location"] == dialog
