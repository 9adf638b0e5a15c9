"""Tenant secrets and access tokens are keyed hashes at rest; signing keys are encrypted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text

from sandbox import create_app
from sandbox.core import keyring, tenants
from sandbox.core.models import AccessToken, Tenant, WebhookKey
from sandbox.extensions import db
from tests.conftest import DATABASES, PlaidClient

from .conftest import fresh_database_url


def test_tenant_secret_is_stored_as_a_keyed_hash(app: Flask, tenant_keys: tenants.Keys) -> None:
    stored = db.session.scalar(
        select(Tenant.secret_hash).where(Tenant.client_id == tenant_keys.client_id)
    )
    assert stored == keyring.Keyring("test-secret-key").digest(tenant_keys.secret)
    assert stored != keyring.Keyring("another-server-key").digest(tenant_keys.secret)
    assert hashlib.sha256(tenant_keys.secret.encode()).hexdigest() not in stored


@pytest.mark.parametrize("with_access_token", [False, True])
def test_legacy_unkeyed_secret_hash_still_works_and_is_upgraded(
    plaid: PlaidClient, tenant_keys: tenants.Keys, with_access_token: bool
) -> None:
    token = plaid.link_item() if with_access_token else None
    tenant = db.session.scalar(select(Tenant).where(Tenant.client_id == tenant_keys.client_id))
    assert tenant is not None
    tenant.secret_hash = hashlib.sha256(tenant_keys.secret.encode()).hexdigest()
    db.session.commit()
    plaid.ok("/categories/get")  # unauthenticated: does not touch the tenant
    if token is None:
        plaid.ok("/institutions/get", count=1, offset=0, country_codes=["US"])
    else:  # the tenant is read with the token's item
        plaid.ok("/accounts/balance/get", access_token=token)
    db.session.expire_all()
    assert tenant.secret_hash.startswith(keyring.DIGEST_PREFIX)


def test_access_token_is_stored_only_as_its_keyed_hash(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    stored = list(db.session.scalars(select(AccessToken.token)))
    assert token not in stored
    assert keyring.Keyring("test-secret-key").digest(token) in stored
    assert plaid.ok("/item/get", access_token=token)["item"]["item_id"]


def test_access_token_hashed_under_another_server_key_is_not_found(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    row = db.session.get(AccessToken, keyring.Keyring("test-secret-key").digest(token))
    assert row is not None
    row.token = keyring.Keyring("another-server-key").digest(token)
    db.session.commit()
    assert plaid.error("/item/get", access_token=token)["error_code"] == "INVALID_ACCESS_TOKEN"


def test_webhook_signing_key_is_encrypted_at_rest(app: Flask, tenant_keys: tenants.Keys) -> None:
    headers = {"PLAID-CLIENT-ID": tenant_keys.client_id, "PLAID-SECRET": tenant_keys.secret}
    jwk = app.test_client().post("/control/webhook-keys/rotate", headers=headers).get_json()["key"]
    stored = db.session.scalar(select(WebhookKey.private_pem).where(WebhookKey.kid == jwk["kid"]))
    assert stored is not None and stored.startswith(keyring.SEALED_PREFIX)
    assert "PRIVATE KEY" not in stored
    served = app.test_client().post(
        "/webhook_verification_key/get", json={"key_id": jwk["kid"]}, headers=headers
    )
    assert served.get_json()["key"]["x"] == jwk["x"]


@pytest.mark.parametrize("database", DATABASES)
def test_migration_rewrites_tokens_and_keys_an_older_version_stored_in_clear(
    database: str, tmp_path: Path
) -> None:
    app = create_app({"DATABASE_URL": fresh_database_url(database, tmp_path), "SECRET_KEY": "k"})
    plaid = _migrated_client(app)
    token = plaid.link_item()
    plaid.ok("/webhook_verification_key/get", key_id=_kid(app, plaid))
    with app.app_context():
        flask_migrate.downgrade(revision="5b2e9c41f7a3")
        db.session.execute(text("UPDATE access_tokens SET token = :t"), {"t": token})
        db.session.commit()
        flask_migrate.upgrade()
        assert db.session.scalar(select(AccessToken.token)) == keyring.Keyring("k").digest(token)
        pem = db.session.scalar(select(WebhookKey.private_pem))
        assert pem is not None and pem.startswith(keyring.SEALED_PREFIX)
    assert plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    with app.app_context():
        db.engine.dispose()


def _migrated_client(app: Flask) -> PlaidClient:
    with app.app_context():
        flask_migrate.upgrade()
        _tenant, keys = tenants.create(db.session, "old", 7)
        db.session.commit()
    return PlaidClient(app.test_client(), keys.client_id, keys.secret)


def _kid(app: Flask, plaid: PlaidClient) -> str:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    reply = app.test_client().post("/control/webhook-keys/rotate", headers=headers)
    kid: str = reply.get_json()["key"]["kid"]
    return kid
