"""The sandbox's own API: tenants, reset and the simulated clock.

Authenticated with a tenant's keys (``PLAID-CLIENT-ID``/``PLAID-SECRET`` headers or
HTTP Basic ``client_id:secret``); errors are ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("control", __name__)

from . import balances, faults, routes, webhooks  # noqa: E402,F401
