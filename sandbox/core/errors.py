"""Domain errors: one class per condition the simulated bank can report.

The core raises these and knows nothing of HTTP or of any provider's words: an error
carries facts (its ``message`` and keyword ``detail``) and each dialect keeps ONE table
that renders it in its wire format (Plaid: ``sandbox/plaid/errors.py``, with the codes,
types, statuses and end-user texts). The
``condition`` of item-level failures is the name the sandbox's test credentials use
(``error_ITEM_LOCKED``), so :func:`for_condition` turns a password into an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


class CoreError(Exception):
    """A failure the provider would report; dialects choose the wire format."""

    condition: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str = "", **detail: object) -> None:
        super().__init__(message or (type(self).__doc__ or "").strip())
        self.message = str(self.args[0])
        self.detail = detail


# -- bad requests -------------------------------------------------------------------------


class InvalidRequest(CoreError):
    """The request is malformed."""

    condition = "INVALID_FIELD"


class MissingFields(InvalidRequest):
    """Required fields are missing."""

    condition = "MISSING_FIELDS"


class UnknownFields(InvalidRequest):
    """The request has fields the endpoint does not accept."""

    condition = "UNKNOWN_FIELDS"


class InvalidField(InvalidRequest):
    """A field has a value the endpoint does not accept."""

    condition = "INVALID_FIELD"


class InvalidBody(InvalidRequest):
    """The body could not be parsed as JSON."""

    condition = "INVALID_BODY"


class InvalidHeaders(InvalidRequest):
    """the request is missing its Content-Type header (application/json)"""

    condition = "INVALID_HEADERS"


class InvalidConfiguration(InvalidRequest):
    """The link token configuration is not valid."""

    condition = "INVALID_CONFIGURATION"


class InvalidDateRange(InvalidField):
    """the date range is not valid: the start is after the end, or after today"""

    condition = "INVALID_DATE_RANGE"


class LastUpdatedOutOfRange(InvalidRequest):
    """no balance was updated at or after the requested datetime"""

    condition = "LAST_UPDATED_DATETIME_OUT_OF_RANGE"


class NotFound(InvalidRequest):
    """No such endpoint."""

    condition = "NOT_FOUND"


# -- bad inputs (credentials, tokens, ids) ---------------------------------------------------


class InvalidInput(CoreError):
    """An identifier or credential is not valid."""


class InvalidApiKeys(InvalidInput):
    """invalid client_id or secret provided"""

    condition = "INVALID_API_KEYS"


class InvalidAccessToken(InvalidInput):
    """could not find matching access token"""

    condition = "INVALID_ACCESS_TOKEN"


class InvalidPublicToken(InvalidInput):
    """could not find matching public token"""

    condition = "INVALID_PUBLIC_TOKEN"


class InvalidLinkToken(InvalidInput):
    """provided link token is in an invalid format or expired"""

    condition = "INVALID_LINK_TOKEN"


class InvalidAccountId(InvalidInput):
    """one or more of the account IDs is invalid"""

    condition = "INVALID_ACCOUNT_ID"


class InvalidInstitution(InvalidInput):
    """invalid institution_id provided"""

    condition = "INVALID_INSTITUTION"


class InvalidProduct(InvalidInput):
    """one or more of the products is invalid"""

    condition = "INVALID_PRODUCT"


class InvalidWebhookKeyId(InvalidInput):
    """invalid key_id provided"""

    condition = "INVALID_WEBHOOK_VERIFICATION_KEY_ID"


class InvalidProcessorToken(InvalidInput):
    """provided processor token is invalid"""

    condition = "INVALID_PROCESSOR_TOKEN"


class InvalidAssetReportToken(InvalidInput):
    """provided asset report token is in an invalid format, expired or removed"""

    condition = "INVALID_ASSET_REPORT_TOKEN"


class InvalidAuditCopyToken(InvalidInput):
    """the audit copy token is invalid or has been removed"""

    condition = "INVALID_AUDIT_COPY_TOKEN"


# -- asset reports ------------------------------------------------------------------------


class AssetReportError(CoreError):
    """The asset report cannot be served."""


class AssetReportNotReady(AssetReportError):
    """the requested product is not yet ready. please provide a webhook or try the request again later"""


class AssetReportProductNotEnabled(AssetReportError):
    """one or more items in the report were not initialized with the assets product in Link"""

    condition = "PRODUCT_NOT_ENABLED"


class AssetReportGenerationFailed(AssetReportError):
    """asset report generation failed"""

    condition = "ASSET_REPORT_GENERATION_FAILED"


class AssetReportDataUnavailable(AssetReportError):
    """unable to pull sufficient data for all items to generate this report"""

    condition = "DATA_UNAVAILABLE"


# -- item state ---------------------------------------------------------------------------


class ItemError(CoreError):
    """The item cannot serve this request."""


class LoginRequired(ItemError):
    """the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state"""

    condition = "ITEM_LOGIN_REQUIRED"


class ItemNotFound(ItemError):
    """the item you requested cannot be found. this item does not exist, has been previously removed, or has had access removed by the user"""

    condition = "ITEM_NOT_FOUND"


class InvalidCredentials(ItemError):
    """the provided credentials were not correct. Please try again."""

    condition = "INVALID_CREDENTIALS"


class InvalidMfa(ItemError):
    """the provided MFA response(s) were not correct. Please try again."""

    condition = "INVALID_MFA"


class ItemLocked(ItemError):
    """the account is locked. prompt the user to visit the institution's site and unlock their account"""

    condition = "ITEM_LOCKED"


