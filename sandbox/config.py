"""Defaults for every setting; ``SANDBOX_*`` environment variables and ``create_app`` override.

| setting | environment | default |
|---|---|---|
| ``DATABASE_URL`` | ``DATABASE_URL`` | SQLite file ``instance/sandbox.db`` |
| ``SEED`` | ``SANDBOX_SEED`` | ``1`` |
| ``CLIENT_ID``, ``SECRET`` | ``SANDBOX_CLIENT_ID``, ``SANDBOX_SECRET`` | made on first start |
| ``SECRET_KEY`` | ``SANDBOX_SECRET_KEY`` | generated once, kept in the instance folder |
| ``HOST`` / ``PORT`` | ``SANDBOX_HOST`` / ``SANDBOX_PORT`` | ``127.0.0.1`` / ``8000`` |
| ``WEBHOOK_DISPATCHER`` | ``SANDBOX_WEBHOOK_DISPATCHER`` | ``thread`` (``off``: use ``worker``) |
| ``WEBHOOK_TIMEOUT_SECONDS`` | ``SANDBOX_WEBHOOK_TIMEOUT_SECONDS`` | ``10`` |
| ``HISTORICAL_DELAY_SECONDS`` | ``SANDBOX_HISTORICAL_DELAY_SECONDS`` | ``0`` |
| ``RATE_LIMITS`` | ``SANDBOX_RATE_LIMITS`` | ``on`` (Plaid's sandbox limits; ``off`` disables) |
| ``RATELIMIT_STORAGE_URL`` | ``SANDBOX_RATELIMIT_STORAGE_URL`` | memory; ``redis://…`` shares |
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
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # no Plaid request (or demo webhook) comes near 1 MiB
    "WEBHOOK_DISPATCHER": "thread",
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "HISTORICAL_DELAY_SECONDS": 0,
    "RATE_LIMITS": "on",
    "RATELIMIT_STORAGE_URL": None,
}

INTEGER_SETTINGS = {"SEED", "PORT", "WEBHOOK_TIMEOUT_SECONDS", "HISTORICAL_DELAY_SECONDS"}
