"""The Plaid dialect (API version 2020-09-14): blueprint, schemas and error rendering."""

from __future__ import annotations

from flask import Blueprint

from ..core.bank import use_renderer
from ..core.errors import CoreError
from . import errors, webhook_bodies

bp = Blueprint("plaid", __name__)
bp.register_error_handler(CoreError, errors.render)
use_renderer(webhook_bodies.render)

from . import (  # noqa: E402,F401
    auth,
    faults,
    institutions,
    liabilities,
    link,
    routes,
    sandbox_routes,
    transactions,
    webhook_routes,
)
