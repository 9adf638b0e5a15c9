"""The TrueLayer auth server's blueprint: the dialog, the token endpoint, ``/api/*``, ``/me``.

Route modules (``auth_dialog``, ``auth_tokens``) import ``bp`` from here and the package
imports them, so no import points back up. Every core error a view lets escape is
rendered in TrueLayer's envelope (``auth_errors``).
"""

from __future__ import annotations

from flask import Blueprint

from ..core.bank import add_default_redirect_uris
from ..core.errors import CoreError
from . import fault_gate
from .auth_errors import render

# TrueLayer's console receives codes in TrueLayer's own examples: every tenant's own client
# may send them there, as the local app's callback.
add_default_redirect_uris(["https://console.truelayer.com/redirect-page"])

bp = Blueprint("truelayer", __name__)
bp.register_error_handler(CoreError, render)
fault_gate.install(bp)  # the token endpoint asks the fault gate
