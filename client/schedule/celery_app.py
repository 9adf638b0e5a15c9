"""The Celery app configured from the environment, for `celery -A client.schedule.celery_app`.

Variables: BANK_CLIENT_BROKER (default redis://127.0.0.1:6379/0), BANK_CLIENT_SYNC_AT (HH:MM,
default 02:00), BANK_CLIENT_RETRIES (3), BANK_CLIENT_RETRY_DELAY (seconds, 300),
BANK_CLIENT_QUEUE (bank-client), plus the client's own (see `client.worker.config.Settings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from client.schedule.tasks import CeleryPolicy, make_celery
from client.worker.config import Settings, SettingsError

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def policy_from_env(env: Mapping[str, str] = os.environ) -> CeleryPolicy:
    """Beat time and retry policy from the environment, with a clear error when malformed."""
    at = env.get("BANK_CLIENT_SYNC_AT", "02:00")
    try:
        hour, minute = (int(part) for part in at.split(":"))
        retries = int(env.get("BANK_CLIENT_RETRIES", "3"))
        delay = int(env.get("BANK_CLIENT_RETRY_DELAY", "300"))
    except ValueError:
        raise SettingsError(
            "BANK_CLIENT_SYNC_AT is HH:MM; BANK_CLIENT_RETRIES and _RETRY_DELAY are integers"
        ) from None
    return CeleryPolicy(hour=hour, minute=minute, retries=retries, retry_delay=delay)


app = make_celery(
    os.environ.get("BANK_CLIENT_BROKER", DEFAULT_BROKER),
    Settings.from_env().build,
    policy=policy_from_env(),
)
app.conf.task_default_queue = os.environ.get("BANK_CLIENT_QUEUE", "bank-client")
