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


class CredentialsFileError(Exception):
    """``instance/credentials.json`` exists but cannot be read as keys."""


def ensure_default_tenant(app: Flask) -> tenants.Keys:
    """The default tenant's keys: ``SANDBOX_CLIENT_ID``/``SANDBOX_SECRET``, else the saved ones.

    Secrets are stored hashed, so generated keys are written to ``instance/credentials.json``
    (mode 600) to be shown again on later starts. The file wins for as long as it exists,
    even over a fresh database: new keys are made only when it is missing.
    """
    with app.app_context():
        configured = _configured_keys(app)
        saved = None if configured else _saved_keys(app)
        keys = configured or saved or tenants.new_keys()
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == DEFAULT_TENANT))
        seed = int(app.config["SEED"])
        if tenant is None:
            tenants.create(
                current_session(),
                DEFAULT_TENANT,
                seed,
                client_id=keys.client_id,
                secret=keys.secret,
            )
        else:
            tenant.client_id = keys.client_id
            tenant.secret_hash = tenants.hash_secret(current_session(), keys.secret)
            tenant.seed = seed
        db.session.commit()
        if configured is None and saved is None:
            _save_keys(app, keys)
        return keys


def _configured_keys(app: Flask) -> tenants.Keys | None:
    client_id, secret = app.config.get("CLIENT_ID"), app.config.get("SECRET")
    return tenants.Keys(str(client_id), str(secret)) if client_id and secret else None


def _credentials_file(app: Flask) -> Path:
    return Path(app.instance_path) / "credentials.json"


def _saved_keys(app: Flask) -> tenants.Keys | None:
    path = _credentials_file(app)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return tenants.Keys(str(data["client_id"]), str(data["secret"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise CredentialsFileError(
            f"{path} is not a JSON object with client_id and secret ({exc!r}); "
            "fix it, or delete it to make new keys"
        ) from None


def _save_keys(app: Flask, keys: tenants.Keys) -> None:
    path = _credentials_file(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"client_id": keys.client_id, "secret": keys.secret}) + "\n")
    path.chmod(0o600)
