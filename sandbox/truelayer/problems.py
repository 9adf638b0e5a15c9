"""Problem JSON (RFC 7807): how TrueLayer's connection extension reports errors.

``/data/v1/connections/extend`` answers ``type``, ``title``, ``status``, ``detail``,
``instance``, ``trace_id`` and, for a field, ``errors``; the rest of the auth server answers
TrueLayer's ``error``/``error_description`` envelope (``auth_errors``).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, jsonify, request

from ..core import errors

# The one endpoint whose errors are problem JSON.
ENDPOINT = "truelayer.connections_extend"
PROBLEM_TYPES = "https://docs.truelayer.com/docs/error-types#"
# core error -> (HTTP status, title)
PROBLEMS: dict[type[errors.CoreError], tuple[int, str]] = {
    errors.CoreError: (500, "Internal Server Error"),
    errors.InvalidRequest: (400, "Invalid Parameters"),
    errors.InvalidInput: (400, "Invalid Parameters"),
    errors.RedirectUriNotRegistered: (400, "Invalid Parameters"),
    errors.InvalidClient: (401, "Unauthorized"),
    errors.GrantInvalid: (401, "Unauthorized"),
    errors.ConsentNotExtendable: (422, "Connection Cannot Be Extended"),
}


def render(exc: errors.CoreError, status: int | None = None) -> tuple[Response, int]:
    """An error as problem JSON (``errors`` names the field, when there is one), with the
    table's status or ``status`` (a body too large: 413)."""
    own, title = next(PROBLEMS[cls] for cls in type(exc).__mro__ if cls in PROBLEMS)
    status = status or own
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": exc.message,
        "instance": request.path,
        "trace_id": request.headers.get("X-Client-Correlation-Id") or _trace_id(),
    }
    if field := exc.detail.get("field"):
        body["errors"] = {str(field): [exc.message]}
    response = jsonify(body)
    response.headers["Content-Type"] = "application/problem+json"
    return response, status


def _trace_id() -> str:
    return secrets.token_hex(16)
