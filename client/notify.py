"""Notifications through a `Notifier`: log, email over SMTP, and a signed outbound webhook.

Kinds: `new_transactions`, `sync_failed` and `login_required` (with troubleshooting text),
`reauth_reminder` (consent is about to end), `new_accounts` (an update-mode link lets the user
add them), `access_revoked`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import requests

log = logging.getLogger(__name__)

# Failures of the app's own setup, not of the connection: for whoever runs the app.
APP_SIDE: dict[str, str] = {
    "INVALID_API_KEYS": "The app's Plaid client id or secret is wrong: check PLAID_CLIENT_ID and "
    "PLAID_SECRET (or --client-id / --secret); the connection itself is fine.",
    "UNAUTHORIZED_ENVIRONMENT": "The app's keys are not enabled for this Plaid environment: "
    "check PLAID_BASE_URL and the keys; the connection itself is fine.",
    "UNAUTHORIZED_ROUTE_ACCESS": "The app's Plaid account may not call this endpoint: ask Plaid "
    "to enable it; the connection itself is fine.",
    "INCOMPATIBLE_API_VERSION": "The provider refuses the API version this client speaks; the "
    "connection itself is fine.",
    "invalid_client": "The app's TrueLayer client id or secret is wrong: check its "
    "configuration; the connection itself is fine.",
    "unauthorized_client": "The app's TrueLayer client may not do this: check its "
    "configuration; the connection itself is fine.",
}
TROUBLESHOOTING: dict[str, str] = {
    **APP_SIDE,
    "ITEM_LOGIN_REQUIRED": "The bank needs you to sign in again: open the reconnect link.",
    "PENDING_EXPIRATION": "Your consent is about to end: sign in again through the reconnect link.",
    "PENDING_DISCONNECT": "The bank will end access soon: sign in again via the reconnect link.",
    "USER_PERMISSION_REVOKED": "You revoked access at the bank; connect the bank again to resume.",
    "ITEM_LOCKED": "The bank locked your account: unlock it at the bank (signing in on its own "
    "site often does), then sign in again through the reconnect link.",
    "ITEM_NOT_FOUND": "This connection was removed at the provider; connect the bank again.",
    "INVALID_ACCESS_TOKEN": "The stored credentials are invalid; connect the bank again.",
    # TrueLayer's codes (client.providers.truelayer)
    "access_denied": "Your consent to share this bank's data has ended: renew it to resume.",
    "invalid_grant": "Your consent to share this bank's data has ended: renew it to resume.",
    "provider_request_limit_exceeded": "The bank allows few reads without you; retry later.",
}
# Failures that pass by themselves; who tries again depends on what failed (`advice_for`).
PASSING: dict[str, str] = {
    "INSTITUTION_DOWN": "The bank is down right now",
    "INSTITUTION_NOT_RESPONDING": "The bank is not responding",
    "RATE_LIMIT_EXCEEDED": "Too many requests",
    "CONNECTION_ERROR": "The provider could not be reached",
}
BANK_TROUBLE = frozenset({"INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING"})  # another bank works


class Attempt:
    """What failed, so that the advice fits it: a sync is tried again by the schedule; what the
    user started is theirs to try again (connecting has no connection to sync yet)."""

    SYNC = "sync"
    CONNECT = "connect"  # a new bank through Link: another bank may do instead
    CHANGE = "change"  # to a connection: signing in again, linking again, disconnecting


DEFAULT_ADVICE = {
    Attempt.SYNC: "Try again later; if it keeps failing, reconnect the bank.",
    Attempt.CONNECT: "Try again; if it keeps failing, pick another bank.",
    Attempt.CHANGE: "Try again later.",
}
SUBJECTS = {
    "new_transactions": "New transactions",
    "sync_failed": "A bank sync failed",
    "login_required": "Your bank needs you to sign in again",
    "reauth_reminder": "Reconnect your bank before access ends",
    "new_accounts": "New accounts are available at your bank",
    "access_revoked": "Access to your bank was revoked",
}
SIGNATURE_HEADER = "Bank-Client-Signature"


def advice_for(error_code: str | None, attempt: str = Attempt.SYNC, *, paused: bool = False) -> str:
    """Text a user can act on for an error code, after `attempt` failed (an `Attempt`); a
    `paused` connection has no scheduled sync to wait for."""
    code = error_code or ""
    if code not in PASSING:
        return TROUBLESHOOTING.get(code, DEFAULT_ADVICE[attempt])
    if attempt == Attempt.SYNC:
        then = "resume automatic syncs to retry" if paused else "the next scheduled sync will retry"
    elif attempt == Attempt.CONNECT and code in BANK_TROUBLE:
        then = "try again later, or pick another bank"
    else:
        then = "try again later"
    return f"{PASSING[code]}; {then}."


@dataclass(frozen=True)
class Notification:
    """Something the app may want to tell the user about a connection."""

    kind: str
    connection_id: int
    message: str
    count: int = 0
    error_code: str | None = None
    url: str | None = None  # where the user acts (an update-mode Link URL)

    def as_json(self) -> dict[str, object]:
        """The fields as a JSON object (outbound webhooks, logs)."""
        return dataclasses.asdict(self)


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


@dataclass
class FanOut:
    """Several channels at once; one failing channel never silences the others."""

    channels: Sequence[Notifier]

    def __call__(self, note: Notification) -> None:
        """Deliver to each channel, logging the ones that fail."""
        for channel in self.channels:
            try:
                channel(note)
            except Exception:
                log.exception("notification channel %r failed", channel)


@dataclass
class SmtpNotifier:
    """Email over SMTP (stdlib `smtplib`); `to` is an address or a function of the note."""

    host: str
    port: int
    sender: str
    to: str | Callable[[Notification], str | None]
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0

    def __call__(self, note: Notification) -> None:
        """Send one email; notes without a recipient are skipped."""
        recipient = self.to(note) if callable(self.to) else self.to
        if not recipient:
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email_for(note, self.sender, recipient))


def email_for(note: Notification, sender: str, recipient: str) -> EmailMessage:
    """The email text: the message, what to do, and the link when there is one."""
    message = EmailMessage()
    message["From"], message["To"] = sender, recipient
    message["Subject"] = SUBJECTS.get(note.kind, "Bank connection update")
    lines = [note.message]
    if note.error_code:
        lines += ["", f"What to do: {advice_for(note.error_code)}"]
    if note.url:
        lines += ["", f"Open: {note.url}"]
    message.set_content("\n".join(lines) + "\n")
    return message


@dataclass
class WebhookNotifier:
    """POSTs the note as JSON, signed `t=<unix>,v1=<HMAC-SHA256(secret, "t.body")>`."""

    url: str
    secret: str = field(repr=False)
    timeout: float = 10.0
    post: Callable[..., requests.Response] = requests.post

    def __call__(self, note: Notification) -> None:
        """Deliver; a non-2xx reply raises so `FanOut` logs it."""
        body = json.dumps(note.as_json(), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
        }
        self.post(self.url, data=body, headers=headers, timeout=self.timeout).raise_for_status()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """For receivers of outbound webhooks: a valid, fresh signature of exactly `body`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)
