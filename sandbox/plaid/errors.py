"""Plaid's error object: one table from core errors to ``error_type`` and HTTP status.

Every exception a Plaid view lets escape is rendered here, so a view never builds
an error body itself. ``error_code`` is the core error's ``condition``; the table
gives the type and status Plaid uses for that family.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import ValidationError

from ..core import errors
from ..core.tokens import request_id
from ..shared import AdminTokenRequired

# (error_type, HTTP status) by core error class; the most specific class wins.
ERROR_TYPES: dict[type[errors.CoreError], tuple[str, int]] = {
    errors.InvalidRequest: ("INVALID_REQUEST", 400),
    errors.NotFound: ("INVALID_REQUEST", 404),
    errors.InvalidInput: ("INVALID_INPUT", 400),
    AdminTokenRequired: ("INVALID_INPUT", 401),
    errors.ItemError: ("ITEM_ERROR", 400),
    errors.InstitutionError: ("INSTITUTION_ERROR", 400),
    errors.SyncMutationDuringPagination: ("TRANSACTIONS_ERROR", 400),
    errors.SandboxWebhookInvalid: ("SANDBOX_ERROR", 400),
    errors.SandboxProductNotEnabled: ("SANDBOX_ERROR", 400),
    errors.RateLimited: ("RATE_LIMIT_EXCEEDED", 429),
    errors.InternalError: ("API_ERROR", 500),
}

DOCS = "https://plaid.com/docs/errors/"


def error_type_and_status(exc: errors.CoreError) -> tuple[str, int]:
    """Plaid's ``error_type`` and HTTP status for ``exc``."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TYPES:
            return ERROR_TYPES[cls]
    return ERROR_TYPES[errors.InternalError]


def error_object(exc: errors.CoreError, *, with_request_id: bool = True) -> dict[str, Any]:
    """The Plaid error object for ``exc`` (webhooks omit ``request_id``)."""
    error_type, status = error_type_and_status(exc)
    code = str(exc.detail.get("code") or exc.condition)
    body: dict[str, Any] = {
        "error_type": error_type,
        "error_code": code,
        "error_code_reason": None,
        "error_message": exc.message,
        "display_message": getattr(exc, "display_message", None),
        "documentation_url": f"{DOCS}{error_type.lower().replace('_', '-')}/#{code.lower()}",
        "suggested_action": None,
    }
    if with_request_id:
        body["request_id"] = request_id()
    else:
        body["status"] = status
    return body


def item_error(condition: str | None) -> dict[str, Any] | None:
    """The error object stored on a broken item (``item.error``), or None."""
    if condition is None:
        return None
    cls = errors.for_condition(condition) or errors.LoginRequired
    return error_object(cls(), with_request_id=False)


def render(exc: errors.CoreError) -> tuple[Response, int]:
    """Flask error handler: the Plaid error body with its HTTP status."""
    body = error_object(exc)
    return jsonify(body), error_type_and_status(exc)[1]


def from_validation(err: ValidationError) -> errors.CoreError:
    """Turn a marshmallow error into MISSING_FIELDS, UNKNOWN_FIELDS or INVALID_FIELD."""
    messages: Any = err.normalized_messages()  # type: ignore[no-untyped-call]  # untyped in marshmallow
    flat = dict(_flatten(messages))
    missing = sorted(f for f, m in flat.items() if m == "Missing data for required field.")
    if missing:
        return errors.MissingFields(
            f"the following required fields are missing: {', '.join(missing)}", field=missing[0]
        )
    unknown = sorted(f for f, m in flat.items() if m == "Unknown field.")
    if unknown:
        return errors.UnknownFields(
            f"the following fields are not recognized by this endpoint: {', '.join(unknown)}",
            field=unknown[0],
        )
    field, message = sorted(flat.items())[0]
    return errors.InvalidField(f"{field}: {message}", field=field)


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            name = (
                f"{prefix}.{key}"
                if prefix and not isinstance(key, int)
                else (f"{prefix}[{key}]" if isinstance(key, int) else str(key))
            )
            found.extend(_flatten(value, name))
        return found
    if isinstance(messages, list) and messages and isinstance(messages[0], str):
        return [(prefix, messages[0])]
    if isinstance(messages, list):
        return [pair for value in messages for pair in _flatten(value, prefix)]
    return [(prefix, str(messages))]
