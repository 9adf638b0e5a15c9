"""Dashboard pages of the webhook outbox: the delivery log, one event, redeliver, pause."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from ...control.webhooks import STATUSES
from ...core import errors
from ...core.models import WebhookEvent
from ...extensions import current_session
from ...shared import show_target_replies
from ...worker import dispatcher_for
from ..blueprint import bp
from .session import back, bank, signed_in
from .words import STATES, delivery_state

LOG_LIMIT = 100


@bp.get("/dashboard/webhooks")
@signed_in
def dashboard_webhooks() -> str | tuple[str, int]:
    """Every queued webhook, newest first, with its delivery state and last latency.

    An unknown ``status`` is said beside the filter (a 400, the log unfiltered), as the
    transactions explorer says a bad filter, not on the site-wide error page."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        return _log(None, f"must be one of {', '.join(STATUSES)}"), 400
    return _log(status, None)


def _log(status: str | None, status_error: str | None) -> str:
    events = bank().outbox.events(status=status, limit=LOG_LIMIT)
    return render_template(
        "dashboard/webhooks.html",
        **event_states(events),
        cut_at=LOG_LIMIT if len(events) == LOG_LIMIT else None,  # older ones may be left out
        status=status,
        statuses=STATUSES,
        status_error=status_error,
    )


def event_states(events: list[WebhookEvent]) -> dict[str, Any]:
    """``events`` with the delivery state of each (``words.STATES``), for ``_events.html``."""
    outbox = bank().outbox
    held, paused = outbox.held(events), outbox.paused
    return {
        "events": events,
        "states": {e.id: delivery_state(e, held, paused) for e in events},
        "paused": paused,
        "legend": STATES,
    }


@bp.get("/dashboard/webhooks/<int:event_id>")
@signed_in
def dashboard_webhook(event_id: int) -> str:
    """One event: the exact body that was signed and sent, and every attempt."""
    event = _event(event_id)
    found = event_states([event])
    return render_template(
        "dashboard/webhook.html",
        event=event,
        state=found["states"][event.id],
        legend=found["legend"],
        show_replies=show_target_replies(),
    )


@bp.post("/dashboard/webhooks/<int:event_id>/redeliver")
@signed_in
def dashboard_webhook_redeliver(event_id: int) -> WerkzeugResponse:
    """Queue the event again now with a fresh retry schedule."""
    _event(event_id)
    bank().outbox.redeliver(event_id)
    flash(f"Webhook {event_id} queued for redelivery.", "ok")
    return back("web.dashboard_webhook", event_id=event_id)


@bp.post("/dashboard/webhooks/deliver")
@signed_in
def dashboard_webhooks_deliver() -> WerkzeugResponse:
    """Deliver everything due now, in this request (as ``POST /control/webhooks/deliver``)."""
    made = dispatcher_for(current_app).deliver_pending(
        current_session(), tenant_id=bank().tenant.id
    )
    flash(f"Made {made} delivery attempt(s).", "ok")
    return back("web.dashboard_webhooks")


@bp.post("/dashboard/webhooks/<any(pause, resume):change>")
@signed_in
def dashboard_webhooks_pause(change: str) -> WerkzeugResponse:
    """Hold (``pause``) or release (``resume``) the tenant's deliveries."""
    bank().outbox.set_paused(change == "pause")
    flash("Deliveries paused." if change == "pause" else "Deliveries resumed.", "ok")
    return back("web.dashboard_webhooks")


def _event(event_id: int) -> WebhookEvent:
    try:
        return bank().outbox.event(event_id)
    except errors.NotFound:
        abort(404, description="No such webhook for this tenant.")
