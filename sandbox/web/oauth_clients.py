"""The banks' OAuth clients and scopes, without Authlib.

Link and TrueLayer's dialog register their clients at the banks on every start of a flow;
this module keeps that free of Authlib, which loads (``oauth_server``) only when a bank's
OAuth endpoint is first called.
"""

from __future__ import annotations

import datetime as dt

from ..core.models import OAuthClient
from ..extensions import db

SCOPES = {
    "accounts": "Account names, types, masks and balances",
    "transactions": "Transactions, including pending ones",
    "identity": "Account holder name, address, email and phone number",
    "auth": "Account and routing numbers",
    "liabilities": "Loan and credit card details",
    "investments": "Holdings and investment transactions",
}


def now() -> dt.datetime:
    """Wall-clock UTC: the bank's clock, not a tenant's simulated one."""
    return dt.datetime.now(dt.UTC)


def register_client(
    tenant_id: int,
    institution_id: str,
    redirect_uri: str,
    client_id: str | None = None,
    *,
    replace: bool = False,
) -> OAuthClient:
    """Register (or extend with ``redirect_uri``) a tenant's client at a bank.

    ``replace`` makes ``redirect_uri`` the only one (Link's own client: whatever an older
    version once stored from a ``Host`` header stops working).
    """
    client_id = client_id or f"{institution_id}-{tenant_id}-link"
    row = db.session.get(OAuthClient, client_id)
    if row is None:
        row = OAuthClient(
            client_id=client_id,
            institution_id=institution_id,
            tenant_id=tenant_id,
            redirect_uris=[],
            scope=" ".join(SCOPES),
            created_at=now(),
        )
        db.session.add(row)
    if replace and row.redirect_uris != [redirect_uri]:
        row.redirect_uris = [redirect_uri]
    elif not replace and redirect_uri not in row.redirect_uris:
        row.redirect_uris = [*row.redirect_uris, redirect_uri]
    db.session.flush()
    return row
