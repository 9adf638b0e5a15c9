"""`AppConfig`: the demo app's settings, read from the environment like the rest of the client.

The provider, database and keys come from `client.worker.config.Settings` (the same variables
as the CLI and the worker); this adds only what a web app needs on top.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from client.api.plaid import MAX_DAYS_REQUESTED, MAX_SYNC_COUNT
from client.worker.config import Settings, SettingsError

DEFAULT_USERS = "alice:demo,bob:demo"


@dataclass(frozen=True)
class AppConfig:
    """What the app factory needs beyond the client's own settings."""

    settings: Settings = field(default_factory=Settings)
    # name -> password of the demo's app users (`BANK_APP_USERS="alice:pw,bob:pw"`).
    users: dict[str, str] = field(default_factory=dict, repr=False)
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    # Where browsers reach this app (Link returns there) and where the provider delivers its
    # webhooks; by default the address the browser used, which is right on one machine.
    public_url: str | None = None
    webhook_url: str | None = None
    # Where browsers reach the provider's hosted Link, when it differs from the API base URL
    # (in compose the app calls http://sandbox:8000 but the browser opens 127.0.0.1:8000).
    link_url: str | None = None
    # Sync page size: pages small enough to show progress, large enough to stay under the
    # provider's 50 /transactions/sync calls a minute per Item for a year of history.
    page_size: int = 100
    days_requested: int = 365
    worker: bool = True  # run schedules, webhook jobs and "sync now" in a background thread
    worker_interval: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> AppConfig:
        """BANK_APP_USERS, BANK_APP_SECRET_KEY, BANK_APP_PUBLIC_URL, BANK_APP_WEBHOOK_URL,
        BANK_APP_LINK_URL, BANK_APP_PAGE_SIZE and BANK_APP_DAYS, on top of `Settings.from_env`."""
        base = cls()
        return cls(
            settings=Settings.from_env(env),
            users=parse_users(env.get("BANK_APP_USERS", DEFAULT_USERS)),
            secret_key=env.get("BANK_APP_SECRET_KEY") or base.secret_key,
            public_url=env.get("BANK_APP_PUBLIC_URL", "").rstrip("/") or None,
            webhook_url=env.get("BANK_APP_WEBHOOK_URL") or None,
            link_url=env.get("BANK_APP_LINK_URL") or None,
            page_size=_whole(
                "BANK_APP_PAGE_SIZE", env.get("BANK_APP_PAGE_SIZE"), base.page_size, MAX_SYNC_COUNT
            ),
            days_requested=_whole(
                "BANK_APP_DAYS", env.get("BANK_APP_DAYS"), base.days_requested, MAX_DAYS_REQUESTED
            ),
        )


def parse_users(text: str) -> dict[str, str]:
    """`name:password,name:password` into a mapping; a malformed entry names itself."""
    users: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, sep, password = entry.partition(":")
        if not sep or not name or not password:
            raise SettingsError(f"BANK_APP_USERS entries are name:password, not {entry!r}")
        users[name] = password
    return users


def _whole(name: str, text: str | None, default: int, most: int) -> int:
    """A whole number from 1 to `most` from the environment, or `default` when unset: one
    past the provider's bound started the app, then failed every sync (a page size over 500)
    or every Link (more than 730 days) with the provider's INVALID_FIELD."""
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= most:
        raise SettingsError(f"{name} must be a whole number from 1 to {most}, not {text!r}")
    return int(text)
