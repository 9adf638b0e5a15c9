"""TrueLayer's error wire format: ONE table from core errors to TrueLayer's words, ONE builder.

Every error a TrueLayer endpoint (Data API and auth server) lets escape is rendered by
:func:`envelope` as ``{"error", "error_description", "error_details"}`` with the HTTP status
carrying the class (truelayer.md §4). The core raises errors that carry facts; this table
gives each class TrueLayer's ``error`` code and status; the auth server words a few of them
its own way (``AUTH_ERRORS``, truelayer.md §2.4). A fault rule may inject any code of
TrueLayer's list by name (``error_code: PROVIDER_TIMEOUT``): unknown to the core, it arrives
as ``InternalError`` with ``detail["code"]`` and is rendered with that code's status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from flask import Response, jsonify
from werkzeug.http import HTTP_STATUS_CODES

from ..core import errors
from .render import spoken_instant


class TrueLayerError(NamedTuple):
    """How TrueLayer reports one core error (``description``: TrueLayer's own wording, filled
    from the error's detail; None keeps the error's message)."""

    status: int
    error: str
    description: str | None = None


# TrueLayer's documented codes and their statuses (truelayer.md §4; mock-user codes with no
# documented status take the suggested ones, marked DIVERGES where we had to choose).
CODES: dict[str, int] = {
    "validation_error": 400,
    "invalid_date_range": 400,
    "deprecated_provider": 400,
    "invalid_grant": 400,
    "invalid_client": 400,
    "invalid_authorization_code": 400,
    "invalid_request": 400,
    "unauthorized": 401,
    "unauthorized_client": 401,
    "invalid_token": 401,
    "wrong_credentials": 401,  # DIVERGES: undocumented status
    "access_denied": 403,
    "invalid_credentials_key": 403,
    "sca_exceeded": 403,
    "account_permanently_locked": 403,  # DIVERGES: undocumented status
    "account_temporarily_locked": 403,  # DIVERGES: undocumented status
    "user_input_required": 403,  # DIVERGES: undocumented status
    "account_not_found": 404,
    "not_found": 404,
    "provider_too_many_requests": 429,
    "provider_request_limit_exceeded": 429,
    "internal_server_error": 500,
    "internal_error": 500,  # DIVERGES: undocumented status
    "endpoint_not_supported": 501,
    "provider_error": 503,
    "temporarily_unavailable": 503,
    "connector_overload": 503,
    "provider_timeout": 504,
    "connector_timeout": 504,
}

# A fault rule for TrueLayer may inject any of its codes; a refusal names TrueLayer and the
# page that lists them.
errors.add_dialect_codes("truelayer", "TrueLayer", CODES, "docs/truelayer-data.md")


def _row(code: str, description: str | None = None) -> TrueLayerError:
    return TrueLayerError(CODES[code], code, description)


# The most specific class wins; a row for a family covers the subclasses it does not list.
ERRORS: dict[type[errors.CoreError], TrueLayerError] = {
    errors.CoreError: _row("internal_server_error"),
    errors.InvalidRequest: _row("validation_error"),
    errors.InvalidDateRange: _row("invalid_date_range"),
    errors.NotFound: _row("not_found"),
    errors.InvalidInput: _row("validation_error"),
    errors.InvalidApiKeys: _row("invalid_client"),
    errors.InvalidAccessToken: _row("invalid_token"),
    errors.InvalidAccountId: _row("account_not_found"),
    errors.ItemError: _row("access_denied"),
    errors.LoginRequired: _row("unauthorized"),
    errors.ItemNotFound: _row("invalid_token"),  # the connection was deleted (§2.6)
    errors.InvalidCredentials: _row("wrong_credentials"),
    errors.ItemLocked: _row("account_temporarily_locked"),
    errors.UserSetupRequired: _row("user_input_required"),
    errors.PasswordResetRequired: _row("user_input_required"),
    errors.InsufficientCredentials: _row("user_input_required"),
    errors.ProductNotReady: _row("temporarily_unavailable"),
    errors.ProductsNotSupported: _row("endpoint_not_supported"),
    errors.InstitutionError: _row("temporarily_unavailable"),
    errors.InstitutionDown: _row("provider_error"),
    errors.InstitutionNotResponding: _row("provider_timeout"),
    errors.InstitutionNoLongerSupported: _row("deprecated_provider"),
    errors.AccountPermanentlyLocked: _row("account_permanently_locked"),
    errors.AccountTemporarilyLocked: _row("account_temporarily_locked"),
    errors.UserInputRequired: _row("user_input_required"),
    errors.WrongCredentials: _row("wrong_credentials"),
    errors.ScaExceeded: _row("sca_exceeded"),
    errors.ProviderInternalError: _row("internal_error"),
    errors.ProviderRateLimited: _row("provider_too_many_requests"),
    # the auth server's grants (data calls and the token endpoint, truelayer.md §2.4, §2.8)
    errors.GrantError: _row("invalid_grant"),
    errors.InvalidClient: _row("invalid_client"),
    errors.RedirectUriNotRegistered: _row("unauthorized_client"),
    errors.AuthorizationCodeInvalid: _row("invalid_authorization_code"),
    errors.GrantInvalid: _row("invalid_grant"),
    errors.TokenInvalid: _row("invalid_token"),
    errors.TokenExpired: _row("invalid_token", "The token expired at '{expired_at}'"),
    errors.ConsentExpired: _row("access_denied"),
    errors.ConsentRevoked: _row("invalid_token"),
    errors.RateLimited: _row("provider_too_many_requests"),
    errors.UnattendedLimitReached: _row("provider_request_limit_exceeded"),
    errors.InternalError: _row("internal_server_error"),
}


# Where the auth server (token endpoint, ``/api/*``, ``/me``, extend) answers otherwise.
AUTH_ERRORS: dict[type[errors.CoreError], TrueLayerError] = {
    errors.InvalidRequest: _row("invalid_request"),
    errors.InvalidInput: _row("invalid_request"),
    errors.ItemError: _row("invalid_request"),
    errors.InstitutionError: _row("provider_error"),
    errors.ConsentNotExtendable: TrueLayerError(422, "invalid_grant"),
}

# Auth-server endpoints whose OpenAPI entry words an error its own way (by Flask endpoint).
# ``/v1/reauthuri`` answers only 200, 401 and 500: a refresh token it cannot use (or whose
# connection cannot be renewed) is its 401 example, ``invalid_request`` with a reason, and so
# is a field missing or refused, naming it.
# ``/api/debug`` answers a token whose connection is over (expired or deleted) with its 400
# example, ``invalid_request``. ``/v1/authuri`` also answers only 200, 401 and 500: a field
# missing or refused is 401 ``invalid_request`` naming it, an unknown ``client_id`` its
# ``unauthorized_client`` example's text (its ``error_details`` also names ``client_id``).
ENDPOINT_ERRORS: dict[str, dict[type[errors.CoreError], TrueLayerError]] = {
    "truelayer.v1_authuri": {
        errors.InvalidRequest: TrueLayerError(401, "invalid_request"),
        errors.InvalidClient: TrueLayerError(
            401,
            "unauthorized_client",
            "The client credentials you have entered are incorrect. Please check and try again.",
        ),
    },
    "truelayer.v1_reauthuri": {
        errors.InvalidRequest: TrueLayerError(401, "invalid_request"),
        errors.GrantInvalid: TrueLayerError(401, "invalid_request"),
        errors.ConsentNotExtendable: TrueLayerError(401, "invalid_request"),
    },
    "truelayer.api_debug": {
        errors.ConsentExpired: _row("invalid_request"),
        errors.ConsentRevoked: _row("invalid_request"),
    },
}


# The code a raw error status (a fault's ``http_status``) is reported with: TrueLayer's generic
# code for that status (truelayer.md §4). A 503 is ``temporarily_unavailable`` (unplanned
# downtime, and OAuth's own word for it, so the token endpoint says it too); a 4xx without a
# code here is the request's fault (``InvalidRequest``), a 5xx without one the server's.
STATUS_CODES: dict[int, str] = {
    401: "unauthorized",
    403: "access_denied",
    404: "not_found",
    429: "provider_too_many_requests",
    500: "internal_server_error",
    501: "endpoint_not_supported",
    503: "temporarily_unavailable",
    504: "provider_timeout",
}


def status_error(status: int) -> errors.CoreError:
    """The error a raw status stands for, described by its reason phrase."""
    reason = f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}"
    code = STATUS_CODES.get(status)
    if code is None and status < 500:
        return errors.InvalidRequest(reason)
    return errors.InternalError(reason, code=code or "internal_server_error")


def status_reply(status: int, *, auth: bool = False) -> Response:
    """A raw error status in TrueLayer's envelope, the status kept (``auth``: the auth
    server's wording)."""
    body, _ = envelope(status_error(status), auth=auth)
    response = jsonify(body)
    response.status_code = status
    return response


