"""The Plaid dialect (API version 2020-09-14): blueprint, schemas and error rendering.

Importing the package registers every route module on ``bp`` (``blueprint.py``); the route
modules import the blueprint module, never this package, so no import points back up.
"""

from __future__ import annotations

from . import (
    assets,
    auth,
    auth_verify,
    enrich,
    faults,
    identity_match,
    identity_refresh,
    institutions,
    investments,
    item_terminate,
    liabilities,
    link,
    microdeposits,
    processor,
    processor_stripe,
    processor_tokens,
    ratelimits,
    routes,
    sandbox_routes,
    signal,
    signal_schedule,
    statements,
    transactions,
    webhook_routes,
)
from .blueprint import bp

__all__ = [
    "assets",
    "auth",
    "auth_verify",
    "bp",
    "enrich",
    "faults",
    "identity_match",
    "identity_refresh",
    "institutions",
    "investments",
    "item_terminate",
    "liabilities",
    "link",
    "microdeposits",
    "processor",
    "processor_stripe",
    "processor_tokens",
    "ratelimits",
    "routes",
    "sandbox_routes",
    "signal",
    "signal_schedule",
    "statements",
    "transactions",
    "webhook_routes",
]
