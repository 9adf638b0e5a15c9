"""Typed client errors built from Plaid's error object; no secrets in messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RETRYABLE_INSTITUTION_CODES = frozenset(
    {"INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "INSTITUTION_NOT_AVAILABLE"}
)


class ClientError(Exception):
    """Base of everything the client raises, so apps can catch one class."""


class PlaidError(ClientError):
    """Plaid answered with an error object; keeps type, code and request id for support."""

    def __init__(
        self,
        message: str = "",
        *,
        http_status: int = 0,
        error_type: str = "",
        error_code: str = "",
        display_message: str | None = None,
        request_id: str | None = None,
        body: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message or error_code or f"HTTP {http_status}")
        self.http_status = http_status
        self.error_type = error_type
        self.error_code = error_code
        self.error_message = message
        self.display_message = display_message
        self.request_id = request_id
        self.body = dict(body or {})
        self.retry_after = retry_after

    @property
    def should_retry(self) -> bool:
        """Whether sending the same request again may succeed."""
        return False

    def __str__(self) -> str:
        return (
            f"{self.error_type}/{self.error_code}: {self.error_message} (request {self.request_id})"
        )


class InvalidRequestError(PlaidError):
    """The request was malformed; fix the code, not the data."""


class InvalidInputError(PlaidError):
    """A key, token or id was not accepted."""


class ItemError(PlaidError):
    """The bank connection (Item) is in a state that blocks the call."""


class LoginRequiredError(ItemError):
    """The user must sign in again through Link's update mode."""


class ItemNotFoundError(ItemError):
    """The Item was removed; its token is dead."""


class InstitutionError(PlaidError):
    """The bank itself failed; transient codes are retried."""

    @property
    def should_retry(self) -> bool:
        """Only 'down / not responding' codes are worth another try."""
        return self.error_code in RETRYABLE_INSTITUTION_CODES


class TransactionsError(PlaidError):
    """A transactions-product failure."""


class MutationDuringPaginationError(TransactionsError):
    """Data changed mid-pagination; restart from the cursor that began the chain."""


class RateLimitError(PlaidError):
    """Too many calls; back off and honour Retry-After."""

    @property
    def should_retry(self) -> bool:
        """Rate limits clear with time."""
        return True


class ApiError(PlaidError):
    """Plaid's own 5xx failure; transient by nature."""

    @property
    def should_retry(self) -> bool:
        """Server errors are usually transient."""
        return True


class APIConnectionError(ClientError):
    """No usable reply (network, timeout, non-JSON); `should_retry` says if resending is safe."""

    def __init__(self, message: str, *, should_retry: bool) -> None:
        super().__init__(message)
        self.should_retry = should_retry


_BY_TYPE: dict[str, type[PlaidError]] = {
    "INVALID_REQUEST": InvalidRequestError,
    "INVALID_INPUT": InvalidInputError,
    "ITEM_ERROR": ItemError,
    "INSTITUTION_ERROR": InstitutionError,
    "TRANSACTIONS_ERROR": TransactionsError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "API_ERROR": ApiError,
}
_BY_CODE: dict[str, type[PlaidError]] = {
    "ITEM_LOGIN_REQUIRED": LoginRequiredError,
    "ITEM_NOT_FOUND": ItemNotFoundError,
    "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION": MutationDuringPaginationError,
}


def error_class(http_status: int, error_type: str, error_code: str) -> type[PlaidError]:
    """Choose the most specific class in one place (as stripe's specific_api_error does)."""
    if error_code in _BY_CODE:
        return _BY_CODE[error_code]
    if error_type in _BY_TYPE:
        return _BY_TYPE[error_type]
    if http_status == 429:
        return RateLimitError
    if http_status >= 500:
        return ApiError
    return PlaidError


def error_from_response(
    http_status: int, body: Mapping[str, Any], retry_after: float | None = None
) -> PlaidError:
    """Build the typed error from a Plaid error body."""
    error_type = str(body.get("error_type") or "")
    error_code = str(body.get("error_code") or "")
    cls = error_class(http_status, error_type, error_code)
    return cls(
        str(body.get("error_message") or ""),
        http_status=http_status,
        error_type=error_type,
        error_code=error_code,
        display_message=body.get("display_message"),
        request_id=body.get("request_id"),
        body=body,
        retry_after=retry_after,
    )
