"""Plaid's ``/sandbox/item/fire_webhook``: send a webhook on demand to test a receiver."""

from __future__ import annotations

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply


@bp.post("/sandbox/item/fire_webhook")
def sandbox_item_fire_webhook() -> Response:
    """Queue the requested webhook for the item (delivered by the dispatcher)."""
    req = load(requests.SandboxFireWebhookRequest)
    current_bank().fire_webhook(
        req["access_token"],
        req["webhook_type"],
        req["webhook_code"],
        new_transactions=req["options"].get("new_transactions"),
    )
    return reply(webhook_fired=True)
