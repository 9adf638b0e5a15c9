"""The auth server's errors: TrueLayer's envelope (``errors.envelope``), or a page in the dialog.

``errors.py`` holds the one table from core errors to TrueLayer's codes. Two things are the
auth server's own: pages of the dialog show the error as HTML, and the token endpoint says
``invalid_request`` (with ``error_details.reason``) for a malformed request, as OAuth
token endpoints do, where the Data API says ``validation_error``.
"""

from __future__ import annotations

from flask import Response, jsonify, render_template, request

from ..core import errors
from .errors import envelope

TOKEN_ENDPOINT = "truelayer.connect_token"


def render(exc: errors.CoreError) -> tuple[Response | str, int]:
    """An error of the auth server: an HTML page inside the dialog, TrueLayer's JSON elsewhere."""
    body, status = envelope(exc)
    if request.path.startswith("/dialog") or (request.path == "/" and request.method == "GET"):
        page = render_template(
            "truelayer/error.html", title=body["error"], description=body["error_description"]
        )
        return page, status
    if request.endpoint == TOKEN_ENDPOINT and isinstance(exc, errors.InvalidRequest):
        body["error"] = "invalid_request"
        body["error_details"] = {**body["error_details"], "reason": exc.message}
    return jsonify(body), status