class ItemNotSupported(ItemError):
    """this account is currently not supported"""

    condition = "ITEM_NOT_SUPPORTED"


class MfaNotSupported(ItemError):
    """this account requires a MFA type that is not currently supported"""

    condition = "MFA_NOT_SUPPORTED"


class InvalidSendMethod(ItemError):
    """the provided MFA send_method was invalid"""

    condition = "INVALID_SEND_METHOD"


class InsufficientCredentials(ItemError):
    """insufficient authorization was provided to complete the request"""

    condition = "INSUFFICIENT_CREDENTIALS"


class UserSetupRequired(ItemError):
    """the account has not been fully set up. prompt the user to visit the issuing institution's site and finish the setup process"""

    condition = "USER_SETUP_REQUIRED"


class PasswordResetRequired(ItemError):
    """the account requires a password reset. prompt the user to visit the institution's site and reset their password"""

    condition = "PASSWORD_RESET_REQUIRED"


class UserInputTimeout(ItemError):
    """user did not provide credentials or MFA in time"""

    condition = "USER_INPUT_TIMEOUT"


class AccessNotGranted(ItemError):
    """the user did not grant the necessary permissions for their account"""

    condition = "ACCESS_NOT_GRANTED"


class NoAccounts(ItemError):
    """no valid accounts were found for this item"""

    condition = "NO_ACCOUNTS"


class NoAuthAccounts(ItemError):
    """no valid checking or savings account(s) found"""

    condition = "NO_AUTH_ACCOUNTS"


class InstantMatchFailed(ItemError):
    """the account and routing numbers entered do not match the account at the institution"""

    condition = "INSTANT_MATCH_FAILED"


class NoLiabilityAccounts(ItemError):
    """no valid liability accounts were found"""

    condition = "NO_LIABILITY_ACCOUNTS"


class NoInvestmentAccounts(ItemError):
    """no valid investment accounts were found"""

    condition = "NO_INVESTMENT_ACCOUNTS"


class NoInvestmentAuthAccounts(ItemError):
    """there are no valid investment account(s) associated with this item for this request"""

    condition = "NO_INVESTMENT_AUTH_ACCOUNTS"


class ProductNotReady(ItemError):
    """the requested product is not yet ready. please provide a webhook or try the request again later"""

    condition = "PRODUCT_NOT_READY"


class ProductsNotSupported(ItemError):
    """the institution does not support the requested products"""

    condition = "PRODUCTS_NOT_SUPPORTED"


