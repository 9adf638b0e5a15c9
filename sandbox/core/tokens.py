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
_STRIPE_TOKEN_LENGTH = 24  # of 64 hex digits' 256 bits, 24 base62 digits take 143
_KEPT = len(_ALPHANUMERIC) * (256 // len(_ALPHANUMERIC))  # 248 byte values: 4 per character
_TO_CHARACTER = bytes(ord(_ALPHANUMERIC[byte % len(_ALPHANUMERIC)]) for byte in range(256))
_DROPPED = bytes(range(_KEPT, 256))


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


def stripe_bank_account_token(session: Session, item_id: str, account_id: str) -> str:
    """``btok_`` and 24 base62 characters, the same for one account of one item every time.

    A keyed hash (``keyring``) of the two ids, not a seeded draw: an app that stored the
    token finds it again, and no one without the server key can derive another's. Plaid's
    (and Stripe's) tokens are single use; with no Stripe to spend it, one stable token per
    account is what a test can assert on.
    """
    digest = keyring.for_session(session).digest(f"stripe bank account {item_id} {account_id}")
    number = int(digest.rsplit("$", 1)[1], 16)
    characters = []
    for _ in range(_STRIPE_TOKEN_LENGTH):
        number, digit = divmod(number, len(_ALPHANUMERIC))
        characters.append(_ALPHANUMERIC[digit])
    return "btok_" + "".join(characters)


def at_rest(session: Session, token: str) -> str:
    """What the database keeps of a bearer token: its keyed hash, looked up as such."""
    return keyring.for_session(session).digest(token)


def request_id() -> str:
    """Plaid's 15-character alphanumeric request id, every one equally likely.

    Random bytes mapped to characters by one ``translate``: the 248 byte values below
    ``_KEPT`` stand for each of the 62 characters four times, the 8 above are dropped, so
    every kept byte is any character with the same odds. 20 bytes keep 15 or more but for
    about one draw in 40,000, which draws again. Where base 62 digits of one random number
    (a ``divmod`` per character) cost 2.5 us, this costs 0.6.
    """
    while True:
        characters = secrets.token_bytes(20).translate(_TO_CHARACTER, _DROPPED)
        if len(characters) >= _REQUEST_ID_LENGTH:
            return characters[:_REQUEST_ID_LENGTH].decode("ascii")


def request_uuid() -> str:
    """A random UUID naming one request (for dialects whose request ids are UUIDs)."""
    return _uuid()


def session_id() -> str:
    """A Link session id (a UUID, as Plaid's are)."""
    return _uuid()
