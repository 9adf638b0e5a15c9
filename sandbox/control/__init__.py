"""The sandbox's own API: tenants, reset and the simulated clock.

Authenticated with a tenant's keys (``PLAID-CLIENT-ID``/``PLAID-SECRET`` headers or
HTTP Basic ``client_id:secret``); errors are ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

from . import app_clients, balances, faults, routes, statements, transactions, webhooks
from .blueprint import bp

__all__ = [
    "app_clients",
    "balances",
    "bp",
    "faults",
    "routes",
    "statements",
    "transactions",
    "webhooks",
]
