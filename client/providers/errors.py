"""Provider-neutral sync errors: each provider maps its own failures onto these classes."""

from __future__ import annotations

from client.api.errors import ClientError


class SyncError(ClientError):
    """A provider failure as the engine sees it; `code` keeps the provider's own error code."""

    retryable = False

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        display_message: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message = code, message or code
        self.display_message = display_message
        self.request_id = request_id
        if retryable is not None:
            self.retryable = retryable


class LoginRequired(SyncError):
    """The user must sign in to the bank again (update mode, re-consent)."""


class CredentialsRevoked(SyncError):
    """The provider no longer knows these credentials; the bank must be connected again."""


class AppMisconfigured(SyncError):
    """The app's own setup is wrong (its keys, environment or API version): no connection nor
    its user can fix that, so the connection is left as it was."""


class CursorReset(SyncError):
    """The change log moved under a paginated read; restart from the chain's first cursor."""

    retryable = True


class ProviderUnavailable(SyncError):
    """The provider or the bank is down, slow or rate limiting; the same call may work later."""

    retryable = True


class ConnectionUnavailable(SyncError):
    """The local connection has no usable credentials (disconnected, or never linked)."""