class ProductNotEnabled(ItemError):
    """the requested product is not enabled for this item"""

    condition = "PRODUCT_NOT_ENABLED"


class UserPermissionRevoked(ItemError):
    """the holder of this account has revoked their permission for your application to access it"""

    condition = "USER_PERMISSION_REVOKED"


class AccountPermanentlyLocked(ItemLocked):
    """the account is permanently locked at the bank; the user must contact the bank"""

    condition = "ACCOUNT_PERMANENTLY_LOCKED"


class AccountTemporarilyLocked(ItemLocked):
    """the account is temporarily locked at the bank; the user can try again later"""

    condition = "ACCOUNT_TEMPORARILY_LOCKED"


class UserInputRequired(ItemError):
    """the bank needs the user to act (for example accept new terms) before data can be read"""

    condition = "USER_INPUT_REQUIRED"


class WrongCredentials(ItemError):
    """the credentials stored for this connection are no longer accepted by the bank"""

    condition = "WRONG_CREDENTIALS"


class ScaExceeded(ItemError):
    """this data can only be read shortly after the user authenticated with the bank"""

    condition = "SCA_EXCEEDED"


# -- institutions ---------------------------------------------------------------------------


class InstitutionError(CoreError):
    """The institution cannot serve this request right now."""


class InstitutionDown(InstitutionError):
    """this institution is not currently responding to this request. please try again soon"""

    condition = "INSTITUTION_DOWN"


class InstitutionNotResponding(InstitutionError):
    """this institution is not currently responding to this request. please try again soon"""

    condition = "INSTITUTION_NOT_RESPONDING"


class InstitutionNotAvailable(InstitutionError):
    """this institution is not currently responding to this request. please try again soon"""

    condition = "INSTITUTION_NOT_AVAILABLE"


class InstitutionNoLongerSupported(InstitutionError):
    """this institution is no longer supported"""

    condition = "INSTITUTION_NO_LONGER_SUPPORTED"


class CountryNotSupported(InstitutionError):
    """this institution is not available in the requested country"""

    condition = "COUNTRY_NOT_SUPPORTED"


class ProviderInternalError(InstitutionError):
    """the bank failed with an internal error"""

    condition = "PROVIDER_INTERNAL_ERROR"


class ProviderRateLimited(InstitutionError):
    """the bank is throttling requests for this connection"""

    condition = "PROVIDER_RATE_LIMITED"


# -- grants: an app's consented access to a connection (no condition of their own) ----------


class GrantError(InvalidInput):
    """The app's credentials, code, token or consent do not allow this."""


class InvalidClient(GrantError):
    """the client_id or client_secret is not valid"""


class RedirectUriNotRegistered(GrantError):
    """the redirect_uri is not registered for this client"""


class AuthorizationCodeInvalid(GrantError):
    """the authorization code is unknown, expired or already used"""


class GrantInvalid(GrantError):
    """the grant is not valid (unknown or used refresh token, mismatched redirect_uri or code_verifier, or the consent is over)"""


class TokenInvalid(GrantError):
    """the access token is not valid"""


class TokenExpired(GrantError):
    """the access token has expired (``detail["expired_at"]`` says when)"""


class ConsentExpired(GrantError):
    """the user's consent has expired; the user must consent again"""


class ConsentRevoked(GrantError):
    """the connection was deleted; its tokens no longer work"""


class ConsentNotExtendable(GrantError):
    """the connection cannot be extended"""


class LinkInvalid(GrantError):
    """this link is unknown or has already been used; ask the app for a new one"""


# -- everything else ------------------------------------------------------------------------


class SyncMutationDuringPagination(CoreError):
    """Underlying transaction data changed since last page was fetched. Please restart pagination from last update."""

    condition = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"


class SignalError(CoreError):
    """A Signal request the app must correct."""


class ClientTransactionIdInUse(SignalError):
    """The client_transaction_id is already in use"""

    condition = "CLIENT_TRANSACTION_ID_ALREADY_IN_USE"


