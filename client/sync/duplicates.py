"""Duplicate Items: the same app user linking the same bank login again.

Plaid bills every Item and sends each its webhooks, so a second Item of a login the user has
already linked would double the overview, the syncs and the bill ("Preventing duplicate
Items" in Plaid's Link docs). Link's onSuccess metadata does not reach this library (the app's
server gets only the public token), so the check runs right after the exchange, on what
/item/get and /accounts/get say: the same user, the same institution, and accounts with the
same names, masks, types and subtypes as those of a connection still linked. The sandbox sends
no `persistent_account_id`, so those four fields are the whole comparison.

The check and the new connection's insert run under the user's `LINK_LOCK`
(`client.store.locks`), so that Links of one login finishing at the same instant, in one
process or several sharing the store, connect once: the others wait, then find that
connection.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.providers.model import LocalAccount
from client.store.models import Account, Connection, ConnectionStatus, Cut

LINK_LOCK = "bc_links"  # held per user from the twin check to the new connection's commit


class DuplicateConnection(Exception):
    """The new Item is a login the user has already linked: it is removed at the provider
    (nothing is billed; `new_item_removed` is False when the provider refused that) and the
    existing connection, `connection_id`, is kept as it was.

    `login_required`: that connection waits for the user to sign in again, which Plaid's
    update mode does (`BankSync.repair_link`) without a new Item."""

    def __init__(self, connection_id: int, institution_name: str | None, status: str) -> None:
        super().__init__(connection_id, institution_name, status)
        self.connection_id, self.institution_name = connection_id, institution_name
        self.login_required = status == ConnectionStatus.LOGIN_REQUIRED
        self.new_item_removed = True  # until a removal at the provider fails

    def __str__(self) -> str:
        bank = self.institution_name or "this bank"
        removal = (
            "the new link was removed"
            if self.new_item_removed
            else "the new link could not be removed at the provider: remove it there"
        )
        advice = (
            "; it needs a new sign-in: repair it in update mode "
            f"(bank-client reconnect {self.connection_id})"
            if self.login_required
            else ""
        )
        return (
            f"already connected: {bank} is connection {self.connection_id} with the same "
            f"accounts; {removal}{advice}"
        )


def live_twin(
    session: Session,
    provider: str,
    user_ref: str,
    institution_id: str | None,
    accounts: list[LocalAccount],
) -> Connection | None:
    """The user's oldest `provider` connection still linked (active, in error or waiting for a
    sign-in) at `institution_id` that holds every one of `accounts`, as another Item of the
    same login sees them: the new Item would bring nothing new. An Item with an account none
    of them holds is connected, as another login may share an account's name and mask (the
    sandbox's user_good and user_transactions_dynamic both have "Plaid Checking" 0000); a login
    linked again to share more accounts belongs in update mode with account selection.

    Another user's connections are never candidates; a disconnected one is not a duplicate
    but what a new Item takes over (`BankSync.connect_in_place`, `reconnect`)."""
    wanted = {_login_key(a.mask, a.type, a.subtype, Cut.account_name(a.name)) for a in accounts}
    if institution_id is None or not wanted:
        return None
    candidates = session.scalars(
        select(Connection)
        .where(
            Connection.provider == provider,
            Connection.user_ref == user_ref,
            Connection.institution_id == institution_id,
            Connection.status != ConnectionStatus.DISCONNECTED,
            Connection.access_token_enc.is_not(None),
        )
        .order_by(Connection.id)
    )
    for conn in candidates:
        held = session.execute(
            select(Account.mask, Account.type, Account.subtype, Account.name).where(
                Account.connection_id == conn.id
            )
        )
        if wanted <= {_login_key(*row) for row in held}:
            return conn
    return None


def _login_key(mask: str | None, kind: str, subtype: str | None, name: str) -> tuple[Any, ...]:
    """What another Item of the same login keeps of an account: its ids are new, these are
    not (Plaid's `persistent_account_id` would be better; the sandbox does not send it)."""
    return (mask, kind, subtype, name)
