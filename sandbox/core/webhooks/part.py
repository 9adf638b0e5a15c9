"""``bank.outbox``: one tenant's webhook events, delivery pause and signing keys; and the
built-in catcher (not a tenant's: any sandbox caller may post to it).

Dialects reach webhooks only through these parts; queueing happens inside the core (the
triggers), worded by the renderer the sending dialect installed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..clock import Clock
from ..models import CaughtWebhook, Tenant, WebhookEvent, WebhookKey
from . import outbox as webhooks
from . import signing
from .outbox import CatcherQuota


class Outbox:
    """The outbox and keys of one tenant, on the bank's session."""

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    def events(
        self, *, status: str | None = None, item_id: str | None = None, limit: int = 100
    ) -> list[WebhookEvent]:
        """The tenant's events, newest first, optionally filtered."""
        return webhooks.events(
            self.session, self.tenant, status=status, item_id=item_id, limit=limit
        )

    def held(self, events: list[WebhookEvent]) -> set[int]:
        """Ids of ``events`` waiting behind an earlier undelivered event of their item."""
        return webhooks.held(self.session, self.tenant, [e.id for e in events])

    def event(self, event_id: int) -> WebhookEvent:
        """One of the tenant's events, or ``NotFound``."""
        return webhooks.event(self.session, self.tenant, event_id)

    def redeliver(self, event_id: int) -> WebhookEvent:
        """Send an event again now, with a fresh retry schedule."""
        return webhooks.redeliver(self.session, self.tenant, event_id)

    def follow_clock(self, clock: Clock) -> None:
        """The tenant's clock changed: webhooks held back on it come due when it shows their
        instant."""
        webhooks.follow_clock(self.session, self.tenant, clock)

    @property
    def paused(self) -> bool:
        """Whether the tenant's deliveries are on hold."""
        return webhooks.is_paused(self.session, self.tenant)

    def set_paused(self, paused: bool) -> None:
        """Hold (or release) the tenant's deliveries."""
        webhooks.set_paused(self.session, self.tenant, paused)

    def rotate_key(self, now: dt.datetime) -> dict[str, Any]:
        """A new signing key from now on; returns its public JWK."""
        return signing.public_jwk(signing.rotate(self.session, self.tenant, now))

    def request_signature_keys(self, now: dt.datetime) -> list[dict[str, Any]]:
        """The public JWKs of the tenant's detached-JWS webhook signatures (a JWKS's keys)."""
        return signing.jws_keys(self.session, self.tenant, now)

    def public_key(self, kid: str) -> dict[str, Any]:
        """The public JWK of one of the tenant's keys (``InvalidWebhookKeyId`` if unknown)."""
        if kid == signing.SDK_TEST_KID:
            return signing.sdk_test_jwk()
        key: WebhookKey = signing.find(self.session, self.tenant, kid)
        return signing.public_jwk(key)


class Catcher:
    """The built-in receiver of ``/control/webhook-catcher/<name>``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def signed_by_sandbox(self, header: str, body: bytes, now: dt.datetime) -> bool:
        """Whether ``header`` is a valid signature of ``body`` by any tenant's key."""
        return signing.verify(self.session, header, body, now)

    def catch(
        self, name: str, headers: Mapping[str, str], body: str, quota: CatcherQuota
    ) -> CaughtWebhook:
        """Store what arrived (credentials redacted), then prune to the quota."""
        return webhooks.catch(self.session, name, headers, body, quota)

    def caught(self, name: str, limit: int = 100) -> list[CaughtWebhook]:
        """What the catcher ``name`` received, oldest first."""
        return webhooks.caught(self.session, name, limit)

    @staticmethod
    def shown_headers(row: CaughtWebhook) -> dict[str, str]:
        """``row``'s headers with credentials redacted: rows caught before the catcher
        redacted them on arrival still hold their values."""
        return webhooks.redact_headers(row.headers)

    def clear(self, name: str) -> None:
        """Empty the catcher ``name``."""
        webhooks.clear_caught(self.session, name)
