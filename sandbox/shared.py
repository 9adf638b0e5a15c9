"""Shared mode: what changes when the sandbox serves a team instead of one laptop.

Shared mode is on when the server listens beyond loopback (``HOST`` is not
``127.0.0.1``/``::1``/``localhost``), when ``SHARED=on``, or when an ``ADMIN_TOKEN`` is
configured. Then:

* creating tenants and reading or clearing the webhook catcher need the admin token
  (``Authorization: Bearer <token>`` or ``Sandbox-Admin-Token``); with no token
  configured they are closed (create tenants with the CLI);
* the catcher only stores webhooks signed by this sandbox's own keys;
* webhook targets must match ``WEBHOOK_ALLOWLIST`` (hosts, ``*.domain``, CIDRs);
* reply bodies of webhook targets are hidden from callers without the admin token;
* tenant creation is rate limited per client address and capped in number.

On loopback none of this applies: webhooks to ``127.0.0.1`` stay the main use. Link-local
and cloud metadata addresses are refused in both modes (``core.egress``).
"""

from __future__ import annotations

import hmac

from flask import Flask, current_app, request

from .core.errors import InvalidApiKeys
from .core.webhooks.egress import EgressPolicy

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]", "localhost"})


class AdminTokenRequired(InvalidApiKeys):
    """This shared sandbox needs the admin token for that."""

    condition = "ADMIN_TOKEN_REQUIRED"


def is_shared(app: Flask | None = None) -> bool:
    """Whether the app runs as a shared sandbox (see the module docstring)."""
    config = (app or current_app).config
    setting = str(config["SHARED"]).strip().lower()
    if config["ADMIN_TOKEN"] or setting in ("on", "true", "1"):
        return True
    if setting in ("off", "false", "0"):
        return False
    return str(config["HOST"]).strip().lower() not in LOOPBACK_HOSTS


def has_admin_token() -> bool:
    """Whether the request carries the configured admin token."""
    expected = str(current_app.config["ADMIN_TOKEN"] or "")
    auth = request.headers.get("Authorization", "")
    sent = auth[7:] if auth[:7].lower() == "bearer " else ""
    sent = request.headers.get("Sandbox-Admin-Token", sent)
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def require_admin(action: str) -> None:
    """In shared mode, refuse ``action`` without the admin token."""
    if not is_shared() or has_admin_token():
        return
    how = (
        "send the admin token (Authorization: Bearer <SANDBOX_ADMIN_TOKEN>)"
        if current_app.config["ADMIN_TOKEN"]
        else "no SANDBOX_ADMIN_TOKEN is configured, so use the CLI"
    )
    raise AdminTokenRequired(f"this sandbox is shared: to {action}, {how}", field="Authorization")


def public_url() -> str:
    """The sandbox's own base URL for links it hands out (OAuth redirect URIs, Link URLs).

    ``PUBLIC_URL`` when configured. Otherwise, on loopback, the address the browser used
    if it is a loopback one (``localhost`` and ``127.0.0.1`` both work), else
    ``http://HOST:PORT``. Never an arbitrary ``Host`` header: that would let anyone add
    their own site as a redirect URI (a DNS-rebound page cannot either).
    """
    config = current_app.config
    if config["PUBLIC_URL"]:
        return str(config["PUBLIC_URL"]).rstrip("/")
    if not is_shared() and (request.host.rsplit(":", 1)[0].lower() in LOOPBACK_HOSTS):
        return request.host_url.rstrip("/")
    host = str(config["HOST"])
    return f"http://{f'[{host}]' if ':' in host else host}:{config['PORT']}"


def show_target_replies() -> bool:
    """Whether webhook targets' reply bodies may be shown to this caller."""
    return not is_shared() or has_admin_token()


def egress_policy(app: Flask | None = None) -> EgressPolicy:
    """Where webhooks may go: anywhere but metadata addresses, or the allowlist when shared."""
    app = app or current_app
    entries = str(app.config["WEBHOOK_ALLOWLIST"] or "").split(",")
    return EgressPolicy(
        allowlist=tuple(e.strip().lower() for e in entries if e.strip()),
        restricted=is_shared(app),
    )
