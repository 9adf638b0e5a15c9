"""Plaid's ``/sandbox/item/set_verification_status``: settle an automated micro-deposit.

The state and its webhook are the core's (``bank.auth.set_verification_status``); this module
only reads the request and answers with a ``request_id``.
"""

from __future__ import annotations

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply


@bp.post("/sandbox/item/set_verification_status")
def sandbox_item_set_verification_status() -> Response:
    """Move a ``pending_automatic_verification`` account to verified or expired."""
    req = load(requests.SandboxSetVerificationStatusRequest)
    current_bank().auth.set_verification_status(
        req["access_token"], req["account_id"], req["verification_status"]
    )
    return reply()
