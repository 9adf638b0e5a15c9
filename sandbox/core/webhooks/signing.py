"""ES256 keys per tenant and the ``Plaid-Verification`` JWT that signs each webhook body;
ES512 keys and the detached JWS another dialect signs its webhook requests with.

Plaid signs ``{"iat", "request_body_sha256"}`` with an ECDSA P-256 key named by ``kid``
in the JWT header; receivers fetch the public JWK from ``/webhook_verification_key/get``.
Retired keys keep being served with ``expired_at`` set, and are never used to sign.
Private keys are stored encrypted with the server key (``core.keyring``).

A ``RequestSignature`` (TrueLayer's ``Tl-Signature``, in the shape its ``truelayer-signing``
libraries verify) signs the request itself: ``POST <path>\n``, then ``Name: value\n`` for
each signed header, then the body, with an ES512 key (P-521), as a JWS whose payload is left
out (``<header>..<signature>``). The dialect names the headers and adds its JOSE fields.

PyJWT and ``cryptography`` are imported inside the functions that sign or read keys: the
facade imports this module at start, and a server that sends no webhook never needs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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
JWT_ALG = "ES256"  # the default signature's keys
JWS_ALG = "ES512"  # a ``RequestSignature``'s keys
# Each algorithm's curve name and coordinate size in bytes (P-521: 521 bits round up to 66).
CURVES = {JWT_ALG: ("P-256", 32), JWS_ALG: ("P-521", 66)}


@dataclass(frozen=True)
class RequestSignature:
    """How a dialect signs a webhook request: the header the JWS goes in, the header stamped
    with each attempt's time (signed with the body), its own JOSE header fields, and the
    ``User-Agent`` its requests carry (Plaid's ``Plaid Verifier`` is Plaid's alone)."""

    header: str
    timestamp_header: str
    jose: dict[str, str] = field(default_factory=dict)
    user_agent: str = "bank-sandbox webhooks"

    def as_json(self) -> dict[str, Any]:
        """The form the outbox stores it in."""
        return asdict(self)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_int(value: int, size: int = 32) -> str:
    return _b64url(value.to_bytes(size, "big"))


def current_key(
    session: Session, tenant: Tenant, now: dt.datetime, alg: str = JWT_ALG
) -> WebhookKey:
    """The tenant's signing key for ``alg``, created on first use."""
    key = session.scalar(
        select(WebhookKey)
        .where(
            WebhookKey.tenant_id == tenant.id,
            WebhookKey.alg == alg,
            WebhookKey.expired_at.is_(None),
        )
        .order_by(WebhookKey.created_at.desc())
    )
    return key or _new_key(session, tenant, now, alg)


def rotate(session: Session, tenant: Tenant, now: dt.datetime) -> WebhookKey:
    """Retire every live JWT key (``expired_at`` = now) and start signing with a new one."""
    for key in session.scalars(
        select(WebhookKey).where(
            WebhookKey.tenant_id == tenant.id,
            WebhookKey.alg == JWT_ALG,
            WebhookKey.expired_at.is_(None),
        )
    ):
        key.expired_at = now
    return _new_key(session, tenant, now, JWT_ALG)


def _new_key(session: Session, tenant: Tenant, now: dt.datetime, alg: str) -> WebhookKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP521R1() if alg == JWS_ALG else ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = WebhookKey(
        kid=str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)),
        tenant_id=tenant.id,
        private_pem=keyring.for_session(session).seal(pem),
        created_at=now,
        expired_at=None,
        alg=alg,
    )
    session.add(key)
    session.flush()
    return key


def find(session: Session, tenant: Tenant, kid: str) -> WebhookKey:
    """The tenant's JWT key with this id, or ``InvalidWebhookKeyId``."""
    key = session.get(WebhookKey, kid)
    if key is None or key.tenant_id != tenant.id or key.alg != JWT_ALG:
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


def _private_key(key: WebhookKey) -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = serialization.load_pem_private_key(private_pem(key).encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private


def public_jwk(key: WebhookKey) -> dict[str, Any]:
    """The public half of ``key`` as Plaid's JWK object."""
    numbers = _private_key(key).public_key().public_numbers()
    expired_at = int(key.expired_at.timestamp()) if key.expired_at else None
    return _jwk(key.kid, numbers, int(key.created_at.timestamp()), expired_at)


def jws_keys(session: Session, tenant: Tenant, now: dt.datetime) -> list[dict[str, Any]]:
    """The public JWKs a ``RequestSignature`` of the tenant is verified with (its key is made
    now if none was yet, so a receiver may fetch the set before the first webhook)."""
    key = current_key(session, tenant, now, JWS_ALG)
    numbers = _private_key(key).public_key().public_numbers()
    curve, size = CURVES[JWS_ALG]
    x, y = _b64url_int(numbers.x, size), _b64url_int(numbers.y, size)
    return [{"kty": "EC", "crv": curve, "alg": JWS_ALG, "kid": key.kid, "x": x, "y": y}]


def sign_request(
    key: WebhookKey, signature: RequestSignature, url: str, body: bytes, now: dt.datetime
) -> dict[str, str]:
    """The headers that sign one POST of ``body`` to ``url``: the timestamp and the JWS."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    jose = {"alg": JWS_ALG, "kid": key.kid, **signature.jose}
    header = _b64url(json.dumps(jose, separators=(",", ":")).encode())
    path = urlsplit(url).path or "/"
    payload = f"POST {path}\n{signature.timestamp_header}: {stamp}\n".encode() + body
    der = _private_key(key).sign(f"{header}.{_b64url(payload)}".encode(), ec.ECDSA(hashes.SHA512()))
    r, s = decode_dss_signature(der)
    size = CURVES[JWS_ALG][1]
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {signature.timestamp_header: stamp, signature.header: f"{header}..{_b64url(raw)}"}


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
        if key is None or key.alg != JWT_ALG:
            return False
        private = serialization.load_pem_private_key(private_pem(key).encode(), password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        claims = jwt.decode(header, private.public_key(), algorithms=["ES256"])
    except (jwt.PyJWTError, ValueError):
        return False
    fresh = abs(now.timestamp() - float(claims.get("iat", 0))) <= MAX_AGE_SECONDS
    digest = hashlib.sha256(body).hexdigest()
    return fresh and hmac.compare_digest(str(claims.get("request_body_sha256", "")), digest)
