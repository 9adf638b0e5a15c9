"""Process verified webhooks idempotently; expose them as a Flask blueprint or a WSGI app."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from client.store.models import Connection, WebhookReceipt
from client.sync.connections import BankSync
from client.webhooks.verify import WebhookVerificationError, WebhookVerifier

log = logging.getLogger(__name__)
Runner = Callable[[Callable[[], object]], None]
SYNC_CODES = frozenset(
    {
        "SYNC_UPDATES_AVAILABLE",
        "DEFAULT_UPDATE",
        "INITIAL_UPDATE",
        "HISTORICAL_UPDATE",
        "TRANSACTIONS_REMOVED",
    }
)


def run_inline(job: Callable[[], object]) -> None:
    """Default runner: do the work before answering (fine for small apps and tests)."""
    job()


class WebhookProcessor:
    """Verifies, de-duplicates and acts on Plaid webhooks."""

    def __init__(self, bank: BankSync, verifier: WebhookVerifier, run: Runner = run_inline) -> None:
        self.bank, self.verifier, self.run = bank, verifier, run

    def handle(self, body: bytes, signature: str | None) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON reply for one delivery."""
        try:
            event = self.verifier.verify(body, signature)
        except WebhookVerificationError as exc:
            log.warning("rejected webhook: %s", exc)
            return 401, {"error": "verification failed"}
        digest = hashlib.sha256(body).hexdigest()
        if self._seen(digest):
            return 200, {"status": "duplicate"}
        action = self.process(event)
        self._remember(digest, event)
        return 200, {"status": "ok", "action": action}

    def process(self, event: dict[str, Any]) -> str:
        """Route one event to its action; returns the action's name."""
        kind, code = event.get("webhook_type"), event.get("webhook_code")
        cid = self.bank.connection_for_item(str(event.get("item_id") or ""))
        if cid is None:
            return "ignored"
        if kind == "TRANSACTIONS" and code in SYNC_CODES:
            if self._paused(cid):
                return "paused"
            self.run(lambda: self.bank.sync(cid, trigger="webhook"))
            return "sync"
        if kind == "ITEM" and code == "ERROR":
            self.bank.set_error_from_webhook(cid, event.get("error") or {})
            return "error_recorded"
        if kind == "ITEM" and code == "LOGIN_REPAIRED":
            self.run(lambda: self.bank.mark_repaired(cid))
            return "repaired"
        if kind == "ITEM" and code in ("USER_PERMISSION_REVOKED", "USER_ACCOUNT_REVOKED"):
            self.bank.set_error_from_webhook(cid, {"error_code": code})
            return "revoked"
        if kind == "ITEM" and code == "PENDING_EXPIRATION":
            self._set_expiry(cid, str(event.get("consent_expiration_time") or ""))
            return "expiry_recorded"
        return "ignored"

    def _paused(self, cid: int) -> bool:
        """Paused connections sync only on demand."""
        with self.bank.store.session() as session:
            return bool(session.scalar(select(Connection.paused).where(Connection.id == cid)))

    def _set_expiry(self, cid: int, when: str) -> None:
        """Keep the consent expiry so the app can ask for re-consent in time."""
        if not when:
            return
        with self.bank.store.session() as session:
            conn = session.get(Connection, cid)
            if conn is not None:
                conn.consent_expires_at = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))

    def _seen(self, digest: str) -> bool:
        """Whether this exact body was processed before (Plaid redelivers)."""
        with self.bank.store.session() as session:
            found = session.scalar(select(WebhookReceipt.id).where(WebhookReceipt.digest == digest))
            return found is not None

    def _remember(self, digest: str, event: dict[str, Any]) -> None:
        """Record the receipt; a concurrent duplicate losing the race is fine."""
        try:
            with self.bank.store.session() as session:
                session.add(
                    WebhookReceipt(
                        digest=digest,
                        webhook_type=str(event.get("webhook_type", "")),
                        webhook_code=str(event.get("webhook_code", "")),
                        item_id=event.get("item_id"),
                    )
                )
        except IntegrityError:
            pass


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
