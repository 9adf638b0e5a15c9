"""The TrueLayer dialect: the auth server (dialog, tokens, ``/api/*``) and the Data API v1.

Importing the package registers the route modules on their blueprints; ``register``
puts them on an app and claims TrueLayer's paths for its error format. The auth link is the
site root (``/?response_type=code...``): the home page hands such requests (and those naming
a ``client_id`` and ``redirect_uri`` without ``response_type``) to
:func:`auth_dialog.auth_link` by endpoint name.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ..core.errors import CoreError
from ..web import claim_error_format
from . import auth_dialog, auth_direct, auth_errors, auth_extend, auth_tokens, errors, problems
from .blueprint import bp
from .data_routes import data_bp

__all__ = ["auth_dialog", "auth_direct", "auth_extend", "auth_tokens", "bp", "data_bp", "register"]

# The first path segments of TrueLayer's servers: the auth server's (the dialog, /connect,
# /api, /v1) and the Data API's (/data). No other part of the app serves under them.
SEGMENTS = ("api", "connect", "data", "dialog", "v1")


def register(app: Flask) -> None:
    """Serve the auth server and the Data API on ``app``; errors on their paths are theirs."""
    app.register_blueprint(bp)
    app.register_blueprint(data_bp)
    claim_error_format(app, SEGMENTS, render_error)


def render_error(exc: CoreError, status: int | None = None) -> tuple[Response | str, int]:
    """An error on TrueLayer's paths that no view of its rendered (an unknown path or method,
    a body too large, an unexpected exception), as that path's own errors are: extension's
    problem JSON, the Data API's envelope, or the auth server's (``/data/v1/me`` is one)."""
    if request.endpoint == problems.ENDPOINT:
        return problems.render(exc, status)
    data_api = request.path.startswith("/data/") and request.blueprint != bp.name
    reply, own = errors.render(exc) if data_api else auth_errors.render(exc)
    return reply, status or own
