"""Defaults for every setting; ``SANDBOX_*`` environment variables and ``create_app`` override.

| setting | environment | default |
|---|---|---|
| ``DATABASE_URL`` | ``DATABASE_URL`` | SQLite file ``instance/sandbox.db`` |
| ``SEED`` | ``SANDBOX_SEED`` | ``1`` |
| ``CLIENT_ID``, ``SECRET`` | ``SANDBOX_CLIENT_ID``, ``SANDBOX_SECRET`` | made on first start |
| ``SECRET_KEY`` | ``SANDBOX_SECRET_KEY`` | generated once, kept in the instance folder |
| ``HOST`` / ``PORT`` | ``SANDBOX_HOST`` / ``SANDBOX_PORT`` | ``127.0.0.1`` / ``8000`` |
"""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    "DATABASE_URL": None,
    "SEED": 1,
    "CLIENT_ID": None,
    "SECRET": None,
    "SECRET_KEY": None,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "ENVIRONMENT": "sandbox",
    "JSON_SORT_KEYS": False,
}

INTEGER_SETTINGS = {"SEED", "PORT"}
