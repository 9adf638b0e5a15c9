"""Delivery of the webhook outbox: claim due events, sign, POST, record, reschedule.

Several dispatchers may run at once (threads, ``worker`` processes, hosts): each claims a
batch with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has one writer) and
pushes ``next_attempt_at`` out by a lease before it commits, so no two dispatchers try the
same attempt, and a dispatcher that dies mid-delivery only delays the event by the lease.
An event waits while an earlier event of its item is still pending (per-item order).
Retries to an endpoint that rejects almost everything stop (``rejections``, Plaid's rule):
checked when a failed attempt is recorded and when a retry is claimed, under the event's lock.
Each attempt is signed and logged at the moment it is made, not when its pass began: a pass
through slow receivers lasts minutes, and receivers refuse a JWT issued over 5 minutes ago.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from .. import tenants
from ..models import Item, Tenant, WebhookAttempt, WebhookEvent, WebhookKey, WebhookPause
from . import signing
from .outbox import behind_earlier
from .rejections import ENDPOINT_FAILING, PLAIDS_RULE, RejectionRule

if TYPE_CHECKING:  # requests loads at the first delivery, not when a dispatcher starts
    import requests

# Jitter draws from its own generator: a background thread must never move the global
# `random` state that seeded code (and Hypothesis, in tests) relies on.
_JITTER = random.Random()

# Plaid retries for up to 24 hours, multiplying the delay by 4 from 30 seconds.
RETRY_DELAYS: tuple[float, ...] = (30, 120, 480, 1920, 7680, 30720)
EXCERPT_CHARS = 500
USER_AGENT = "Plaid Verifier"


def plain_post(url: str, **kwargs: Any) -> requests.Response:
    """``requests.post``, imported at the first call."""
    import requests

    return requests.post(url, **kwargs)


def utc_now() -> dt.datetime:
    """The real time, as the dispatcher's default clock."""
    return dt.datetime.now(dt.UTC)


def full_jitter(delay: float) -> float:
    """A delay between 75% and 125% of ``delay``, so retries from many events spread out."""
    return delay * _JITTER.uniform(0.75, 1.25)


@dataclass(frozen=True)
class Claim:
    """What a dispatcher needs to send one attempt, copied out of the claiming transaction."""

    event_id: int
    url: str
    body: bytes
    kid: str
    private_pem: str
    signature: signing.RequestSignature | None = None  # None: the default JWT


