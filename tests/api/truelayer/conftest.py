"""TrueLayer Data API fixtures: a tenant's connection made through the core grant, and a
client that calls ``/data/v1`` with its bearer token (through Flask's test client)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sandbox.core import institutions, tenants
from sandbox.core.bank import Bank, Grant, Issuer, check_login, resolve_access
from sandbox.core.models import Tenant
from sandbox.extensions import db, tenant_bank
from sandbox.truelayer.providers import ALL_SCOPES

MOCK_BANK = "ins_200001"  # TrueLayer's provider "mock"
ISSUER = Issuer("http://127.0.0.1", lambda _institution_id: "mock")
USER_PRESENT = {"X-PSU-IP": "203.0.113.7"}


class TrueLayerData:
    """Connects mock users like the auth dialog would, then calls the Data API as an app."""

    def __init__(self, app: Flask, keys: tenants.Keys) -> None:
        self.app, self.client_id = app, keys.client_id
        self.http: FlaskClient = app.test_client()

    def bank(self) -> Bank:
        """The tenant's bank on the test's session."""
        tenant = db.session.query(Tenant).filter_by(client_id=self.client_id).one()
        return tenant_bank(tenant)

    def connect(
        self,
        username: str = "john",
        password: str = "doe",
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        institution_id: str = MOCK_BANK,
    ) -> str:
        """A new connection of ``username``; returns its access token."""
        bank = self.bank()
        client = bank.grants.clients()[0]
        redirect_uri = client.redirect_uris[0]
        code = bank.grants.connect(
            client,
            institutions.get(institution_id),
            check_login(username, password),
            list(scopes),
            redirect_uri=redirect_uri,
        )
        tokens = bank.grants.exchange_code(
            client, code, redirect_uri=redirect_uri, code_verifier=None, issuer=ISSUER
        )
        db.session.commit()
        return tokens.access_token

    def grant_of(self, token: str) -> Grant:
        """The grant (consent, item, scopes) behind an access token."""
        return resolve_access(db.session, token)

    def get(self, path: str, token: str, *, present: bool = True, **params: Any) -> TestResponse:
        """GET ``/data/v1{path}`` with the bearer token (as a user-present call by default)."""
        headers = {"Authorization": f"Bearer {token}", **(USER_PRESENT if present else {})}
        return self.http.get(f"/data/v1{path}", headers=headers, query_string=params)

    def results(self, path: str, token: str, **params: Any) -> list[dict[str, Any]]:
        """GET and assert a 200 in TrueLayer's envelope; returns ``results``."""
        response = self.get(path, token, **params)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["status"] == "Succeeded" and set(body) == {"results", "status"}
        found: list[dict[str, Any]] = body["results"]
        return found

    def error(self, path: str, token: str, status: int, code: str, **params: Any) -> dict[str, Any]:
        """GET and assert TrueLayer's error envelope with ``status`` and ``error`` == ``code``."""
        response = self.get(path, token, **params)
        body: dict[str, Any] = response.get_json()
        assert (response.status_code, body.get("error")) == (status, code), body
        assert set(body) == {"error", "error_description", "error_details"}
        return body


@pytest.fixture
def truelayer(app: Flask, tenant_keys: tenants.Keys) -> TrueLayerData:
    """A TrueLayer app of a fresh tenant (clock frozen at ``FROZEN_NOW``)."""
    return TrueLayerData(app, tenant_keys)


@pytest.fixture
def token(truelayer: TrueLayerData) -> str:
    """An access token of a ``john``/``doe`` connection with every scope."""
    return truelayer.connect()
