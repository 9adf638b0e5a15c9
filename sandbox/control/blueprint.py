"""The control API's blueprint (mounted at ``/control``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("control", __name__)
