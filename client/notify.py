"""Pluggable notifications: new transactions, failures with troubleshooting text."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

TROUBLESHOOTING: dict[str, str] = {
    "ITEM_LOGIN_REQUIRED": "The bank needs you to sign in again: open the reconnect link.",
    "INSTITUTION_DOWN": "The bank is down right now; the next scheduled sync will retry.",
    "INSTITUTION_NOT_RESPONDING": "The bank is not responding; the next sync will retry.",
    "RATE_LIMIT_EXCEEDED": "Too many requests; the next sync will retry later.",
    "ITEM_NOT_FOUND": "This connection was removed at the provider; connect the bank again.",
    "INVALID_ACCESS_TOKEN": "The stored credentials are invalid; connect the bank again.",
    "CONNECTION_ERROR": "The provider could not be reached; the next sync will retry.",
}
DEFAULT_ADVICE = "Try again later; if it keeps failing, reconnect the bank."


def advice_for(error_code: str | None) -> str:
    """Text a user can act on for an error code."""
    return TROUBLESHOOTING.get(error_code or "", DEFAULT_ADVICE)


@dataclass(frozen=True)
class Notification:
    """Something the app may want to tell the user about a connection."""

    kind: str  # "new_transactions" | "sync_failed" | "login_required"
    connection_id: int
    message: str
    count: int = 0
    error_code: str | None = None


class Notifier(Protocol):
    """The hook an app implements (email, push, Slack...)."""

    def __call__(self, note: Notification) -> None:
        """Deliver one notification."""


def log_notifier(note: Notification) -> None:
    """Default hook: log it."""
    log.info("connection %s: %s (%s)", note.connection_id, note.message, note.kind)


@dataclass
class CollectingNotifier:
    """Keeps notifications in memory (tests, demos)."""

    notes: list[Notification] = field(default_factory=list)

    def __call__(self, note: Notification) -> None:
        """Remember it."""
        self.notes.append(note)
