"""Defaults for every setting; ``SANDBOX_*`` environment variables and ``create_app`` override.

| setting | environment | default |
|---|---|---|
| ``DATABASE_URL`` | ``DATABASE_URL`` | SQLite file ``instance/sandbox.db`` |
| ``SEED`` | ``SANDBOX_SEED`` | ``1`` |
| ``CLIENT_ID``, ``SECRET`` | ``SANDBOX_CLIENT_ID``, ``SANDBOX_SECRET`` | made on first start |
| ``SECRET_KEY`` | ``SANDBOX_SECRET_KEY`` | generated once, kept in the instance folder |
| ``HOST`` / ``PORT`` | ``SANDBOX_HOST`` / ``SANDBOX_PORT`` | ``127.0.0.1`` / ``8000`` |
| ``SHUTDOWN_GRACE_SECONDS`` | ``SANDBOX_SHUTDOWN_GRACE_SECONDS`` | ``30`` (SIGTERM: calls finish) |
| ``WEBHOOK_DISPATCHER`` | ``SANDBOX_WEBHOOK_DISPATCHER`` | ``thread`` (``off``: use ``worker``) |
| ``WEBHOOK_TIMEOUT_SECONDS`` | ``SANDBOX_WEBHOOK_TIMEOUT_SECONDS`` | ``10`` |
| ``WEBHOOK_REJECTION_RULE`` | ``SANDBOX_WEBHOOK_REJECTION_RULE`` | ``on`` (Plaid's 90% rule) |
| ``HISTORICAL_DELAY_SECONDS`` | ``SANDBOX_HISTORICAL_DELAY_SECONDS`` | ``0`` |
| ``RATE_LIMITS`` | ``SANDBOX_RATE_LIMITS`` | ``on`` (Plaid's limits, TrueLayer's quota) |
| ``READ_CACHE`` | ``SANDBOX_READ_CACHE`` | ``on`` (repeated reads of an unchanged database) |
| ``RATELIMIT_STORAGE_URL`` | ``SANDBOX_RATELIMIT_STORAGE_URL`` | memory; ``redis://…`` shares |
| ``MAX_CONTENT_LENGTH`` | ``SANDBOX_MAX_CONTENT_LENGTH`` | ``1048576`` bytes per request body |
| ``JSON_MAX_DEPTH`` | ``SANDBOX_JSON_MAX_DEPTH`` | ``32`` levels of JSON nesting |
| ``FAULT_LATENCY_CAP_MS`` | ``SANDBOX_FAULT_LATENCY_CAP_MS`` | ``30000`` ms of injected latency |
| ``SHARED`` | ``SANDBOX_SHARED`` | ``auto``: on when ``HOST`` is not loopback |
| ``ADMIN_TOKEN`` | ``SANDBOX_ADMIN_TOKEN`` | none; setting it turns shared mode on |
| ``WEBHOOK_ALLOWLIST`` | ``SANDBOX_WEBHOOK_ALLOWLIST`` | none (shared: hosts, CIDRs) |
| ``PUBLIC_URL`` | ``SANDBOX_PUBLIC_URL`` | ``http://HOST:PORT``: the base of OAuth redirect URIs |
| ``TENANT_LIMIT`` | ``SANDBOX_TENANT_LIMIT`` | ``1000`` tenants in all |
| ``TENANT_CREATE_PER_MINUTE`` | ``SANDBOX_TENANT_CREATE_PER_MINUTE`` | ``30`` per client address |
| ``CATCHER_MAX_BODY`` | ``SANDBOX_CATCHER_MAX_BODY`` | ``16384`` bytes per caught webhook |
| ``CATCHER_KEEP`` | ``SANDBOX_CATCHER_KEEP`` | ``100`` per catcher name |
| ``CATCHER_KEEP_ALL`` | ``SANDBOX_CATCHER_KEEP_ALL`` | ``1000`` caught webhooks in all |

See ``SECURITY.md`` for what shared mode changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

DEFAULTS: dict[str, object] = {
    "DATABASE_URL": None,
    "SEED": 1,
    "CLIENT_ID": None,
    "SECRET": None,
    "SECRET_KEY": None,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    # As long as the longest injected latency (FAULT_LATENCY_CAP_MS), and gunicorn's own.
    "SHUTDOWN_GRACE_SECONDS": 30,
    "ENVIRONMENT": "sandbox",
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # no Plaid request (or demo webhook) comes near 1 MiB
    "WEBHOOK_DISPATCHER": "thread",
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Plaid's rule: no retries to an endpoint that rejected over 90% of webhooks in 24 h.
    "WEBHOOK_REJECTION_RULE": "on",
    "HISTORICAL_DELAY_SECONDS": 0,
    "RATE_LIMITS": "on",
    "READ_CACHE": "on",
    "RATELIMIT_STORAGE_URL": None,
    "JSON_MAX_DEPTH": 32,  # Plaid's deepest request nests 5 levels
    "FAULT_LATENCY_CAP_MS": 30_000,
    "SHARED": "auto",
    "ADMIN_TOKEN": None,
    "WEBHOOK_ALLOWLIST": "",
    "PUBLIC_URL": None,
    "TENANT_LIMIT": 1000,
    "TENANT_CREATE_PER_MINUTE": 30,
    "CATCHER_MAX_BODY": 16 * 1024,  # Plaid webhooks are under 2 KiB
    "CATCHER_KEEP": 100,
    "CATCHER_KEEP_ALL": 1000,
}

LARGEST_SEED = 2**63 - 1  # a tenant's seed is a signed 64-bit column

# Each integer setting's smallest and largest value (None: no largest). Out of range, a seed
# failed at the first write with a traceback, and a body limit or nesting depth below 1
# refused every call.
INTEGER_SETTINGS: dict[str, tuple[int, int | None]] = {
    "SEED": (0, LARGEST_SEED),
    "PORT": (0, 65535),
    "SHUTDOWN_GRACE_SECONDS": (0, None),
    "WEBHOOK_TIMEOUT_SECONDS": (1, None),
    "HISTORICAL_DELAY_SECONDS": (0, None),
    "MAX_CONTENT_LENGTH": (1, None),
    "JSON_MAX_DEPTH": (1, None),
    "FAULT_LATENCY_CAP_MS": (0, None),
    "TENANT_LIMIT": (0, None),
    "TENANT_CREATE_PER_MINUTE": (0, None),
    "CATCHER_MAX_BODY": (0, None),
    "CATCHER_KEEP": (0, None),
    "CATCHER_KEEP_ALL": (0, None),
}


def sqlite_file(url: URL) -> str | None:
    """The file a SQLite URL names; None for another database or one in memory (``sqlite://``,
    ``:memory:``, a ``mode=memory`` URI), which no second connection can open."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return None if url.query.get("mode") == "memory" else url.database