@dataclass
class Outcome:
    """The result of one HTTP attempt."""

    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        """Plaid counts any 2xx as delivered."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Dispatcher:
    """Delivery settings; tests inject ``post``, ``jitter``, ``monotonic`` and ``clock``."""

    timeout: float = 10.0
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    lease: dt.timedelta | None = None  # default: twice the timeout plus 2 s (``claim_lease``)
    batch: int = 20
    jitter: Callable[[float], float] = full_jitter
    post: Callable[..., requests.Response] = plain_post
    monotonic: Callable[[], float] = time.monotonic
    clock: Callable[[], dt.datetime] = utc_now
    # Work due before each pass, given the session and tenant id (the app writes held-back
    # histories here, so their HISTORICAL_UPDATE goes out in the same pass).
    prepare: Callable[[Session, int | None], object] = lambda _session, _tenant_id: None
    # Plaid's rule stopping retries to an endpoint that rejects almost everything; None: off.
    rejections: RejectionRule | None = PLAIDS_RULE

    @property
    def claim_lease(self) -> dt.timedelta:
        """How long a claimed event waits before another dispatcher may try it.

        One attempt lasts at most about the timeout, so a lease of twice that outlives any
        live attempt, while an event whose dispatcher was killed is retried soon after.
        """
        return self.lease or dt.timedelta(seconds=2 * self.timeout + 2)

    @property
    def max_attempts(self) -> int:
        """The first try plus one per scheduled retry."""
        return len(self.retry_delays) + 1

    def deliver_pending(
        self,
        session: Session,
        now: dt.datetime | None = None,
        *,
        tenant_id: int | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Deliver every event due (in item order), of one tenant or all of them; returns the
        attempts made.

        Each claim and attempt reads ``clock`` when it happens; ``now`` fixes that clock
        at one instant instead. Once ``stop`` is set (a worker told to stop) the pass ends
        after the attempt in progress, and the rest of its batch is due again at once rather
        than after its leases.
        """
        clock = self.clock if now is None else lambda: now
        self.prepare(session, tenant_id)
        made = 0
        while not (stop and stop.is_set()) and (claims := self.claim(session, clock(), tenant_id)):
            for position, claim in enumerate(claims):
                if stop and stop.is_set():
                    self.release(session, claims[position:], clock())
                    break
                started = clock()
                self.record(session, claim, self.send(claim, started), started)
                made += 1
        return made

    def release(self, session: Session, claims: list[Claim], now: dt.datetime) -> None:
        """Give back claimed events this dispatcher will not send: due at ``now``."""
        for claim in claims:
            event = session.get(WebhookEvent, claim.event_id)
            if event is not None and event.status == "pending":
                event.next_attempt_at = now
        session.commit()

    def claim(
        self, session: Session, now: dt.datetime, tenant_id: int | None = None
    ) -> list[Claim]:
        """Lock a batch of due events, lease them to this dispatcher, and commit.

        The batch is sent one event after another, so each lease also covers the attempts
        made before it: the last event's lease runs out only after every attempt could end.
        """
        while events := list(session.scalars(_due(now, self.batch, tenant_id))):
            verdicts: dict[tuple[int, str], bool] = {}  # one count per endpoint and batch
            due = [e for e in events if not self.retry_stopped(session, e, now, verdicts)]
            if due:
                return self.lease_out(session, due, now)
            session.commit()  # a batch of retries the rule stopped: look again
        session.commit()
        return []

    def retry_stopped(
        self,
        session: Session,
        event: WebhookEvent,
        now: dt.datetime,
        verdicts: dict[tuple[int, str], bool],
    ) -> bool:
        """Whether ``event`` is a retry (not the first attempt of its schedule) to an endpoint
        that trips the rejection rule; if so it is ``endpoint_failing`` from now on.
        ``verdicts`` keeps each endpoint's answer for the rest of the batch."""
        if event.attempts == event.schedule_start:
            return False
        endpoint = (event.tenant_id, event.url)
        if endpoint not in verdicts:
            verdicts[endpoint] = self.stops_retries(session, event, now)
        if verdicts[endpoint]:
            event.status = ENDPOINT_FAILING
        return verdicts[endpoint]

    def stops_retries(self, session: Session, event: WebhookEvent, now: dt.datetime) -> bool:
        """Whether the rejection rule (when on) stops retries to ``event``'s endpoint."""
        rule = self.rejections
        return rule is not None and rule.stops_retries(session, event.tenant_id, event.url, now)

    def lease_out(
        self, session: Session, events: list[WebhookEvent], now: dt.datetime
    ) -> list[Claim]:
        """Lease the locked ``events`` to this dispatcher, one after another, and commit."""
        claims = []
        for position, event in enumerate(events, start=1):
            event.held_until = None  # its time has come: the tenant clock no longer matters
            event.next_attempt_at = now + position * self.claim_lease
            own = signing.RequestSignature(**event.signature) if event.signature else None
            alg = signing.JWT_ALG if own is None else signing.JWS_ALG
            key = signing.current_key(session, _tenant(session, event), now, alg)
            body, pem = event.body.encode(), signing.private_pem(key)
            claims.append(Claim(event.id, event.url, body, key.kid, pem, own))
        session.commit()
        return claims

    def send(self, claim: Claim, now: dt.datetime) -> Outcome:
        """POST the exact body bytes with a fresh ``Plaid-Verification`` JWT, or the dialect's
        own signature of the request."""
        import requests

        key = WebhookKey(kid=claim.kid, private_pem=claim.private_pem)
        headers = {"Content-Type": "application/json"}
        if claim.signature is None:
            headers["User-Agent"] = USER_AGENT
            headers["Plaid-Verification"] = signing.sign(key, claim.body, now)
        else:
            headers["User-Agent"] = claim.signature.user_agent
            headers.update(signing.sign_request(key, claim.signature, claim.url, claim.body, now))
        started = self.monotonic()
        try:
            response = self.post(
                claim.url, data=claim.body, headers=headers, timeout=self.timeout, stream=True
            )
        except requests.RequestException as exc:
            return Outcome(None, _ms(self.monotonic() - started), None, _describe(exc))
        excerpt = self.read_excerpt(response, deadline=started + self.timeout)
        return Outcome(response.status_code, _ms(self.monotonic() - started), excerpt, None)

    def read_excerpt(self, response: requests.Response, deadline: float) -> str:
        """The start of the reply's body, read until ``deadline`` at the latest.

        The status line decides the outcome; the body is only logged. So a receiver that
        answers 200 and then stalls or trickles its body (a wrong ``Content-Length``, a slow
        stream) has the webhook delivered, not retried, and holds the dispatcher for about
        the timeout, not for as long as it keeps sending. Bytes come one at a time: each read
        waits at most the timeout, and the deadline is checked between them.
        """
        import requests

        body = bytearray()
        try:
            for byte in response.iter_content(chunk_size=1):
                body += byte
                if len(body) >= EXCERPT_CHARS or self.monotonic() >= deadline:
                    break
        except requests.RequestException:
            pass  # the status arrived; a body cut short does not undo it
        finally:
            response.close()
        return body.decode(response.encoding or "utf-8", errors="replace")

    def record(self, session: Session, claim: Claim, outcome: Outcome, now: dt.datetime) -> None:
        """Log the attempt and count it (together: an attempt cut off by a stopped dispatcher
        is neither, and is made again after the lease), then mark the event delivered,
        failed, ``endpoint_failing`` (its endpoint trips the rejection rule, this attempt
        counted), or due again later."""
        event = session.get(WebhookEvent, claim.event_id)
        if event is None:  # deleted meanwhile (tenant reset)
            session.rollback()
            return
        session.add(
            WebhookAttempt(
                event_id=event.id,
                started_at=now,
                status_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                response_excerpt=outcome.excerpt,
                error=outcome.error,
            )
        )
        event.attempts += 1
        tried = event.attempts - event.schedule_start  # in this retry schedule
        if outcome.delivered:
            _delivered(session, event, now)
        elif event.status != "pending":
            pass  # cancelled (its item removed) while this attempt was on the wire: no retry
        elif tried >= self.max_attempts:
            event.status = "failed"
        elif self.stops_retries(session, event, now):
            event.status = ENDPOINT_FAILING
        else:
            delay = self.jitter(self.retry_delays[tried - 1])
            event.next_attempt_at = now + dt.timedelta(seconds=delay)
        session.commit()


