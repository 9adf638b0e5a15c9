"""The Plaid dialect's blueprint: its error rendering and its webhook body renderer."""

from __future__ import annotations

from flask import Blueprint

from ..core.bank import use_renderer
from ..core.errors import CoreError
from . import errors, webhook_bodies

bp = Blueprint("plaid", __name__)
bp.register_error_handler(CoreError, errors.render)
use_renderer(webhook_bodies.render)
