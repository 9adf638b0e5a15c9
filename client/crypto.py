"""Access tokens at rest: Fernet, with MultiFernet so keys can rotate without downtime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select

from client.store.db import Store
from client.store.details import open_flows
from client.store.models import Connection, utcnow

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


class Rotation(NamedTuple):
    """What `rotate_stored_tokens` re-encrypted."""

    tokens: int  # connections' access tokens (Plaid) or token pairs (TrueLayer)
    sign_ins: int  # PKCE verifiers of sign-ins still waiting for the user to come back


def rotate_stored_tokens(store: Store, cipher: TokenCipher) -> Rotation:
    """Re-encrypt every stored secret under the primary key: connections' tokens and the
    verifiers of open sign-ins (so a sign-in begun before the rotation completes after the old
    key is retired). All or none: a secret no configured key reads (its key was left out of
    the list) stops the rotation, naming its owner, and nothing is changed. Used and expired
    sign-ins are never read again, so they are left as they are."""
    with store.session() as session:
        conns = session.scalars(select(Connection).where(Connection.access_token_enc.is_not(None)))
        tokens = 0
        for conn in conns:
            assert conn.access_token_enc is not None
            conn.access_token_enc = _rotate(cipher, conn.access_token_enc, f"connection {conn.id}")
            tokens += 1
        sign_ins = 0
        for flow in session.scalars(open_flows(utcnow())):
            owner = f"sign-in in progress for user {flow.user_ref!r}"
            flow.verifier_enc = _rotate(cipher, flow.verifier_enc, owner)
            sign_ins += 1
    return Rotation(tokens, sign_ins)


def _rotate(cipher: TokenCipher, ciphertext: str, owner: str) -> str:
    """`cipher.rotate`, its error naming whose secret it was."""
    try:
        return cipher.rotate(ciphertext)
    except TokenDecryptError as exc:
        raise TokenDecryptError(
            f"{owner}: {exc}; nothing was re-encrypted (list the new key first, then every key "
            "in use)"
        ) from None
