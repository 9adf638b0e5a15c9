"""The auth server's errors in TrueLayer's envelope: ``{error, error_description, error_details}``.

One table from core errors to TrueLayer's status and ``error`` code for what the auth
server raises (the token endpoint, ``/api/*`` and ``/data/v1/me``). The most specific
class wins. Pages of the auth dialog render the same errors as HTML.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, jsonify, render_template, request

from ..core import errors

# core error -> (HTTP status, TrueLayer ``error``)
AUTH_ERRORS: dict[type[errors.CoreError], tuple[int, str]] = {
    errors.CoreError: (500, "internal_server_error"),
    errors.InvalidRequest: (400, "invalid_request"),
    errors.InvalidInput: (400, "invalid_request"),
    errors.ItemError: (400, "invalid_request"),
    errors.InstitutionError: (503, "provider_error"),
    errors.InvalidClient: (400, "invalid_client"),
    errors.RedirectUriNotRegistered: (401, "unauthorized_client"),
    errors.AuthorizationCodeInvalid: (400, "invalid_authorization_code"),
    errors.GrantInvalid: (400, "invalid_grant"),
    errors.TokenInvalid: (401, "invalid_token"),
    errors.TokenExpired: (401, "invalid_token"),
    errors.ConsentRevoked: (401, "invalid_token"),
    errors.ConsentExpired: (403, "access_denied"),
    errors.ConsentNotExtendable: (422, "invalid_grant"),
}


def status_and_code(exc: errors.CoreError) -> tuple[int, str]:
    """TrueLayer's HTTP status and ``error`` for a core error."""
    return next(AUTH_ERRORS[cls] for cls in type(exc).__mro__ if cls in AUTH_ERRORS)


def envelope(exc: errors.CoreError) -> tuple[dict[str, Any], int]:
    """The error body and status (``error_details`` names the field, when there is one)."""
    status, code = status_and_code(exc)
    description = exc.message
    expired = exc.detail.get("expired_at")
    if isinstance(exc, errors.TokenExpired) and isinstance(expired, dt.datetime):
        description = f"The token expired at '{expired.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}'"
    details = {"parameter": exc.detail["field"]} if exc.detail.get("field") else {}
    if code == "invalid_request":
        details["reason"] = exc.message
    return {"error": code, "error_description": description, "error_details": details}, status


def render(exc: errors.CoreError) -> tuple[Response | str, int]:
    """An error of the auth server: an HTML page inside the dialog, TrueLayer's JSON elsewhere."""
    body, status = envelope(exc)
    if request.path.startswith("/dialog") or (request.path == "/" and request.method == "GET"):
        page = render_template(
            "truelayer/error.html", title=body["error"], description=body["error_description"]
        )
        return page, status
    return jsonify(body), status
