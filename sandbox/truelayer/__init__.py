"""The TrueLayer dialect: the Data API v1 (``/data/v1``) over the same banks as Plaid's.

``register(app)`` adds its blueprints; route modules import their own blueprint module,
never this package, so no import points back up.
"""

from __future__ import annotations

from flask import Flask

from .data_routes import data_bp


def register(app: Flask) -> None:
    """Register the TrueLayer blueprints on ``app``."""
    app.register_blueprint(data_bp)
