"""Verify Plaid's `Plaid-Verification` JWT: ES256, key by kid, body SHA-256, iat freshness."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt

KeyFetcher = Callable[[str], dict[str, Any]]
MAX_AGE_SECONDS = 5 * 60


class WebhookVerificationError(Exception):
    """The webhook is not provably from Plaid; reject it (HTTP 401)."""


class WebhookVerifier:
    """Checks a webhook the way Plaid documents; keys are cached by `kid`."""

    def __init__(
        self,
        fetch_key: KeyFetcher,
        *,
        max_age: int = MAX_AGE_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.fetch_key = fetch_key
        self.max_age = max_age
        self.now = now
        self._keys: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_client(cls, plaid: Any, **kwargs: Any) -> WebhookVerifier:
        """A verifier that fetches keys with `/webhook_verification_key/get`."""
        return cls(lambda kid: dict(plaid.webhook_verification_key_get(kid)["key"]), **kwargs)

    def verify(self, body: bytes, token: str | None) -> dict[str, Any]:
        """Return the parsed body if the signature, hash and age check out; else raise."""
        if not token:
            raise WebhookVerificationError("missing Plaid-Verification header")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise WebhookVerificationError("malformed JWT") from None
        if header.get("alg") != "ES256" or not header.get("kid"):
            raise WebhookVerificationError("JWT must be ES256 with a kid")
        claims = self._decode(token, self._key(str(header["kid"])))
        self._check_claims(claims, body)
        try:
            parsed: dict[str, Any] = json.loads(body)
        except ValueError:
            raise WebhookVerificationError("body is not JSON") from None
        return parsed

    def _key(self, kid: str) -> dict[str, Any]:
        """Cached JWK; unknown kids are fetched; keys with `expired_at` are refused."""
        with self._lock:
            key = self._keys.get(kid)
        if key is None:
            try:
                key = self.fetch_key(kid)
            except Exception as exc:
                raise WebhookVerificationError(
                    f"cannot fetch key {kid}: {type(exc).__name__}"
                ) from None
            with self._lock:
                self._keys[kid] = key
        if key.get("expired_at"):
            raise WebhookVerificationError("signing key has expired")
        return key

    def _decode(self, token: str, jwk: dict[str, Any]) -> dict[str, Any]:
        """Signature check only; claims are checked by hand to match Plaid's sample."""
        try:
            public = jwt.PyJWK(jwk, algorithm="ES256")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=public,
                algorithms=["ES256"],
                options={"verify_iat": False, "verify_exp": False, "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, KeyError):
            raise WebhookVerificationError("bad signature") from None
        return claims

    def _check_claims(self, claims: dict[str, Any], body: bytes) -> None:
        """Fresh `iat` and a body hash that matches the exact bytes received."""
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or self.now() - iat > self.max_age:
            raise WebhookVerificationError("webhook is too old")
        expected = hashlib.sha256(body).hexdigest()
        given = str(claims.get("request_body_sha256", ""))
        if not hmac.compare_digest(expected, given):
            raise WebhookVerificationError("body hash mismatch")
