"""Secrets at rest: keyed hashes of credentials and encrypted signing keys, from the server key.

A database dump alone must not let anyone call the API: tenant secrets and access tokens
are stored as HMAC-SHA256 under a key derived from the server's ``SECRET_KEY`` (never
stored in the database), and looked up by that hash; webhook signing keys are encrypted
with Fernet (AES-128-CBC + HMAC) under another derived key.

The app registers its keyring on its database engine (``register``), so any session on
that engine (a request's, the webhook dispatcher's, a CLI command's) finds it with
``for_session``. A session on an unregistered engine (the core's unit tests, which have
no app) gets a fixed development keyring.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import weakref
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

DIGEST_PREFIX = "h1$"  # marks a keyed hash; older rows hold unkeyed SHA-256 or clear text
SEALED_PREFIX = "fernet:"


class Keyring:
    """Keys derived from one server key, each for one purpose."""

    def __init__(self, server_key: str | bytes) -> None:
        raw = server_key.encode() if isinstance(server_key, str) else server_key
        self._digest_key = _derive(raw, b"sandbox digests v1")
        self._sealing_key = base64.urlsafe_b64encode(_derive(raw, b"sandbox sealing v1"))

    @functools.cached_property
    def _fernet(self) -> Fernet:
        """Made at the first seal or unseal, so a start (and an authenticated call, which
        only digests) does not import ``cryptography``."""
        from cryptography.fernet import Fernet

        return Fernet(self._sealing_key)

    def digest(self, value: str) -> str:
        """The keyed hash stored in place of ``value`` (``h1$`` + 64 hex digits)."""
        mac = hmac.new(self._digest_key, value.encode("utf-8", "surrogatepass"), "sha256")
        return DIGEST_PREFIX + mac.hexdigest()

    def matches(self, stored: str, value: str) -> bool:
        """Whether ``stored`` (keyed, or a legacy unkeyed SHA-256) is the hash of ``value``."""
        if stored.startswith(DIGEST_PREFIX):
            return hmac.compare_digest(stored, self.digest(value))
        legacy = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        return hmac.compare_digest(stored, legacy)

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted for storage."""
        return SEALED_PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def unseal(self, stored: str) -> str:
        """The plaintext of a sealed value (a legacy clear value is returned as it is)."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ValueError("sealed with another server key (SECRET_KEY changed?)") from None


def _derive(key: bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose (HMAC-SHA256 as a KDF over a high-entropy key)."""
    return hmac.new(key, purpose, "sha256").digest()


DEVELOPMENT = Keyring(b"bank-sandbox development key: only for sessions without an app")
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, Keyring] = weakref.WeakKeyDictionary()
_INFO_KEY = "sandbox.keyring"


def register(engine: Engine, server_key: str) -> None:
    """Make ``server_key`` the keyring of every session bound to ``engine``."""
    _BY_ENGINE[engine] = Keyring(server_key)


def for_session(session: Session) -> Keyring:
    """The keyring of the app that owns the session's engine (``DEVELOPMENT`` without one).

    Kept in the session's ``info`` (a session never changes engine): an authenticated call
    asks twice (its secret, its access token), and finding the engine costs more than both
    digests.
    """
    found: Keyring | None = session.info.get(_INFO_KEY)
    if found is None:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        found = session.info[_INFO_KEY] = _BY_ENGINE.get(engine, DEVELOPMENT)
    return found
