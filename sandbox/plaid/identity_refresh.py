"""Plaid's ``/identity/refresh``: an on-demand look at the item's owners.

Plaid answers once the extraction is done and fires ``IDENTITY``/``DEFAULT_UPDATE`` only if
the owners changed; the sandbox's never do, so the reply is all there is
(``bank.identity.refresh``).
"""

from __future__ import annotations

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import load, reply


@bp.post("/identity/refresh")
def identity_refresh() -> Response:
    """Refresh the item's identity data; errors as ``/identity/get``'s."""
    req = load(requests.AccessTokenRequest)
    current_bank().identity.refresh(req["access_token"])
    return reply()
