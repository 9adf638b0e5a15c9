"""Authentication of Plaid calls: keys in the body or in ``PLAID-CLIENT-ID``/``PLAID-SECRET``.

A ``before_request`` hook parses the JSON body once, takes the keys out of it, and
binds the tenant's ``Bank`` to ``g`` so that no view has to remember to.
"""

from __future__ import annotations

from typing import Any

from flask import g

from ..application import this_request
from ..core.bank import Bank, authenticate, authenticate_call
from ..core.errors import InvalidBody, InvalidHeaders
from ..extensions import current_session, tenant_bank
from .blueprint import bp

UNAUTHENTICATED = {"/categories/get"}
# Calls whose reply shows the item's accounts: they are read with the tenant, in one statement.
ACCOUNTS_REPLIES = {
    "/accounts/get",
    "/accounts/balance/get",
    "/transactions/get",
    "/transactions/sync",
}


@bp.before_request
def load_body_and_tenant() -> None:
    """Parse the body, then resolve the tenant unless the endpoint is public."""
    # ``sandbox.inputs`` has already refused bodies that are too big, too deep, or hold NUL
    # or unpaired surrogates; what is left is whether the body is a JSON object.
    req = this_request()
    data = req.get_data(cache=True)
    headers = req.headers
    if data and "Content-Type" not in headers:
        raise InvalidHeaders(field="Content-Type")  # Plaid's INVALID_HEADERS (plaid.md §5)
    body = req.get_json(silent=True) if data else {}
    if body is None:
        raise InvalidBody("body could not be parsed as JSON", field="body")
    if not isinstance(body, dict):
        raise InvalidBody("request body must be a JSON object", field="body")
    client_id = _key(body.pop("client_id", None)) or headers.get("PLAID-CLIENT-ID")
    secret = _key(body.pop("secret", None)) or headers.get("PLAID-SECRET")
    g.body = body
    path = req.path
    if path in UNAUTHENTICATED:
        return
    token = body.get("access_token")
    if isinstance(token, str) and token:  # the fault gate resolves it next: read it now
        tenant, called = authenticate_call(
            current_session(),
            client_id,
            secret,
            token,
            with_accounts=path in ACCOUNTS_REPLIES,
        )
        g.bank = tenant_bank(tenant, {token: called})
    else:
        g.bank = tenant_bank(authenticate(current_session(), client_id, secret))


def _key(value: object) -> str | None:
    """A key from the body; anything but a string counts as absent (INVALID_API_KEYS)."""
    return value if isinstance(value, str) else None


def current_bank() -> Bank:
    """The tenant-bound bank of the current request."""
    bank: Bank = g.bank
    return bank


def body() -> dict[str, Any]:
    """The request's JSON body without the API keys."""
    data: dict[str, Any] = g.body
    return data
