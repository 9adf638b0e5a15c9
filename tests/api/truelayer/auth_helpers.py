"""Driving TrueLayer's auth dialog and token endpoint through Flask's test client.

``AuthDialog`` walks the pages as a browser does (CSRF tokens, redirects) and returns
what the app receives on its redirect URI; ``tl_auth`` is a fixture bound to a fresh
tenant whose own API keys are the TrueLayer client credentials.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sandbox.core import tenants
from sandbox.core.models import Tenant
from sandbox.extensions import db
from tests.conftest import FROZEN_NOW

REDIRECT = "http://localhost:3000/callback"
SCOPES = "info accounts balance cards transactions direct_debits standing_orders offline_access"
VERIFIER = "pkce-verifier-" + "v" * 40
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()[:-1]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found[1]


def query_of(response: TestResponse) -> dict[str, str]:
    """The parameters of a redirect's Location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


class AuthDialog:
    """A browser in the auth dialog plus the app's back end at the token endpoint."""

    def __init__(self, client: FlaskClient, keys: tenants.Keys) -> None:
        self.client, self.keys = client, keys

    def link(self, **params: str) -> dict[str, str]:
        """Auth-link parameters: the defaults, then ``params`` (None values dropped)."""
        base = {
            "response_type": "code",
            "client_id": self.keys.client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "st-1",
            "nonce": "n-1",
            "providers": "uk-ob-all uk-oauth-all uk-cs-mock",
        }
        return {k: v for k, v in {**base, **params}.items() if v is not None}

    def open(self, **params: str) -> TestResponse:
        """GET the auth link (the site root)."""
        return self.client.get("/", query_string=self.link(**params))

    def post(self, location: str, action: str, **form: str) -> TestResponse:
        """POST one of the dialog's forms on the page at ``location``."""
        page = self.client.get(location).text
        dialog = urlsplit(location).path
        return self.client.post(f"{dialog}/{action}", data={"csrf_token": csrf_of(page), **form})

    def authorize(
        self, username: str = "john", password: str = "doe", provider: str = "mock", **params: str
    ) -> dict[str, str]:
        """The whole dialog with the mock bank; returns what reaches the redirect URI."""
        opened = self.open(**params)
        assert opened.status_code == 303, opened.text
        dialog = opened.headers["Location"]
        if "provider_id" not in params:
            assert self.post(dialog, "provider", provider_id=provider).status_code == 303
        signed_in = self.post(dialog, "login", username=username, password=password)
        assert signed_in.status_code == 303, signed_in.text
        done = self.post(dialog, "consent")
        assert done.status_code == 302, done.text
        assert done.headers["Location"].startswith(params.get("redirect_uri", REDIRECT))
        return query_of(done)

    def another_app(self) -> AuthDialog:
        """The dialog of a second app (TrueLayer client) registered by the same tenant."""
        made = self.client.post(
            "/control/truelayer/clients",
            json={"redirect_uris": [REDIRECT], "name": "Other App"},
            headers={"PLAID-CLIENT-ID": self.keys.client_id, "PLAID-SECRET": self.keys.secret},
        ).get_json()
        return AuthDialog(self.client, tenants.Keys(made["client_id"], made["client_secret"]))

    def token(self, **form: str) -> TestResponse:
        """POST the token endpoint as a form, with the client's credentials."""
        body = {"client_id": self.keys.client_id, "client_secret": self.keys.secret, **form}
        return self.client.post("/connect/token", data=body)

    def exchange(self, code: str, **form: str) -> TestResponse:
        """Redeem a code."""
        return self.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **form)

    def tokens(self, **dialog: str) -> dict[str, Any]:
        """Dialog and exchange in one: the token response body."""
        response = self.exchange(self.authorize(**dialog)["code"])
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def extend(self, refresh_token: str, /, **overrides: object) -> TestResponse:
        """POST ``/data/v1/connections/extend`` for a connection (reconfirmed by default;
        ``overrides`` replace fields, ``refresh_token`` included)."""
        body = {
            "user_has_reconfirmed_consent": True,
            "client_id": self.keys.client_id,
            "client_secret": self.keys.secret,
            "refresh_token": refresh_token,
            "redirect_uri": REDIRECT,
            "state": "ext-1",
            **overrides,
        }
        return self.client.post("/data/v1/connections/extend", json=body)

    def authuri(self, **fields: object) -> TestResponse:
        """POST ``/v1/authuri`` for the mock bank; ``fields`` replace the body's (None drops
        one)."""
        body = {
            "response_type": "code",
            "client_id": self.keys.client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "consent_id": "consent123",
            "provider_id": "mock",
            "state": "st-d",
            **fields,
        }
        return self.client.post(
            "/v1/authuri", json={k: v for k, v in body.items() if v is not None}
        )

    def follow(self, link: str) -> TestResponse:
        """GET a dialog link the server handed out (its host may be another's)."""
        return self.client.get(f"/?{urlsplit(link).query}")

    def bearer(self, method: str, path: str, token: str, **kwargs: Any) -> TestResponse:
        """A request with ``Authorization: Bearer``."""
        headers = {"Authorization": f"Bearer {token}"}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def advance(self, delta: dt.timedelta) -> None:
        """Move the tenant's frozen clock."""
        tenant = db.session.query(Tenant).filter_by(client_id=self.keys.client_id).one()
        tenant.clock_frozen_at = FROZEN_NOW + delta
        db.session.commit()


@pytest.fixture
def tl_auth(app: Flask, tenant_keys: tenants.Keys) -> AuthDialog:
    """The auth dialog and token endpoint for a fresh tenant (clock frozen)."""
    return AuthDialog(app.test_client(), tenant_keys)
