"""ES256 keys per tenant and the ``Plaid-Verification`` JWT that signs each webhook body.

Plaid signs ``{"iat", "request_body_sha256"}`` with an ECDSA P-256 key named by ``kid``
in the JWT header; receivers fetch the public JWK from ``/webhook_verification_key/get``.
Retired keys keep being served with ``expired_at`` set, and are never used to sign.
Private keys are stored encrypted with the server key (``core.keyring``).

PyJWT and ``cryptography`` are imported inside the functions that sign or read keys: the
facade imports this module at start, and a server that sends no webhook never needs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import keyring
from ..errors import InvalidWebhookKeyId
from ..models import Tenant, WebhookKey

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

MAX_AGE_SECONDS = 300  # Plaid tells receivers to refuse webhooks signed over 5 minutes ago
# The key id Plaid's own SDK test suites fetch from the sandbox (plaid-python, plaid-go,
# plaid-ruby, plaid-java); Plaid serves it to every client. Nothing is ever signed with it.
SDK_TEST_KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
SDK_TEST_KEY_CREATED_AT = 1560466143


def _b64url_int(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).decode().rstrip("=")


def current_key(session: Session, tenant: Tenant, now: dt.datetime) -> WebhookKey:
    """The tenant's signing key, created on first use."""
    key = session.scalar(
        select(WebhookKey)
        .where(
            WebhookKey.tenant_id == tenant.id,
            WebhookKey.expired_at.is_(None),
        )
        .order_by(WebhookKey.created_at.desc())
    )
    return key or _new_key(session, tenant, now)


def rotate(session: Session, tenant: Tenant, now: dt.datetime) -> WebhookKey:
    """Retire every live key (``expired_at`` = now) and start signing with a new one."""
    for key in session.scalars(
        select(WebhookKey).where(WebhookKey.tenant_id == tenant.id, WebhookKey.expired_at.is_(None))
    ):
        key.expired_at = now
    return _new_key(session, tenant, now)


def _new_key(session: Session, tenant: Tenant, now: dt.datetime) -> WebhookKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = WebhookKey(
        kid=str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
        tenant_id=tenant.id,
        private_pem=keyring.for_session(session).seal(pem),
        created_at=now,
        expired_at=None,
    )
    session.add(key)
    session.flush()
    return key


def find(session: Session, tenant: Tenant, kid: str) -> WebhookKey:
    """The tenant's key with this id, or ``InvalidWebhookKeyId``."""
    key = session.get(WebhookKey, kid)
    if key is None or key.tenant_id != tenant.id:
        raise InvalidWebhookKeyId(field="key_id")
    return key


def sdk_test_jwk() -> dict[str, Any]:
    """The public JWK served for ``SDK_TEST_KID``: a fixed P-256 point, the same everywhere."""
    from cryptography.hazmat.primitives.asymmetric import ec

    scalar = int.from_bytes(hashlib.sha256(SDK_TEST_KID.encode()).digest(), "big")
    numbers = ec.derive_private_key(scalar, ec.SECP256R1()).public_key().public_numbers()
    return _jwk(SDK_TEST_KID, numbers, SDK_TEST_KEY_CREATED_AT, None)


def _jwk(
    kid: str, numbers: ec.EllipticCurvePublicNumbers, created_at: int, expired_at: int | None
) -> dict[str, Any]:
    return {
        "alg": "ES256",
        "crv": "P-256",
        "kty": "EC",
        "use": "sig",
        "kid": kid,
        "x": _b64url_int(numbers.x),
        "y": _b64url_int(numbers.y),
        "created_at": created_at,
        "expired_at": expired_at,
    }


def private_pem(key: WebhookKey) -> str:
    """The key's PEM: unsealed with the keyring of the session that loaded it."""
    session = object_session(key)
    if session is None:  # a transient copy (a dispatcher's claim) holds the clear PEM
        return key.private_pem
    return keyring.for_session(session).unseal(key.private_pem)


def public_jwk(key: WebhookKey) -> dict[str, Any]:
    """The public half of ``key`` as Plaid's JWK object."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = serialization.load_pem_private_key(private_pem(key).encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    numbers = private.public_key().public_numbers()
    expired_at = int(key.expired_at.timestamp()) if key.expired_at else None
    return _jwk(key.kid, numbers, int(key.created_at.timestamp()), expired_at)


def sign(key: WebhookKey, body: bytes, now: dt.datetime) -> str:
    """The ``Plaid-Verification`` header value for exactly these body bytes."""
    import jwt

    claims = {"iat": int(now.timestamp()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
    return jwt.encode(
        claims, private_pem(key), algorithm="ES256", headers={"kid": key.kid, "typ": "JWT"}
    )


def verify(session: Session, header: str, body: bytes, now: dt.datetime) -> bool:
    """Whether ``header`` is a fresh ``Plaid-Verification`` JWT by one of our keys for ``body``."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        kid = jwt.get_unverified_header(header).get("kid")
        key = session.get(WebhookKey, kid) if isinstance(kid, str) else None
        if key is None:
            return False
        private = serialization.load_pem_private_key(private_pem(key).encode(), password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        claims = jwt.decode(header, private.public_key(), algorithms=["ES256"])
    except (jwt.PyJWTError, ValueError):
        return False
    fresh = abs(now.timestamp() - float(claims.get("iat", 0))) <= MAX_AGE_SECONDS
    digest = hashlib.sha256(body).hexdigest()
    return fresh and hmac.compare_digest(str(claims.get("request_body_sha256", "")), digest)
