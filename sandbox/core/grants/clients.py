"""Apps registered at the auth server: who may ask for consent, and where codes may go.

Every tenant has a client whose id and secret are its API keys, so a developer needs no
extra step: it is created on first use with a local app's callback as redirect URI, and the
pages the dialects add (TrueLayer's console page: TrueLayer's own examples use both).
TrueLayer's sandbox client ids start with ``sandbox-``; any id is also accepted with that
prefix, because several community clients choose the sandbox host from it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from enum import Enum
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import keyring
from ..errors import InvalidClient, InvalidField, RedirectUriNotRegistered
from ..models import AppClient, Tenant


class Unchanged(Enum):
    """What an update leaves as it is: for a value that None clears (``display_name``)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
SANDBOX_PREFIX = "sandbox-"
# The redirect URIs a tenant's own client is created with: a local app's callback, then those
# the dialects add when imported (``add_default_redirect_uris``).
DEFAULT_REDIRECT_URIS: tuple[str, ...] = ("http://localhost:3000/callback",)
DEFAULT_CONSENT_DAYS = 90
MAX_CONSENT_DAYS = 3650
MAX_REDIRECT_URI_LENGTH = 2000
MAX_DISPLAY_NAME_LENGTH = 80


def add_default_redirect_uris(uris: Iterable[str]) -> None:
    """Create every tenant's own client with ``uris`` as redirect URIs too (a dialect's own
    pages that receive codes), after those already there."""
    global DEFAULT_REDIRECT_URIS
    new = [check_redirect_uri(uri) for uri in uris]
    DEFAULT_REDIRECT_URIS = tuple(dict.fromkeys([*DEFAULT_REDIRECT_URIS, *new]))


def find(session: Session, client_id: str | None) -> AppClient:
    """The client ``client_id`` names (with or without ``sandbox-``), or ``InvalidClient``."""
    for candidate in _spellings(client_id or ""):
        row = session.get(AppClient, candidate)
        if row is not None:
            return row
        tenant = session.scalar(select(Tenant).where(Tenant.client_id == candidate))
        if tenant is not None:
            return default_client(session, tenant)
    raise InvalidClient(field="client_id")


def authenticate(session: Session, client_id: str | None, secret: str | None) -> AppClient:
    """The client whose id and secret these are (the token endpoint's check)."""
    client = find(session, client_id)
    stored = client.secret_hash if client.secret_hash is not None else client.tenant.secret_hash
    if not secret or not keyring.for_session(session).matches(stored, secret):
        raise InvalidClient(field="client_secret")
    return client


def default_client(session: Session, tenant: Tenant) -> AppClient:
    """The tenant's own client (its API keys), created on first use."""
    row = session.get(AppClient, tenant.client_id)
    if row is None:
        row = AppClient(
            client_id=tenant.client_id,
            tenant_id=tenant.id,
            secret_hash=None,
            redirect_uris=list(DEFAULT_REDIRECT_URIS),
            consent_days=DEFAULT_CONSENT_DAYS,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
    return row


def register(
    session: Session,
    tenant: Tenant,
    redirect_uris: list[str],
    *,
    name: str = "app",
    consent_days: int = DEFAULT_CONSENT_DAYS,
    display_name: str | None = None,
) -> tuple[AppClient, str]:
    """A new client of ``tenant`` with its own secret (shown once, stored hashed);
    ``display_name`` is what the auth dialog calls it (else its client id)."""
    secret = secrets.token_urlsafe(24)
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:40] or "app"
    row = AppClient(
        client_id=f"{SANDBOX_PREFIX}{slug}-{secrets.token_hex(3)}",
        tenant_id=tenant.id,
        secret_hash=keyring.for_session(session).digest(secret),
        redirect_uris=[check_redirect_uri(uri) for uri in redirect_uris],
        consent_days=check_consent_days(consent_days),
        created_at=dt.datetime.now(dt.UTC),
        display_name=None if display_name is None else check_display_name(display_name),
    )
    session.add(row)
    session.flush()
    return row, secret


def update(
    client: AppClient,
    *,
    add_redirect_uris: Sequence[str] = (),
    consent_days: int | None = None,
    display_name: str | Unchanged | None = UNCHANGED,
) -> AppClient:
    """Register more redirect URIs, change the consent length (None: unchanged) and/or the
    display name of ``client`` (None clears it: the auth dialog shows the client id again)."""
    new = [check_redirect_uri(uri) for uri in add_redirect_uris]
    checked_days = None if consent_days is None else check_consent_days(consent_days)
    checked_name = display_name
    if isinstance(display_name, str):
        checked_name = check_display_name(display_name)
    client.redirect_uris = list(dict.fromkeys([*client.redirect_uris, *new]))
    if checked_days is not None:
        client.consent_days = checked_days
    if not isinstance(checked_name, Unchanged):
        client.display_name = checked_name
    return client


def check_redirect(client: AppClient, redirect_uri: str | None) -> str:
    """``redirect_uri`` if it is one of the client's, exactly (else the app is not trusted)."""
    if not redirect_uri or redirect_uri not in client.redirect_uris:
        raise RedirectUriNotRegistered(field="redirect_uri")
    return redirect_uri


def check_redirect_uri(uri: str) -> str:
    """An absolute http(s) URI without a fragment, as OAuth requires of redirect URIs, that
    parses (a host, a port up to 65535): the dialog sends the user back to it."""
    if (
        not isinstance(uri, str)
        or not uri.startswith(("http://", "https://"))
        or "#" in uri
        or len(uri) > MAX_REDIRECT_URI_LENGTH
        or not _parses(uri)
    ):
        raise InvalidField(
            "a redirect URI is an absolute http(s) URI without a fragment", field="redirect_uris"
        )
    return uri


def _parses(uri: str) -> bool:
    """Whether ``uri`` has a host and a valid port (an unclosed ``[`` or a port past 65535
    makes ``urlsplit`` raise)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises for a port out of range
    except ValueError:
        return False
    return bool(parts.hostname)


def check_consent_days(days: int) -> int:
    """A consent length in days, from 1 to ``MAX_CONSENT_DAYS``."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_CONSENT_DAYS:
        raise InvalidField(
            f"consent_days is a whole number of days from 1 to {MAX_CONSENT_DAYS}",
            field="consent_days",
        )
    return days


def check_display_name(name: str) -> str:
    """An app's display name: 1 to ``MAX_DISPLAY_NAME_LENGTH`` characters, not blank, no
    control characters (it is shown on the auth dialog and printed to terminals)."""
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > MAX_DISPLAY_NAME_LENGTH
        or any(unicodedata.category(char) == "Cc" for char in name)
    ):
        raise InvalidField(
            f"display_name is 1 to {MAX_DISPLAY_NAME_LENGTH} characters, not blank, "
            "without control characters",
            field="display_name",
        )
    return name


def of_tenant(session: Session, tenant: Tenant) -> list[AppClient]:
    """The tenant's clients, its own first."""
    default_client(session, tenant)
    rows = session.scalars(select(AppClient).where(AppClient.tenant_id == tenant.id))
    return sorted(rows, key=lambda c: (c.client_id != tenant.client_id, c.created_at, c.client_id))


def _spellings(client_id: str) -> list[str]:
    if client_id.startswith(SANDBOX_PREFIX):
        return [client_id, client_id[len(SANDBOX_PREFIX) :]]
    return [client_id] if client_id else []
