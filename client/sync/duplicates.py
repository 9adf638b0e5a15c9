"""Duplicate Items: the same app user linking the same bank login again (through Plaid or
TrueLayer).

Plaid bills every Item and sends each its webhooks, so a second Item of a login the user has
already linked would double the overview, the syncs and the bill ("Preventing duplicate
Items" in Plaid's Link docs). Link's onSuccess metadata does not reach this library (the app's
server gets only the public token), so the check runs right after the exchange, on what
/item/get and /accounts/get say: the same user, the same institution, and accounts with the
same names, masks, types and subtypes as those of a connection still linked. The sandbox sends
no `persistent_account_id`, so those four fields are the whole comparison. A second TrueLayer
connection of a login would double the overview and the syncs (and spend the bank's
unattended reads twice) the same way: `TrueLayerSync.complete` reads the new connection's
accounts and cards and applies the same rule, under the same lock.

The check and the new connection's insert run under the user's `LINK_LOCK`
(`client.store.locks`), so that Links of one login finishing at the same instant, in one
process or several sharing the store, connect once: the others wait, then find that
connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.providers.model import LocalAccount
from client.store.locks import hold_for_user
from client.store.models import Account, Connection, ConnectionStatus, Cut

LINK_LOCK = "bc_links"  # held per user from the twin check to the new connection's commit


class DuplicateConnection(Exception):
    """The new Item is a login the user has already linked: it is removed at the provider
    (nothing is billed; `new_item_removed` is False when the provider refused that) and the
    existing connection, `connection_id`, is kept as it was.

    `login_required`: that connection waits for the user to sign in again, which repairs it
    without a new connection: `repair` says how (Plaid's update mode, `BankSync.repair_link`;
    TrueLayer's re-consent, `TrueLayerSync.reconsent`)."""

    def __init__(
        self, connection_id: int, institution_name: str | None, status: str, repair: str
    ) -> None:
        super().__init__(connection_id, institution_name, status, repair)
        self.connection_id, self.institution_name = connection_id, institution_name
        self.login_required = status == ConnectionStatus.LOGIN_REQUIRED
        self.repair = repair
        self.new_item_removed = True  # until a removal at the provider fails

    def __str__(self) -> str:
        bank = self.institution_name or "this bank"
        removal = (
            "the new link was removed"
            if self.new_item_removed
            else "the new link could not be removed at the provider: remove it there"
        )
        advice = f"; it needs a new sign-in: repair it {self.repair}" if self.login_required else ""
        return (
            f"already connected: {bank} is connection {self.connection_id} with the same "
            f"accounts; {removal}{advice}"
        )


def refuse_linked_login(
    session: Session,
    provider: str,
    user_ref: str,
    institution_id: str | None,
    accounts: list[LocalAccount],
    repair: Callable[[int], str],
) -> None:
    """Take the user's `LINK_LOCK`, then raise `DuplicateConnection` when a connection of
    theirs still linked has the new connection's login (`live_twin`); `repair(id)` says how
    that connection is repaired when it waits for a sign-in. Call it first in the session
    that inserts the new connection: the lock is held until that session commits, so that a
    Link of the same login finishing meanwhile finds the new connection (`hold_for_user`)."""
    hold_for_user(session, LINK_LOCK, user_ref)
    twin = live_twin(session, provider, user_ref, institution_id, accounts)
    if twin is not None:
        raise DuplicateConnection(
            twin.id, twin.institution_name, twin.status, repair=repair(twin.id)
        )


@contextlib.contextmanager
def removed_unless_kept(
    remove: Callable[[], object], refused: tuple[type[Exception], ...]
) -> Iterator[None]:
    """Remove a new connection at its provider (`remove`: Plaid's /item/remove, TrueLayer's
    /api/delete) if what follows fails before the store keeps its token: the token would be
    lost, and the connection left linked, billed and syncable by no one. Best effort: the first
    error is the one raised, and a `DuplicateConnection` whose removal the provider `refused`
    says so."""
    try:
        yield
    except BaseException as exc:
        try:
            remove()
        except refused:
            if isinstance(exc, DuplicateConnection):
                exc.new_item_removed = False  # its message must not say it was
        raise


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