def _due(now: dt.datetime, limit: int, tenant_id: int | None) -> Select[WebhookEvent]:
    """Due, unpaused events whose item has no earlier undelivered event, oldest first."""
    blocked = behind_earlier()
    paused = exists().where(WebhookPause.tenant_id == WebhookEvent.tenant_id)
    query = select(WebhookEvent).where(
        WebhookEvent.status == "pending",
        WebhookEvent.next_attempt_at <= now,
        ~blocked,
        ~paused,
    )
    if tenant_id is not None:
        query = query.where(WebhookEvent.tenant_id == tenant_id)
    return (
        query.order_by(WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookEvent)
    )


def _tenant(session: Session, event: WebhookEvent) -> Tenant:
    tenant = session.get(Tenant, event.tenant_id)
    assert tenant is not None  # the foreign key cascades
    return tenant


def _delivered(session: Session, event: WebhookEvent, now: dt.datetime) -> None:
    """Mark the event sent and stamp the item with it (``/item/get`` shows the last one the
    app was sent: a partner's copy does not count)."""
    # The item's lock first, as requests take it: locks in one order cannot deadlock.
    item = (
        session.get(Item, event.item_pk, with_for_update={"key_share": True})
        if event.item_pk is not None and event.processor_token is None
        else None
    )
    event.status = "delivered"
    event.delivered_at = now
    if item is not None:
        item.last_webhook_at = tenants.clock_of(_tenant(session, event)).now()
        item.last_webhook_code = event.webhook_code


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _describe(exc: requests.RequestException) -> str:
    import requests

    kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
    return f"{kind}: {type(exc).__name__}: {exc}"[:EXCERPT_CHARS]


def deliver_pending(session: Session, now: dt.datetime | None = None) -> int:
    """Deliver every due event with the default settings (tests and one-off sweeps)."""
    return Dispatcher().deliver_pending(session, now)
