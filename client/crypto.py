"""Access tokens at rest: Fernet, with MultiFernet so keys can rotate without downtime."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select

from client.store.db import Store
from client.store.models import Connection

UNREADABLE = "stored token does not decrypt with the configured keys"


class TokenDecryptError(Exception):
    """A stored token could not be decrypted with any configured key."""


class TokenCipher:
    """Encrypts with the first key; decrypts with any, so old rows stay readable mid-rotation."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is required")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"

    @staticmethod
    def generate_key() -> str:
        """A new random key, to put first in the key list."""
        return Fernet.generate_key().decode()

    def encrypt(self, token: str) -> str:
        """Ciphertext for storage."""
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext token; the error never contains the ciphertext."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptError(UNREADABLE) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the primary (first) key; `TokenDecryptError` if no key reads it."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise TokenDecryptError(UNREADABLE) from None


def rotate_stored_tokens(store: Store, cipher: TokenCipher) -> int:
    """Re-encrypt every stored access token under the primary key; returns how many. All or
    none: a token no configured key reads (its key was left out of the list) stops the
    rotation, naming its connection, and nothing is changed."""
    count = 0
    with store.session() as session:
        rows = session.scalars(select(Connection).where(Connection.access_token_enc.is_not(None)))
        for conn in rows:
            assert conn.access_token_enc is not None
            try:
                conn.access_token_enc = cipher.rotate(conn.access_token_enc)
            except TokenDecryptError as exc:
                raise TokenDecryptError(
                    f"connection {conn.id}: {exc}; nothing was re-encrypted (list the new key "
                    "first, then every key in use)"
                ) from None
            count += 1
    return count
