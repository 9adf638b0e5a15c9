"""Getting a database ready to serve: schema migrations and the default tenant."""

from __future__ import annotations

import json
from pathlib import Path

import flask_migrate
from flask import Flask
from sqlalchemy import select

from .core import tenants
from .core.models import Tenant
from .extensions import current_session, db

DEFAULT_TENANT = "default"


def upgrade_schema(app: Flask) -> None:
    """Apply every pending migration (creates the schema on an empty database)."""
    with app.app_context():
        flask_migrate.upgrade(directory=str(app.extensions["migrate"].directory))


def ensure_default_tenant(app: Flask) -> tenants.Keys:
    """The default tenant's keys: from ``SANDBOX_CLIENT_ID``/``SANDBOX_SECRET``, or made once.

    Secrets are stored hashed, so generated keys are also written to
    ``instance/credentials.json`` (mode 600) to be shown again on later starts.
    """
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == DEFAULT_TENANT))
        configured = _configured_keys(app)
        keys = configured or _saved_keys(app)
        if keys is None or (configured is None and not _matches(tenant, keys)):
            keys = tenants.new_keys()
        if tenant is None:
            tenants.create(
                current_session(),
                DEFAULT_TENANT,
                int(app.config["SEED"]),
                client_id=keys.client_id,
                secret=keys.secret,
            )
        else:
            tenant.client_id = keys.client_id
            tenant.secret_hash = tenants.hash_secret(keys.secret)
            tenant.seed = int(app.config["SEED"])
        db.session.commit()
        if configured is None:
            _save_keys(app, keys)
        return keys


def _matches(tenant: Tenant | None, keys: tenants.Keys) -> bool:
    return (
        tenant is not None
        and tenant.client_id == keys.client_id
        and (tenant.secret_hash == tenants.hash_secret(keys.secret))
    )


def _configured_keys(app: Flask) -> tenants.Keys | None:
    client_id, secret = app.config.get("CLIENT_ID"), app.config.get("SECRET")
    return tenants.Keys(str(client_id), str(secret)) if client_id and secret else None


def _credentials_file(app: Flask) -> Path:
    return Path(app.instance_path) / "credentials.json"


def _saved_keys(app: Flask) -> tenants.Keys | None:
    path = _credentials_file(app)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return tenants.Keys(data["client_id"], data["secret"])


def _save_keys(app: Flask, keys: tenants.Keys) -> None:
    path = _credentials_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"client_id": keys.client_id, "secret": keys.secret}) + "\n")
    path.chmod(0o600)
