"""The sandbox's own API: tenants, reset and the simulated clock.

Authenticated with a tenant's keys (``PLAID-CLIENT-ID``/``PLAID-SECRET`` headers or
HTTP Basic ``client_id:secret``); errors are ``{"error": {"code", "message", "field"}}``.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..core.errors import CoreError
from . import app_clients, balances, faults, routes, statements, transactions, webhooks
from .blueprint import bp

SEGMENT = "control"  # the first segment of every control path

__all__ = [
    "app_clients",
    "balances",
    "bp",
    "faults",
    "render_error",
    "routes",
    "statements",
    "transactions",
    "webhooks",
]


def render_error(exc: CoreError, status: int | None = None) -> tuple[Response, int]:
    """An error on a control path that no view rendered: an unknown path (404), a method the
    path does not take (405 with ``Allow``; the app-wide handler says 404, as Plaid does),
    a body too large or an unexpected exception, in the control API's envelope."""
    allowed = _allowed_methods() if request.url_rule is None and status == 404 else []
    if not allowed:
        return routes.render_error(exc, status)
    message = f"{request.method} is not allowed here: use {', '.join(allowed)}"
    reply = jsonify(error={"code": "METHOD_NOT_ALLOWED", "message": message, "field": "method"})
    reply.headers["Allow"] = ", ".join(allowed)
    return reply, 405


def _allowed_methods() -> list[str]:
    """The methods the request's path takes (none: no such path)."""
    try:
        current_app.url_map.bind_to_environ(request.environ).match()
    except MethodNotAllowed as exc:
        return sorted(exc.valid_methods or ())
    except HTTPException:  # NotFound, or a redirect: no such path
        return []
    return []
