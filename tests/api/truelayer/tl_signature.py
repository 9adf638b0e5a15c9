"""Checking a ``Tl-Signature`` as TrueLayer's ``truelayer-signing`` libraries do (version 2):
an ES512 JWS with its payload left out, over ``POST <path>\\n``, each header its JOSE header's
``tl_headers`` lists as ``Name: value\\n``, then the body; the key found by ``kid`` in a JWKS."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jose_header(signature: str) -> dict[str, Any]:
    """The JOSE header of a detached JWS (``<header>..<signature>``)."""
    header, payload, _ = signature.split(".")
    assert payload == "", "the payload must be detached"
    found: dict[str, Any] = json.loads(_unb64(header))
    return found


def verify(
    signature: str, url: str, headers: Mapping[str, str], body: bytes, jwks: dict[str, Any]
) -> None:
    """Raise ``InvalidSignature`` unless ``signature`` signs this POST with a key of ``jwks``."""
    header, _, raw_signature = signature.split(".")
    jose = jose_header(signature)
    assert (jose["alg"], jose["tl_version"]) == ("ES512", "2")
    [jwk] = [k for k in jwks["keys"] if k["kid"] == jose["kid"]]
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_unb64(jwk["x"]), "big"),
        int.from_bytes(_unb64(jwk["y"]), "big"),
        ec.SECP521R1(),
    )
    signed = "".join(f"{name}: {headers[name]}\n" for name in jose["tl_headers"].split(","))
    payload = f"POST {urlsplit(url).path}\n{signed}".encode() + body
    raw = _unb64(raw_signature)
    der = encode_dss_signature(int.from_bytes(raw[:66], "big"), int.from_bytes(raw[66:], "big"))
    message = f"{header}.{_b64(payload)}".encode()
    numbers.public_key().verify(der, message, ec.ECDSA(hashes.SHA512()))
