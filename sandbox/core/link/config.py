"""Rules a Link configuration must follow before ``/link/token/create`` stores it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidField, InvalidProduct

LOCAL_HOSTS = ("localhost", "127.0.0.1")


def check(config: dict[str, Any]) -> None:
    """Refuse what Plaid refuses: ``balance`` as an initial product, a bad ``redirect_uri``."""
    if "balance" in (config.get("products") or []):
        # Balance comes with every item; Plaid refuses it as an initial product.
        raise InvalidProduct("balance is not a valid initial product", field="products")
    if config.get("redirect_uri"):
        check_redirect_uri(config["redirect_uri"])


def check_redirect_uri(uri: str) -> None:
    """HTTPS (or http://localhost in the sandbox), no query string, no fragment, no wildcard."""
    parts = urlsplit(uri)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if (parts.scheme != "https" and not local) or parts.query or parts.fragment or "*" in uri:
        raise InvalidField(
            "redirect_uri must be an https URL (or http://localhost) without query string, "
            "fragment or wildcard",
            field="redirect_uri",
        )