def truelayer_error(
    exc: errors.CoreError, *, auth: bool = False, endpoint: str | None = None
) -> TrueLayerError:
    """The table row for ``exc`` (an injected TrueLayer code keeps its own status), as the
    auth server's ``endpoint`` words it when it has its own words."""
    injected = str(exc.detail.get("code") or "").lower()
    if isinstance(exc, errors.InternalError) and injected in CODES:
        return _row(injected)
    own = ENDPOINT_ERRORS.get(endpoint or "", {})
    tables = (own, AUTH_ERRORS, ERRORS) if auth else (ERRORS,)
    return next(t[cls] for cls in type(exc).__mro__ for t in tables if cls in t)


def envelope(
    exc: errors.CoreError, *, auth: bool = False, endpoint: str | None = None
) -> tuple[dict[str, Any], int]:
    """TrueLayer's error body for ``exc`` and its HTTP status (``auth``: the auth server's,
    at ``endpoint``)."""
    row = truelayer_error(exc, auth=auth, endpoint=endpoint)
    details: dict[str, Any] = {}
    if field := exc.detail.get("field"):
        details["parameter"] = field
    if row.error == "invalid_request":
        details["reason"] = exc.message
    facts = {
        k: spoken_instant(v) if isinstance(v, dt.datetime) else v for k, v in exc.detail.items()
    }
    description = row.description.format(**facts) if row.description else exc.message
    body = {"error": row.error, "error_description": description, "error_details": details}
    return body, row.status


def render(exc: errors.CoreError) -> tuple[Response, int]:
    """Flask error handler: the TrueLayer error body with its HTTP status."""
    body, status = envelope(exc)
    return jsonify(body), status
