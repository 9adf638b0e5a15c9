"""`Settings`: one place that turns environment variables into a ready `BankSync`.

The CLI, `bank-client worker` and the Celery app all read the same variables, so a service
and a one-off command always agree on the database, the provider and the keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.notify import FanOut, Notifier, SmtpNotifier, WebhookNotifier, log_notifier
from client.store.db import Store
from client.sync.connections import BankSync

DEFAULT_DB = "sqlite:///bank-client.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # where `bank-sandbox serve` listens by default


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything needed to build the client; `from_env` reads the documented variables."""

    db: str = DEFAULT_DB
    base_url: str = DEFAULT_BASE_URL
    client_id: str = ""
    secret: str = field(default="", repr=False)
    keys: tuple[str, ...] = field(default=(), repr=False)
    smtp: str = ""  # host:port
    mail_from: str = "bank-client@localhost"
    mail_to: str = ""
    notify_url: str = ""
    notify_secret: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """BANK_CLIENT_DB, PLAID_BASE_URL, PLAID_CLIENT_ID, PLAID_SECRET, BANK_CLIENT_KEYS, and
        the notification channels BANK_CLIENT_SMTP / _MAIL_FROM / _MAIL_TO / _NOTIFY_URL /
        _NOTIFY_SECRET."""
        return cls(
            db=env.get("BANK_CLIENT_DB", DEFAULT_DB),
            base_url=env.get("PLAID_BASE_URL", DEFAULT_BASE_URL),
            client_id=env.get("PLAID_CLIENT_ID", ""),
            secret=env.get("PLAID_SECRET", ""),
            keys=tuple(k for k in env.get("BANK_CLIENT_KEYS", "").split(",") if k),
            smtp=env.get("BANK_CLIENT_SMTP", ""),
            mail_from=env.get("BANK_CLIENT_MAIL_FROM", "bank-client@localhost"),
            mail_to=env.get("BANK_CLIENT_MAIL_TO", ""),
            notify_url=env.get("BANK_CLIENT_NOTIFY_URL", ""),
            notify_secret=env.get("BANK_CLIENT_NOTIFY_SECRET", ""),
        )

    def notifier(self) -> Notifier:
        """The log, plus email and an outbound webhook when they are configured."""
        channels: list[Notifier] = [log_notifier]
        if self.smtp and self.mail_to:
            host, _, port = self.smtp.rpartition(":")
            if not host or not port.isdigit():
                raise SettingsError(f"BANK_CLIENT_SMTP must be host:port, not {self.smtp!r}")
            channels.append(SmtpNotifier(host, int(port), self.mail_from, self.mail_to))
        if self.notify_url:
            if not self.notify_secret:
                raise SettingsError("BANK_CLIENT_NOTIFY_URL needs BANK_CLIENT_NOTIFY_SECRET")
            channels.append(WebhookNotifier(self.notify_url, self.notify_secret))
        return FanOut(channels)

    def build(self) -> BankSync:
        """The client: store, provider client, token cipher and notifier."""
        if not self.keys:
            raise SettingsError("set BANK_CLIENT_KEYS (generate one with `bank-client new-key`)")
        try:
            cipher = TokenCipher(list(self.keys))
        except ValueError:  # cryptography's words named neither the setting nor the key
            raise SettingsError(
                "BANK_CLIENT_KEYS (--keys) holds a key that is not a Fernet key (32 url-safe "
                "base64-encoded bytes); generate one with `bank-client new-key`"
            ) from None
        plaid = PlaidClient(_provider_url(self.base_url), self.client_id, self.secret)
        store = Store(self.db)
        return BankSync(plaid, store, cipher, notifier=self.notifier())


def _provider_url(url: str) -> str:
    """The provider's base URL, if requests can call it: one without a scheme or of another
    scheme failed only at the first call, in requests' words ("No connection adapters were
    found for 'ftp://x/link/token/create'"), naming neither setting."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port past 65535 or not a number raises only when read
    except ValueError as exc:  # alone, "Invalid IPv6 URL" named neither setting nor value
        raise SettingsError(
            f"PLAID_BASE_URL (--base-url) is not a valid URL ({exc}): {url!r}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"PLAID_BASE_URL (--base-url) must be an http:// or https:// URL, not {url!r}"
        )
    return url
