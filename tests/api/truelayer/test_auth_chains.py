"""Refresh chains: a connection's tokens come from one code's exchange, rotated on.

Renewing a connection through a link (extension's ``user_input_link``, ``/v1/reauthuri``)
ends the chain from before once the link's code is exchanged, so one connection never has two
live chains; a code presented a second time ends the chain it began (RFC 6749 §4.1.2).
A token of an ended chain is refused as a used one is: ``invalid_grant`` at the token
endpoint, ``invalid_token`` on the Data API.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import TestResponse

from .auth_helpers import REDIRECT, AuthDialog, query_of
from .auth_helpers import tl_auth as tl_auth  # the fixture


def refresh(tl_auth: AuthDialog, tokens: dict[str, Any]) -> TestResponse:
    return tl_auth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])


def me(tl_auth: AuthDialog, tokens: dict[str, Any]) -> int:
    """The status of a Data API call with the set's access token."""
    return tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"]).status_code


def dead_refresh(tl_auth: AuthDialog) -> dict[str, Any]:
    """The token endpoint's reply to a refresh token already used: what a dead one gets."""
    tokens = tl_auth.tokens()
    assert refresh(tl_auth, tokens).status_code == 200
    reply = refresh(tl_auth, tokens)
    assert reply.status_code == 400
    body: dict[str, Any] = reply.get_json()
    return body


def assert_ended(tl_auth: AuthDialog, tokens: dict[str, Any], reference: dict[str, Any]) -> None:
    """Neither token of the set works any more."""
    refused = refresh(tl_auth, tokens)
    assert (refused.status_code, refused.get_json()) == (400, reference)
    data = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert (data.status_code, data.get_json()["error"]) == (401, "invalid_token")


def renewal_code(tl_auth: AuthDialog, tokens: dict[str, Any], how: str) -> str:
    """Walk a renewal link for the set's connection to the code it ends with."""
    if how == "extension":
        reply = tl_auth.extend(tokens["refresh_token"], user_has_reconfirmed_consent=False)
        link = reply.get_json()["user_input_link"]
    else:
        body = {
            "response_type": "code",
            "refresh_token": tokens["refresh_token"],
            "redirect_uri": REDIRECT,
        }
        link = tl_auth.client.post("/v1/reauthuri", json=body).get_json()["result"]
    dialog = tl_auth.follow(link).headers["Location"]
    if how == "reauthuri":
        assert tl_auth.post(dialog, "login", username="john", password="doe").status_code == 303
    return query_of(tl_auth.post(dialog, "consent"))["code"]


@pytest.mark.parametrize("how", ["extension", "reauthuri"])
def test_a_renewal_through_a_link_ends_the_chain_before_it(tl_auth: AuthDialog, how: str) -> None:
    reference = dead_refresh(tl_auth)
    code = tl_auth.authorize()["code"]
    first = tl_auth.exchange(code).get_json()
    rotated = refresh(tl_auth, first).get_json()  # the old chain, one rotation on
    renewal = renewal_code(tl_auth, rotated, how)
    assert me(tl_auth, rotated) == 200  # until the renewal's code is exchanged
    renewed = tl_auth.exchange(renewal).get_json()
    assert_ended(tl_auth, rotated, reference)
    assert me(tl_auth, renewed) == 200
    # The first code presented again ends its own chain, which had ended: not the renewed one.
    assert tl_auth.exchange(code).get_json()["error"] == "invalid_authorization_code"
    assert me(tl_auth, renewed) == 200 and refresh(tl_auth, renewed).status_code == 200


def test_a_code_presented_again_ends_the_tokens_it_gave(tl_auth: AuthDialog) -> None:
    """Its access and refresh tokens, and those the refresh token rotated into."""
    reference = dead_refresh(tl_auth)
    code = tl_auth.authorize()["code"]
    first = tl_auth.exchange(code).get_json()
    rotated = refresh(tl_auth, first).get_json()
    again = tl_auth.exchange(code)
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_authorization_code")
    assert me(tl_auth, first) == 401
    assert_ended(tl_auth, rotated, reference)


def test_another_clients_presentation_of_a_used_code_ends_nothing(tl_auth: AuthDialog) -> None:
    """Only the app the code was issued to can end its chain, as only it can use the code up."""
    code = tl_auth.authorize()["code"]
    tokens = tl_auth.exchange(code).get_json()
    other = tl_auth.another_app()
    assert other.exchange(code).get_json()["error"] == "invalid_authorization_code"
    assert me(tl_auth, tokens) == 200 and refresh(tl_auth, tokens).status_code == 200
