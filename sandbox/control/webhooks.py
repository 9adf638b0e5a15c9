"""Control API for webhooks: the delivery log, redelivery, pause, key rotation, a catcher.

| method and path | does |
|---|---|
| ``GET /control/webhooks`` | events, newest first (``status``, ``item_id``, ``limit``) |
| ``GET /control/webhooks/<id>`` | one event with its body and every attempt |
| ``POST /control/webhooks/<id>/redeliver`` | send it again now, with a fresh schedule |
| ``POST /control/webhooks/deliver`` | deliver everything due now, in this request |
| ``POST /control/webhooks/pause`` / ``resume`` | hold / release the tenant's deliveries |
| ``POST /control/webhook-keys/rotate`` | retire the signing key, start a new one |
| ``POST /control/webhook-catcher/<name>`` | (no auth) store a received webhook |
| ``GET`` / ``DELETE /control/webhook-catcher/<name>`` | (no auth) list / clear them |

The catcher keeps bodies up to ``CATCHER_MAX_BODY`` bytes and the newest ``CATCHER_KEEP``
webhooks per name (``CATCHER_KEEP_ALL`` in all). It keeps every header's name but not the
value of one that carries credentials (``Authorization``, cookies, ``PLAID-SECRET``, ...:
``"[redacted]"``), so an API call posted to it by mistake leaks no keys to its readers.
In a shared sandbox (``sandbox.shared``) it only stores webhooks this sandbox signed,
reading and clearing need the admin token, and attempts show no reply bodies of webhook
targets to callers without it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, jsonify, request
from marshmallow import RAISE, Schema, fields

from ..core.bank import Bank, Catcher, CatcherQuota
from ..core.errors import InvalidBody, InvalidField
from ..core.models import CaughtWebhook, WebhookAttempt, WebhookEvent
from ..extensions import current_session
from ..shared import AdminTokenRequired, is_shared, require_admin, show_target_replies
from ..worker import dispatcher_for
from .blueprint import bp
from .routes import load_args, no_fields

STATUSES = ("pending", "delivered", "failed", "endpoint_failing", "cancelled")
MAX_LIMIT = 500


class LogQuery(Schema):
    """The parameters ``GET /control/webhooks`` reads (checked below): any other is refused
    by name, so a misspelt filter (``stauts=failed``) does not list every webhook."""

    class Meta:
        unknown = RAISE

    status = fields.String()
    item_id = fields.String()
    limit = fields.String()


def _bank() -> Bank:
    bank: Bank = g.bank
    return bank


@bp.get("/webhooks")
def webhooks_list() -> Response:
    """The delivery log, so a developer can see what was sent and what failed."""
    load_args(LogQuery())
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidField(f"status must be one of {', '.join(STATUSES)}", field="status")
    rows = _bank().outbox.events(
        status=status,
        item_id=request.args.get("item_id"),
        limit=_limit(),
    )
    paused = _bank().outbox.paused
    return jsonify(paused=paused, webhooks=[_event_json(e) for e in rows])


@bp.get("/webhooks/<int:event_id>")
def webhooks_get(event_id: int) -> Response:
    """One event with its exact body and every attempt."""
    found = _bank().outbox.event(event_id)
    return jsonify(webhook=_event_json(found, detail=True))


@bp.post("/webhooks/<int:event_id>/redeliver")
def webhooks_redeliver(event_id: int) -> Response:
    """Queue an event again, for example after fixing the receiver."""
    no_fields()
    found = _bank().outbox.redeliver(event_id)
    return jsonify(webhook=_event_json(found))


@bp.post("/webhooks/deliver")
def webhooks_deliver() -> Response:
    """Deliver the tenant's due webhooks now (useful with ``WEBHOOK_DISPATCHER=off`` in CI)."""
    no_fields()
    dispatcher = dispatcher_for(current_app)
    attempts = dispatcher.deliver_pending(current_session(), tenant_id=_bank().tenant.id)
    return jsonify(attempts=attempts)


@bp.post("/webhooks/pause")
def webhooks_pause() -> Response:
    """Hold deliveries; events keep queueing and go out in order on resume."""
    no_fields()
    _bank().outbox.set_paused(True)
    return jsonify(paused=True)


@bp.post("/webhooks/resume")
def webhooks_resume() -> Response:
    """Release held deliveries."""
    no_fields()
    _bank().outbox.set_paused(False)
    return jsonify(paused=False)


@bp.post("/webhook-keys/rotate")
def webhook_keys_rotate() -> Response:
    """Retire the signing key (still served, with ``expired_at``) and sign with a new one."""
    no_fields()
    return jsonify(key=_bank().outbox.rotate_key(_now()))


@bp.post("/webhook-catcher/<name>")
def webhook_catcher_receive(name: str) -> Response:
    """A receiver for demos: store the webhook as it arrived (bounded, oldest pruned)."""
    config = current_app.config
    body = request.get_data(cache=True)
    if len(body) > int(config["CATCHER_MAX_BODY"]):
        raise InvalidBody(
            f"the catcher keeps bodies up to {config['CATCHER_MAX_BODY']} bytes", field="body"
        )
    catcher = Catcher(current_session())
    if is_shared() and not catcher.signed_by_sandbox(
        request.headers.get("Plaid-Verification", ""), body, _now()
    ):
        raise AdminTokenRequired(
            "this sandbox is shared: its catcher only takes webhooks this sandbox signed",
            field="Plaid-Verification",
        )
    quota = CatcherQuota(int(config["CATCHER_KEEP"]), int(config["CATCHER_KEEP_ALL"]))
    text = body.decode("utf-8", "replace")
    row = catcher.catch(name[:64], dict(request.headers.items()), text, quota)
    return jsonify(received=row.id)


@bp.get("/webhook-catcher/<name>")
def webhook_catcher_list(name: str) -> Response:
    """What a catcher received, oldest first."""
    require_admin("read the webhook catcher")
    rows = Catcher(current_session()).caught(name[:64], _limit())
    return jsonify(webhooks=[_caught_json(r) for r in rows])


@bp.delete("/webhook-catcher/<name>")
def webhook_catcher_clear(name: str) -> Response:
    """Empty a catcher between demo runs."""
    require_admin("clear the webhook catcher")
    Catcher(current_session()).clear(name[:64])
    return jsonify(cleared=True)


def _limit() -> int:
    raw = request.args.get("limit", "100")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidField(f"limit must be an integer from 1 to {MAX_LIMIT}", field="limit")
    return int(raw)


def _event_json(event: WebhookEvent, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": event.id,
        "item_id": event.item_id,
        "url": event.url,
        "webhook_type": event.webhook_type,
        "webhook_code": event.webhook_code,
        "status": event.status,
        "attempts": event.attempts,
        "next_attempt_at": _iso(event.next_attempt),
        "held_until": _iso(event.held_until),
        "created_at": _iso(event.created_at),
        "delivered_at": _iso(event.delivered_at),
    }
    if detail:
        data["body"] = event.body
        data["attempt_log"] = [_attempt_json(a) for a in event.attempt_log]
    return data


def _attempt_json(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "started_at": _iso(attempt.started_at),
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        # In a shared sandbox, a target's reply could come from a service inside its network.
        "response_excerpt": attempt.response_excerpt if show_target_replies() else None,
        "error": attempt.error,
    }


def _caught_json(row: CaughtWebhook) -> dict[str, Any]:
    return {
        "id": row.id,
        "received_at": _iso(row.received_at),
        "headers": Catcher.shown_headers(row),
        "body": row.body,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None