class RulesetNotFound(SignalError):
    """Missing 'default' ruleset or the ruleset_key provided does not exist"""

    condition = "RULESET_NOT_FOUND"


class SignalTransactionNotInitiated(SignalError):
    """The transaction was reported as not initiated, so it cannot be returned"""

    condition = "SIGNAL_TRANSACTION_NOT_INITIATED"


class SandboxWebhookInvalid(CoreError):
    """the item does not have a webhook set"""

    condition = "SANDBOX_WEBHOOK_INVALID"


class SandboxProductNotEnabled(CoreError):
    """the item does not have the product required to fire this webhook"""

    condition = "SANDBOX_PRODUCT_NOT_ENABLED"


class RateLimited(CoreError):
    """rate limit exceeded for attempts to access this item. please try again later"""

    condition = "RATE_LIMIT"


class UnattendedLimitReached(RateLimited):
    """the bank allows 4 calls per connection in 24 hours when the user is not present"""

    condition = "UNATTENDED_ACCESS_LIMIT"


class InternalError(CoreError):
    """an unexpected error occurred"""

    condition = "INTERNAL_SERVER_ERROR"


@dataclass(frozen=True)
class DialectCodes:
    """What a fault rule for one dialect may name beyond the conditions above, and the words a
    refusal of another code uses, which are the dialect's: the core never names a dialect.

    ``name`` is how a refusal names the dialect (``… is not an error code TrueLayer knows``);
    ``codes`` are its own (TrueLayer's ``PROVIDER_TIMEOUT``), upper case; ``listed_in`` is the
    page that lists them, which the refusal points at (set whenever ``codes`` is).
    """

    name: str
    codes: frozenset[str] = frozenset()
    listed_in: str | None = None


# Each dialect's codes and words, added when the dialect is imported (``add_dialect_codes``):
# the core never imports a dialect.
DIALECT_CODES: dict[str, DialectCodes] = {}


def add_dialect_codes(
    dialect: str, name: str, codes: Iterable[str] = (), listed_in: str | None = None
) -> None:
    """Let fault rules for ``dialect`` inject ``codes`` (its own words, listed on the page
    ``listed_in``) as well, and word a refusal with its ``name``."""
    own = frozenset(c.upper() for c in codes)
    if own and listed_in is None:
        raise ValueError(f"{name}'s own codes need the page that lists them")
    DIALECT_CODES[dialect] = DialectCodes(name, own, listed_in)


@dataclass(frozen=True)
class GatedPaths:
    """The paths a dialect's fault gate sees, so a rule only other paths match is refused.

    Paths are route templates: a segment in angle brackets (``<account_id>``) stands for any
    one segment. ``of_connection`` are judged knowing the call's connection (a rule may name
    its ``item_id``); ``before_connection`` before (a token endpoint). ``described`` says
    where the gate runs, in the refusal's words.
    """

    of_connection: tuple[str, ...]
    before_connection: tuple[str, ...]
    described: str


# Where each dialect's fault gate runs, for dialects whose gate sees only some of their paths
# (TrueLayer: the Data API and the token endpoint); added when the dialect is imported
# (``add_gated_paths``), as ``DIALECT_CODES`` are. A dialect not listed is gated everywhere.
GATED_PATHS: dict[str, GatedPaths] = {}


def add_gated_paths(dialect: str, paths: GatedPaths) -> None:
    """Declare the only paths where fault rules for ``dialect`` can fire."""
    GATED_PATHS[dialect] = paths


def for_condition(condition: str) -> type[CoreError] | None:
    """The error class whose ``condition`` is ``condition`` (for ``error_<CODE>`` passwords)."""
    return _BY_CONDITION.get(condition)


def _subclasses(cls: type[CoreError]) -> list[type[CoreError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


# Pre-order: a specific subclass (InvalidField) overrides its base (InvalidRequest).
_BY_CONDITION = {cls.condition: cls for cls in _subclasses(CoreError)}
