"""The app API's errors: one small class per condition, rendered as one JSON shape.

`{"error": {"code": ..., "message": ..., "field": ...}}`: `field` names the parameter at fault,
so a bad filter is a 400 that says which one, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from client.api.errors import ClientError, PlaidError


class AppError(Exception):
    """A failure the API reports to its caller."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "INVALID_REQUEST"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field

    def body(self) -> dict[str, Any]:
        """The error object."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class InvalidField(AppError):
    """A parameter is malformed or out of range."""

    code = "INVALID_FIELD"


class InvalidCursor(AppError):
    """A pagination cursor was not made by this API for these filters and this sort."""

    code = "INVALID_CURSOR"


class NotSignedIn(AppError):
    """No app user: sign in (session cookie) or send HTTP Basic credentials."""

    status = 401
    code = "UNAUTHENTICATED"


class CsrfFailed(AppError):
    """A cookie-authenticated change without this session's CSRF token."""

    status = 403
    code = "CSRF_FAILED"


class LinkNotYours(AppError):
    """Link's return names a flow this session did not open (another user's completion URL,
    a signed-out session's): nothing is exchanged."""

    status = 403
    code = "LINK_NOT_YOURS"


class NotFound(AppError):
    """No such resource for this user (another user's resources do not exist for you)."""

    status = 404
    code = "NOT_FOUND"


class Conflict(AppError):
    """The resource is not in a state that allows this (e.g. syncing a disconnected bank)."""

    status = 409
    code = "CONFLICT"


class ProviderFailed(AppError):
    """The provider refused the call; its code and message are passed on."""

    status = 502
    code = "PROVIDER_ERROR"

    def __init__(self, exc: ClientError) -> None:
        plaid = exc if isinstance(exc, PlaidError) else None
        message = (plaid.display_message or plaid.error_message) if plaid else ""
        super().__init__(message or str(exc))
        self.provider_code = plaid.error_code if plaid else None

    def body(self) -> dict[str, Any]:
        """The error object with the provider's own code."""
        data = super().body()
        data["error"]["provider_code"] = self.provider_code
        return data


def render(error: AppError) -> Response:
    """The JSON reply for an app error."""
    reply = jsonify(error.body())
    reply.status_code = error.status
    if isinstance(error, NotSignedIn):
        reply.headers["WWW-Authenticate"] = 'Basic realm="bank-client"'
    return reply


def register(app: Flask, page: Callable[[HTTPException], Any]) -> None:
    """Render app errors, provider failures and HTTP errors on API paths as the error object
    (with the HTTP error's headers: a 405's `Allow`); HTTP errors elsewhere (an unknown address
    matches no blueprint) go to `page`, and the demo pages handle their own app errors (they
    show them to the user)."""
    app.register_error_handler(AppError, render)
    app.register_error_handler(ClientError, lambda exc: render(ProviderFailed(exc)))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return page(exc)
        code = exc.name.upper().replace(" ", "_")
        message = exc.description or exc.name
        reply = jsonify({"error": {"code": code, "message": message, "field": None}})
        reply.status_code = exc.code or 500
        reply.headers.extend((k, v) for k, v in exc.get_headers() if k != "Content-Type")
        return reply
