"""``/control/truelayer/clients``: register TrueLayer apps, add redirect URIs, consent days,
display names."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from sandbox.core import tenants
from tests.api.truelayer.auth_helpers import AuthDialog
from tests.api.truelayer.auth_helpers import tl_auth as tl_auth  # the fixture

CLIENTS = "/control/truelayer/clients"


def control(client: FlaskClient, keys: tenants.Keys, method: str, path: str, **body: Any) -> Any:
    headers = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": keys.secret}
    return client.open(path, method=method, json=body or None, headers=headers)


def test_the_tenants_own_client_is_listed_with_truelayers_redirects(tl_auth: AuthDialog) -> None:
    listed = control(tl_auth.client, tl_auth.keys, "GET", CLIENTS).get_json()["clients"]
    assert listed == [
        {
            "client_id": tl_auth.keys.client_id,
            "redirect_uris": [
                "http://localhost:3000/callback",
                "https://console.truelayer.com/redirect-page",
            ],
            "consent_days": 90,
            "display_name": None,
            "uses_tenant_keys": True,
        }
    ]


def test_a_registered_client_signs_in_with_its_own_secret(tl_auth: AuthDialog) -> None:
    made = control(
        tl_auth.client,
        tl_auth.keys,
        "POST",
        CLIENTS,
        redirect_uris=["http://localhost:3000/callback"],
        name="Budget Buddy",
        consent_days=30,
    )
    body = made.get_json()
    assert made.status_code == 201 and body["client_id"].startswith("sandbox-budget-buddy-")
    app = AuthDialog(tl_auth.client, tenants.Keys(body["client_id"], body["client_secret"]))
    tokens = app.tokens()
    me = app.bearer("GET", "/data/v1/me", tokens["access_token"]).get_json()["results"][0]
    assert me["client_id"] == body["client_id"]
    assert me["consent_expires_at"].startswith("2026-04-15")  # 30 days


def test_patch_adds_redirect_uris_and_changes_consent_days(tl_auth: AuthDialog) -> None:
    path = f"{CLIENTS}/sandbox-{tl_auth.keys.client_id}"
    changed = control(
        tl_auth.client,
        tl_auth.keys,
        "PATCH",
        path,
        add_redirect_uris=["https://app.example/cb"],
        consent_days=7,
    ).get_json()
    assert changed["redirect_uris"][-1] == "https://app.example/cb"
    assert changed["consent_days"] == 7
    back = tl_auth.authorize(redirect_uri="https://app.example/cb")
    assert back["code"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", CLIENTS, {"redirect_uris": ["ftp://x"]}, "redirect_uris"),
        ("POST", CLIENTS, {"redirect_uris": []}, "redirect_uris"),
        ("POST", CLIENTS, {"redirect_uris": ["https://x"], "extra": 1}, "extra"),
        ("PATCH", f"{CLIENTS}/{{own}}", {"consent_days": 0}, "consent_days"),
        ("PATCH", f"{CLIENTS}/{{own}}", {"add_redirect_uris": ["http://[::1/cb"]}, "redirect_uris"),
    ],
)
def test_bad_client_changes_name_the_field(
    tl_auth: AuthDialog, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    reply = control(
        tl_auth.client, tl_auth.keys, method, path.format(own=tl_auth.keys.client_id), **body
    )
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == field


def test_a_display_name_is_set_at_registration_or_later_and_listed(tl_auth: AuthDialog) -> None:
    made = control(
        tl_auth.client,
        tl_auth.keys,
        "POST",
        CLIENTS,
        redirect_uris=["http://localhost:3000/callback"],
        display_name="Budget Buddy",
    ).get_json()
    assert made["display_name"] == "Budget Buddy"
    own = f"{CLIENTS}/{tl_auth.keys.client_id}"
    changed = control(tl_auth.client, tl_auth.keys, "PATCH", own, display_name="My Test App")
    assert changed.get_json()["display_name"] == "My Test App"
    kept = control(tl_auth.client, tl_auth.keys, "PATCH", own, consent_days=7).get_json()
    assert kept["display_name"] == "My Test App"  # a change that does not name it keeps it
    listed = control(tl_auth.client, tl_auth.keys, "GET", CLIENTS).get_json()["clients"]
    assert [c["display_name"] for c in listed] == ["My Test App", "Budget Buddy"]


def test_a_display_name_is_cleared_by_null_and_kept_when_left_out(tl_auth: AuthDialog) -> None:
    own = f"{CLIENTS}/{tl_auth.keys.client_id}"
    control(tl_auth.client, tl_auth.keys, "PATCH", own, display_name="My Test App")
    kept = control(tl_auth.client, tl_auth.keys, "PATCH", own, add_redirect_uris=[]).get_json()
    assert kept["display_name"] == "My Test App"
    cleared = control(tl_auth.client, tl_auth.keys, "PATCH", own, display_name=None)
    assert cleared.status_code == 200 and cleared.get_json()["display_name"] is None
    listed = control(tl_auth.client, tl_auth.keys, "GET", CLIENTS).get_json()["clients"]
    assert [c["display_name"] for c in listed] == [None]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "App\x1b]0;owned\x07", "A\u0085B"])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_display_name_that_cannot_be_shown_is_refused_naming_it(
    tl_auth: AuthDialog, method: str, name: str
) -> None:
    path = CLIENTS if method == "POST" else f"{CLIENTS}/{tl_auth.keys.client_id}"
    body = {"redirect_uris": ["https://x.test/cb"]} if method == "POST" else {}
    reply = control(tl_auth.client, tl_auth.keys, method, path, display_name=name, **body)
    assert reply.status_code == 400, reply.get_json()
    error = reply.get_json()["error"]
    assert error["field"] == "display_name" and "80 characters" in error["message"]
    listed = control(tl_auth.client, tl_auth.keys, "GET", CLIENTS).get_json()["clients"]
    assert [(c["client_id"], c["display_name"]) for c in listed] == [
        (tl_auth.keys.client_id, None)  # nothing registered, nothing changed
    ]


def test_changing_an_unknown_client_is_not_found_naming_it(tl_auth: AuthDialog) -> None:
    response = control(tl_auth.client, tl_auth.keys, "PATCH", f"{CLIENTS}/nope", consent_days=5)
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", "client_id")
    assert "nope" in error["message"]
