"""Receive Plaid webhooks: verify, record each event once, queue its work, answer at once.

Event identity is the signed `Plaid-Verification` JWT (its hash): the same signed delivery
arriving again is a redelivery and is not queued twice, while two events with equal bodies
are distinct (Plaid signs every delivery afresh), so none is ever dropped. Sync work is
coalesced per connection in the queue; a worker (embedded, `bank-client worker`, or Celery)
runs it off the request thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from client.store.models import Connection, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks.events import HANDLERS, SYNC_CODES
from client.webhooks.verify import WebhookVerificationError, WebhookVerifier
from client.worker.queue import JobQueue, in_transaction

log = logging.getLogger(__name__)
JobHook = Callable[[int], None]


def event_identity(signature: str) -> str:
    """One delivery's identity: the SHA-256 of the JWT that signed it."""
    return hashlib.sha256(signature.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What the receiver did with one delivery."""

    status: str  # "queued" | "duplicate" | "ignored" | "paused"
    action: str
    job_id: int | None = None


class WebhookProcessor:
    """Verifies Plaid webhooks and turns each distinct event into queued work."""

    def __init__(
        self,
        bank: BankSync,
        verifier: WebhookVerifier,
        queue: JobQueue | None = None,
        *,
        on_queued: JobHook | None = None,
    ) -> None:
        self.bank, self.verifier = bank, verifier
        self.queue = queue or JobQueue(bank.store)
        self.on_queued = on_queued

    def handle(self, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON reply for one delivery."""
        try:
            event = self.verifier.verify(body, signature)
        except WebhookVerificationError as exc:
            log.warning("rejected webhook: %s", exc)
            return 401, {"error": "verification failed"}
        identity = event_identity(signature or "")
        outcome = in_transaction(self.bank.store, lambda s: self.accept(s, identity, event))
        if outcome.job_id is not None and self.on_queued is not None:
            self.on_queued(outcome.job_id)
        reply = {"status": outcome.status, "action": outcome.action}
        return 200, reply

    def accept(self, session: Session, identity: str, event: dict[str, Any]) -> Outcome:
        """Record the receipt and queue the work in one transaction (both or neither)."""
        if session.scalar(select(WebhookReceipt.id).where(WebhookReceipt.digest == identity)):
            return Outcome("duplicate", "none")
        session.add(
            WebhookReceipt(
                digest=identity,
                webhook_type=str(event.get("webhook_type", "")),
                webhook_code=str(event.get("webhook_code", "")),
                item_id=event.get("item_id"),
            )
        )
        return self.route(session, event)

    def route(self, session: Session, event: dict[str, Any]) -> Outcome:
        """Which job an event needs: a coalesced sync, an item-event job, or nothing."""
        kind, code = event.get("webhook_type"), str(event.get("webhook_code"))
        conn = session.scalar(
            select(Connection).where(Connection.item_id == str(event.get("item_id") or ""))
        )
        if conn is None:
            return Outcome("ignored", "unknown_item")
        if kind == "TRANSACTIONS" and code in SYNC_CODES:
            if conn.paused:
                return Outcome("paused", "none")
            job = self.queue.enqueue(
                "sync", conn.id, {"trigger": "webhook"}, coalesce=True, session=session
            )
            return Outcome("queued", "sync", job)
        if kind == "ITEM" and code in HANDLERS:
            job = self.queue.enqueue("item_event", conn.id, {"event": event}, session=session)
            return Outcome("queued", code.lower(), job)
        return Outcome("ignored", "unhandled")


def make_blueprint(processor: WebhookProcessor, url: str = "/webhooks/plaid") -> Blueprint:
    """Mount this in an existing Flask app: `app.register_blueprint(make_blueprint(p))`."""
    bp = Blueprint("plaid_webhooks", __name__)

    @bp.post(url)
    def plaid_webhook() -> Response:
        """Plaid delivers item and transactions events here."""
        status, reply = processor.handle(
            request.get_data(), request.headers.get("Plaid-Verification")
        )
        return Response(json.dumps(reply), status=status, mimetype="application/json")

    return bp


def make_wsgi_app(processor: WebhookProcessor) -> Callable[..., Iterable[bytes]]:
    """A framework-free WSGI callable for apps that are not Flask."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            start_response("405 Method Not Allowed", [("Content-Type", "application/json")])
            return [b'{"error": "POST only"}']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, reply = processor.handle(body, environ.get("HTTP_PLAID_VERIFICATION"))
        text = {200: "200 OK", 401: "401 Unauthorized"}.get(status, f"{status} Error")
        start_response(text, [("Content-Type", "application/json")])
        return [json.dumps(reply).encode()]

    return app
