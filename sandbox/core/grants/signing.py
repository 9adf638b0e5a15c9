"""Access tokens as JWTs: a tenant's RS256 key signs them, so clients can decode them.

TrueLayer's clients read the token (the JS SDK checks ``exp``, the Python quickstart reads
``sub`` as the credentials id), so tokens carry TrueLayer's claims. The sandbox does not
trust a token for what it says: it looks its keyed hash up (``GrantToken``). The private
key is sealed with the server key, like the webhook keys.

PyJWT and ``cryptography`` are imported inside the functions that use them, so a start
(which imports this module through the facade) does not pay for them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import keyring
from ..models import Tenant, TokenKey

ALGORITHM = "RS256"


def sign(session: Session, tenant: Tenant, claims: dict[str, Any]) -> str:
    """``claims`` as a JWT (``typ: at+jwt``) signed with the tenant's key."""
    import jwt

    key = _key(session, tenant)
    private = keyring.for_session(session).unseal(key.private_pem)
    headers = {"kid": key.kid, "typ": "at+jwt"}
    return jwt.encode(claims, private, algorithm=ALGORITHM, headers=headers)


def token_id() -> str:
    """A random ``jti`` (tokens are secrets: never from the seed)."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def _key(session: Session, tenant: Tenant) -> TokenKey:
    key = session.scalar(select(TokenKey).where(TokenKey.tenant_id == tenant.id))
    if key is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        key = TokenKey(
            kid=token_id(),
            tenant_id=tenant.id,
            private_pem=keyring.for_session(session).seal(pem),
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(key)
        session.flush()
    return key
