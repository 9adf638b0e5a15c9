"""The TrueLayer dialect: the auth server (dialog, tokens, ``/api/*``) and the Data API v1.

Importing the package registers the route modules on their blueprints; ``register``
puts them on an app. The auth link is the site root (``/?response_type=code...``): the
home page hands such requests to :func:`auth_dialog.auth_link` by endpoint name.
"""

from __future__ import annotations

from flask import Flask

from . import auth_dialog, auth_extend, auth_tokens
from .blueprint import bp
from .data_routes import data_bp

__all__ = ["auth_dialog", "auth_extend", "auth_tokens", "bp", "data_bp", "register"]


def register(app: Flask) -> None:
    """Serve the auth server and the Data API on ``app``."""
    app.register_blueprint(bp)
    app.register_blueprint(data_bp)
