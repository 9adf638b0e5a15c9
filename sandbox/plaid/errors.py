"""Plaid's error wire format: ONE table from core errors to Plaid's words, ONE builder.

Every exception a Plaid view lets escape, every broken item's ``error`` and every webhook's
``error`` key is built by :func:`error_object`, so the shapes cannot drift apart. The core
raises errors that carry facts (``message``, ``detail``); this table gives each class
Plaid's ``error_type``, ``error_code``, HTTP status and end-user ``display_message``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Response, jsonify
from marshmallow import ValidationError

from ..core import errors
from ..core.bank import request_id
from ..shared import AdminTokenRequired


class PlaidError(NamedTuple):
    """How Plaid reports one core error (``error_code`` None: the raised error's condition)."""

    error_type: str
    error_code: str | None
    status: int
    display_message: str | None


# The most specific class wins; a row for a family covers subclasses it does not list.
ERRORS: dict[type[errors.CoreError], PlaidError] = {
    errors.InvalidRequest: PlaidError("INVALID_REQUEST", "INVALID_FIELD", 400, None),
    errors.MissingFields: PlaidError("INVALID_REQUEST", "MISSING_FIELDS", 400, None),
    errors.UnknownFields: PlaidError("INVALID_REQUEST", "UNKNOWN_FIELDS", 400, None),
    errors.InvalidField: PlaidError("INVALID_REQUEST", "INVALID_FIELD", 400, None),
    # Plaid has no code of its own for a bad date range (TrueLayer's invalid_date_range)
    errors.InvalidDateRange: PlaidError("INVALID_REQUEST", "INVALID_FIELD", 400, None),
    errors.InvalidBody: PlaidError("INVALID_REQUEST", "INVALID_BODY", 400, None),
    # Plaid's error reference lists it as INVALID_RESULT (one OpenAPI text says INVALID_REQUEST)
    errors.LastUpdatedOutOfRange: PlaidError(
        "INVALID_RESULT", "LAST_UPDATED_DATETIME_OUT_OF_RANGE", 400, None
    ),
    errors.InvalidHeaders: PlaidError("INVALID_REQUEST", "INVALID_HEADERS", 400, None),
    errors.InvalidConfiguration: PlaidError("INVALID_REQUEST", "INVALID_CONFIGURATION", 400, None),
    errors.NotFound: PlaidError("INVALID_REQUEST", "NOT_FOUND", 404, None),
    errors.InvalidInput: PlaidError("INVALID_INPUT", None, 400, None),
    errors.InvalidApiKeys: PlaidError("INVALID_INPUT", "INVALID_API_KEYS", 400, None),
    AdminTokenRequired: PlaidError("INVALID_INPUT", "ADMIN_TOKEN_REQUIRED", 401, None),
    errors.InvalidAccessToken: PlaidError("INVALID_INPUT", "INVALID_ACCESS_TOKEN", 400, None),
    errors.InvalidPublicToken: PlaidError("INVALID_INPUT", "INVALID_PUBLIC_TOKEN", 400, None),
    errors.InvalidLinkToken: PlaidError("INVALID_INPUT", "INVALID_LINK_TOKEN", 400, None),
    errors.InvalidAccountId: PlaidError("INVALID_INPUT", "INVALID_ACCOUNT_ID", 400, None),
    errors.InvalidInstitution: PlaidError("INVALID_INPUT", "INVALID_INSTITUTION", 400, None),
    errors.InvalidProduct: PlaidError("INVALID_INPUT", "INVALID_PRODUCT", 400, None),
    errors.InvalidWebhookKeyId: PlaidError(
        "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID", 400, None
    ),
    # DIVERGES: Plaid's error reference shows this code with error_message null, but the
    # OpenAPI document's PlaidError requires a string and plaid-python's model refuses null.
    errors.InvalidProcessorToken: PlaidError("INVALID_INPUT", "INVALID_PROCESSOR_TOKEN", 400, None),
    errors.ItemError: PlaidError("ITEM_ERROR", None, 400, None),
    errors.LoginRequired: PlaidError(
        "ITEM_ERROR",
        "ITEM_LOGIN_REQUIRED",
        400,
        "Please update your login credentials.",  # the example in Plaid's API document
    ),
    errors.ItemNotFound: PlaidError("ITEM_ERROR", "ITEM_NOT_FOUND", 400, None),
    errors.InvalidCredentials: PlaidError(
        "ITEM_ERROR",
        "INVALID_CREDENTIALS",
        400,
        (
            "The credentials you provided were incorrect. Check that your credentials are the"
            " same that you use for this institution"
        ),
    ),
    errors.InvalidMfa: PlaidError(
        "ITEM_ERROR",
        "INVALID_MFA",
        400,
        "The provided MFA responses were not correct. Please try again.",
    ),
    errors.ItemLocked: PlaidError(
        "ITEM_ERROR",
        "ITEM_LOCKED",
        400,
        (
            "The financial institution indicated that your account is locked. Please visit "
            "your bank's website to unlock your account."
        ),
    ),
    errors.ItemNotSupported: PlaidError(
        "ITEM_ERROR", "ITEM_NOT_SUPPORTED", 400, "Your account is not currently supported."
    ),
    errors.MfaNotSupported: PlaidError(
        "ITEM_ERROR",
        "MFA_NOT_SUPPORTED",
        400,
        (
            "This account requires a form of multi-factor authentication that is not "
            "currently supported."
        ),
    ),
    errors.InvalidSendMethod: PlaidError("ITEM_ERROR", "INVALID_SEND_METHOD", 400, None),
    errors.InsufficientCredentials: PlaidError(
        "ITEM_ERROR",
        "INSUFFICIENT_CREDENTIALS",
        400,
        "The authorization flow could not be completed. Please try again.",
    ),
    errors.UserSetupRequired: PlaidError(
        "ITEM_ERROR",
        "USER_SETUP_REQUIRED",
        400,
        (
            "The institution requires special configuration for this account. Please visit "
            "your bank's website to finish setting up your account."
        ),
    ),
    errors.PasswordResetRequired: PlaidError(
        "ITEM_ERROR",
        "PASSWORD_RESET_REQUIRED",
        400,
        (
            "The institution requires you to reset your password. Please visit your bank's "
            "website to change it."
        ),
    ),
    errors.UserInputTimeout: PlaidError(
        "ITEM_ERROR", "USER_INPUT_TIMEOUT", 400, "Your session timed out. Please try again."
    ),
    errors.AccessNotGranted: PlaidError(
        "ITEM_ERROR",
        "ACCESS_NOT_GRANTED",
        400,
        "Please grant access to the required accounts to continue.",
    ),
    errors.NoAccounts: PlaidError(
        "ITEM_ERROR",
        "NO_ACCOUNTS",
        400,
        (
            "No valid accounts were found at the financial institution. Please visit your "
            "financial institution's website to confirm your accounts are active."
        ),
    ),
    errors.NoAuthAccounts: PlaidError("ITEM_ERROR", "NO_AUTH_ACCOUNTS", 400, None),
    # DIVERGES: (unconfirmed) Plaid lists the code without its message or status.
    errors.InstantMatchFailed: PlaidError(
        "ITEM_ERROR",
        "INSTANT_MATCH_FAILED",
        400,
        "The account numbers you entered don't match your account. Check them and try again.",
    ),
    errors.NoLiabilityAccounts: PlaidError("ITEM_ERROR", "NO_LIABILITY_ACCOUNTS", 400, None),
    errors.NoInvestmentAccounts: PlaidError("ITEM_ERROR", "NO_INVESTMENT_ACCOUNTS", 400, None),
    errors.NoInvestmentAuthAccounts: PlaidError(
        "ITEM_ERROR", "NO_INVESTMENT_AUTH_ACCOUNTS", 400, None
    ),
    errors.ProductNotReady: PlaidError("ITEM_ERROR", "PRODUCT_NOT_READY", 400, None),
    errors.InvalidAssetReportToken: PlaidError(
        "INVALID_INPUT", "INVALID_ASSET_REPORT_TOKEN", 400, None
    ),  # DIVERGES (unconfirmed): Plaid documents no code for a bad asset_report_token
    errors.InvalidAuditCopyToken: PlaidError(
        "INVALID_INPUT", "INVALID_AUDIT_COPY_TOKEN", 400, None
    ),
    errors.AssetReportNotReady: PlaidError("ASSET_REPORT_ERROR", "PRODUCT_NOT_READY", 400, None),
    errors.AssetReportProductNotEnabled: PlaidError(
        "ASSET_REPORT_ERROR", "PRODUCT_NOT_ENABLED", 400, None
    ),
    errors.AssetReportDataUnavailable: PlaidError(
        "ASSET_REPORT_ERROR", "DATA_UNAVAILABLE", 400, None
    ),
    errors.AssetReportGenerationFailed: PlaidError(
        "ASSET_REPORT_ERROR", "ASSET_REPORT_GENERATION_FAILED", 400, None
    ),
    errors.ProductsNotSupported: PlaidError("ITEM_ERROR", "PRODUCTS_NOT_SUPPORTED", 400, None),
    errors.ProductNotEnabled: PlaidError("ITEM_ERROR", "PRODUCT_NOT_ENABLED", 400, None),
    errors.UserPermissionRevoked: PlaidError("ITEM_ERROR", "USER_PERMISSION_REVOKED", 400, None),
    errors.InstitutionError: PlaidError("INSTITUTION_ERROR", None, 400, None),
    errors.InstitutionDown: PlaidError(
        "INSTITUTION_ERROR",
        "INSTITUTION_DOWN",
        400,
        "This financial institution is not currently available. Please try again later.",
    ),
    errors.InstitutionNotResponding: PlaidError(
        "INSTITUTION_ERROR",
        "INSTITUTION_NOT_RESPONDING",
        400,
        (
            "This financial institution is not currently responding to requests. We apologize"
            " for the inconvenience."
        ),
    ),
    errors.InstitutionNotAvailable: PlaidError(
        "INSTITUTION_ERROR",
        "INSTITUTION_NOT_AVAILABLE",
        400,
        "This financial institution is not currently available. Please try again later.",
    ),
    errors.InstitutionNoLongerSupported: PlaidError(
        "INSTITUTION_ERROR",
        "INSTITUTION_NO_LONGER_SUPPORTED",
        400,
        "This financial institution is no longer supported.",
    ),
    errors.CountryNotSupported: PlaidError(
        "INSTITUTION_ERROR",
        "COUNTRY_NOT_SUPPORTED",
        400,
        "This financial institution is not available in your country.",
    ),
    errors.SyncMutationDuringPagination: PlaidError(
        "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", 400, None
    ),
    errors.SignalError: PlaidError("SIGNAL_ERROR", None, 400, None),
    errors.ClientTransactionIdInUse: PlaidError(
        "SIGNAL_ERROR", "CLIENT_TRANSACTION_ID_ALREADY_IN_USE", 400, None
    ),
    errors.RulesetNotFound: PlaidError("SIGNAL_ERROR", "RULESET_NOT_FOUND", 400, None),
    errors.SignalTransactionNotInitiated: PlaidError(
        "SIGNAL_ERROR", "SIGNAL_TRANSACTION_NOT_INITIATED", 400, None
    ),
    errors.SandboxWebhookInvalid: PlaidError("SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID", 400, None),
    errors.SandboxProductNotEnabled: PlaidError(
        "SANDBOX_ERROR", "SANDBOX_PRODUCT_NOT_ENABLED", 400, None
    ),
    errors.RateLimited: PlaidError("RATE_LIMIT_EXCEEDED", "RATE_LIMIT", 429, None),
    # a bank's unattended-access quota (TrueLayer calls); Plaid would say RATE_LIMIT
    errors.UnattendedLimitReached: PlaidError("RATE_LIMIT_EXCEEDED", "RATE_LIMIT", 429, None),
    errors.InternalError: PlaidError("API_ERROR", "INTERNAL_SERVER_ERROR", 500, None),
}

# Conditions TrueLayer brought to the core, as the nearest Plaid error a Plaid app would see.
ERRORS.update(
    {
        errors.UserInputRequired: ERRORS[errors.UserSetupRequired],
        errors.WrongCredentials: ERRORS[errors.LoginRequired],
        errors.ScaExceeded: ERRORS[errors.LoginRequired],
        errors.ProviderInternalError: ERRORS[errors.InstitutionNotResponding],
        errors.ProviderRateLimited: ERRORS[errors.RateLimited],
        errors.AccountPermanentlyLocked: ERRORS[errors.ItemLocked],
        errors.AccountTemporarilyLocked: ERRORS[errors.ItemLocked],
        # Grants are TrueLayer's auth server's; should one reach a Plaid view, the nearest.
        errors.InvalidClient: ERRORS[errors.InvalidApiKeys],
        errors.RedirectUriNotRegistered: ERRORS[errors.InvalidField],
        errors.AuthorizationCodeInvalid: ERRORS[errors.InvalidPublicToken],
        errors.GrantInvalid: ERRORS[errors.InvalidAccessToken],
        errors.TokenInvalid: ERRORS[errors.InvalidAccessToken],
        errors.TokenExpired: ERRORS[errors.InvalidAccessToken],
        errors.ConsentRevoked: ERRORS[errors.InvalidAccessToken],
        errors.ConsentExpired: ERRORS[errors.LoginRequired],
        errors.ConsentNotExtendable: ERRORS[errors.LoginRequired],
        errors.LinkInvalid: ERRORS[errors.InvalidLinkToken],
    }
)

# Plaid has no codes beyond the README's error table; a fault rule's refusal names Plaid.
errors.add_dialect_codes("plaid", "Plaid")

# The section of Plaid's error reference each ``error_type`` is documented in.
DOC_SECTIONS = {
    "INVALID_REQUEST": "invalid-request",
    "INVALID_INPUT": "invalid-input",
    "INVALID_RESULT": "invalid-result",
    "ITEM_ERROR": "item",
    "INSTITUTION_ERROR": "institution",
    "TRANSACTIONS_ERROR": "transactions",
    "SIGNAL_ERROR": "signal",
    "SANDBOX_ERROR": "sandbox",
    "RATE_LIMIT_EXCEEDED": "rate-limit-exceeded",
    "API_ERROR": "api",
    "ASSET_REPORT_ERROR": "assets",
}
DOCS = "https://plaid.com/docs/errors/"


def plaid_error(exc: errors.CoreError) -> PlaidError:
    """The table row for ``exc`` with its ``error_code`` resolved."""
    row = next(ERRORS[cls] for cls in type(exc).__mro__ if cls in ERRORS)
    code = exc.detail.get("code") or row.error_code or exc.condition
    return row._replace(error_code=str(code))


def error_type_and_status(exc: errors.CoreError) -> tuple[str, int]:
    """Plaid's ``error_type`` and HTTP status for ``exc``."""
    row = plaid_error(exc)
    return row.error_type, row.status


def error_object(exc: errors.CoreError, *, with_request_id: bool = True) -> dict[str, Any]:
    """The Plaid error object for ``exc``: responses carry ``request_id``, items and webhooks
    carry ``status`` instead."""
    row = plaid_error(exc)
    code = str(row.error_code)
    body: dict[str, Any] = {
        "error_type": row.error_type,
        "error_code": code,
        "error_code_reason": exc.detail.get("reason"),
        "error_message": exc.message,
        "display_message": row.display_message,
        "documentation_url": f"{DOCS}{DOC_SECTIONS[row.error_type]}/#{code.lower()}",
        "suggested_action": None,
    }
    causes: Any = exc.detail.get("causes") or ()  # (item_id, CoreError) pairs
    if causes:
        body["causes"] = [_cause(item_id, cause) for item_id, cause in causes]
    if with_request_id:
        body["request_id"] = request_id()
    else:
        body["status"] = row.status
    return body


def _cause(item_id: str, cause: errors.CoreError) -> dict[str, Any]:
    """Plaid's ``Cause``: which item of a many-item request (an Asset Report) failed, and how."""
    return {**error_object(cause, with_request_id=False), "item_id": item_id}


def display_message(condition: str) -> str | None:
    """The end-user text Plaid shows for a stored condition (Link's error pane)."""
    cls = errors.for_condition(condition)
    return None if cls is None else plaid_error(cls()).display_message


def item_error(condition: str | None, reason: str | None = None) -> dict[str, Any] | None:
    """The error object stored on a broken item (``item.error``), or None."""
    if condition is None:
        return None
    cls = errors.for_condition(condition) or errors.LoginRequired
    return error_object(cls(reason=reason), with_request_id=False)


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
            if key == "_schema":  # the value as a whole (an object field given a string)
                found.extend(_flatten(value, prefix or "body"))
                continue
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
