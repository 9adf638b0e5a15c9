"""Credentials handed to apps: link, public and access tokens, and request ids.

Tokens are secrets, so they come from ``secrets`` (never from the seed): a test that
guessed one must not be able to read another tenant's data. Access tokens are stored as
keyed hashes (``at_rest``), so a copy of the database holds none that works.
"""

from __future__ import annotations

import secrets
import string
import uuid

from sqlalchemy.orm import Session

from . import keyring

_ALPHANUMERIC = string.ascii_letters + string.digits
_REQUEST_ID_LENGTH = 15
_REQUEST_IDS = len(_ALPHANUMERIC) ** _REQUEST_ID_LENGTH  # how many there are


def _uuid() -> str:
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def link_token(environment: str = "sandbox") -> str:
    """``link-sandbox-<uuid>``."""
    return f"link-{environment}-{_uuid()}"


def public_token(environment: str = "sandbox") -> str:
    """``public-sandbox-<uuid>``."""
    return f"public-{environment}-{_uuid()}"


def access_token(environment: str = "sandbox") -> str:
    """``access-sandbox-<uuid>``."""
    return f"access-{environment}-{_uuid()}"


def processor_token(environment: str = "sandbox") -> str:
    """``processor-sandbox-<uuid>``."""
    return f"processor-{environment}-{_uuid()}"


def at_rest(session: Session, token: str) -> str:
    """What the database keeps of a bearer token: its keyed hash, looked up as such."""
    return keyring.for_session(session).digest(token)


def request_id() -> str:
    """Plaid's 15-character alphanumeric request id, every one equally likely.

    One random number below the count of ids, written in base 62: one read of the system's
    randomness where a ``secrets.choice`` per character made fifteen (30 us, a tenth of a
    balance call).
    """
    number = secrets.randbelow(_REQUEST_IDS)
    characters = []
    for _ in range(_REQUEST_ID_LENGTH):
        number, digit = divmod(number, len(_ALPHANUMERIC))
        characters.append(_ALPHANUMERIC[digit])
    return "".join(characters)


def request_uuid() -> str:
    """A random UUID naming one request (for dialects whose request ids are UUIDs)."""
    return _uuid()


def session_id() -> str:
    """A Link session id (a UUID, as Plaid's are)."""
    return _uuid()
