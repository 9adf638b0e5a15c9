"""The local accounts of a connection, created or refreshed from what the provider says.

Apart from the page writer because linking (`client.sync.connections`: re-link matching,
balance refreshes) writes accounts without a page of transactions.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from client.imports import adopt as file_imports
from client.providers.model import LocalAccount
from client.store.models import Account, Connection, ConnectionStatus, Cut, utcnow

# In a disconnected connection's settings: the connection that took its accounts over.
LINKED_AGAIN_AS = "linked_again_as"

_ACCOUNTS = cast(Table, Account.__table__)
# Built once, like every statement of a sync with nothing new: building one takes more CPU
# than running it (0.1 ms against 0.05).
_BALANCE_TIMES = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(balance_at=bindparam("now"))
)


def upsert_account(
    session: Session, conn: Connection, acc: LocalAccount, known: Account | None = None
) -> Account:
    """Create or refresh the local account (balances, currency) for a provider account.

    ``known`` is the connection's row for it when the caller has it loaded (every page after
    the first): then nothing is queried, and the changes go out with the page's commit."""
    row = known or session.scalar(select(Account).where(Account.provider_id == acc.provider_id))
    if row is None:
        row = file_imports.file_account(session, conn, acc) or _relinked(session, conn, acc)
    if row is None:
        row = Account(provider_id=acc.provider_id, type=acc.type, currency=acc.currency)
        session.add(row)
    row.connection_id, row.user_ref = conn.id, conn.user_ref
    row.institution_id = conn.institution_id
    row.name, row.official_name, row.mask = _names(acc)
    row.bank_key = acc.bank_key
    row.type, row.subtype, row.currency = acc.type, acc.subtype, acc.currency
    row.current, row.available, row.credit_limit = acc.current, acc.available, acc.limit
    row.balance_at = utcnow()
    if row.id is None:
        session.flush()  # a new account: its id is what transactions point at
    return row


def refresh_accounts(
    session: Session, conn: Connection, accounts: dict[str, Account], incoming: list[LocalAccount]
) -> None:
    """`upsert_account` for each account a page names, into ``accounts`` (the connection's,
    by provider id). Accounts whose facts are unchanged (every page of a sync with nothing
    new) get only their balance time, in one UPDATE for all of them."""
    unchanged: list[Account] = []
    for acc in incoming:
        known = accounts.get(acc.provider_id)
        if known is not None and _same_account(known, conn, acc):
            unchanged.append(known)
        else:
            accounts[acc.provider_id] = upsert_account(session, conn, acc, known)
    if unchanged:
        now = utcnow()
        session.execute(_BALANCE_TIMES, {"ids": [row.id for row in unchanged], "now": now})
        for row in unchanged:
            set_committed_value(row, "balance_at", now)


def _same_account(row: Account, conn: Connection, acc: LocalAccount) -> bool:
    """Whether `upsert_account` would change nothing but the balance time."""
    return (
        row.connection_id == conn.id
        and row.user_ref == conn.user_ref
        and row.institution_id == conn.institution_id
        and (row.name, row.official_name, row.mask) == _names(acc)
        and row.bank_key == acc.bank_key
        and (row.type, row.subtype, row.currency) == (acc.type, acc.subtype, acc.currency)
        and (row.current, row.available, row.credit_limit)
        == (acc.current, acc.available, acc.limit)
    )


def _relinked(session: Session, conn: Connection, acc: LocalAccount) -> Account | None:
    """The account a re-link reads under new ids (TrueLayer's are new on every connection,
    and on a new consent of the same connection): the same user's account at the same provider
    and bank with the same `bank_key`, of a disconnected connection or of this one. It takes the
    new id and keeps its history, which this connection's sync then adopts (`adopt_history`)
    instead of storing it again; the connection it leaves remembers where its accounts went
    (`LINKED_AGAIN_AS`). Another user's accounts are never candidates, and neither are those of
    another connection still linked: it keeps its own."""
    if acc.bank_key is None:
        return None
    row = session.scalar(
        select(Account)
        .join(Connection, Account.connection_id == Connection.id)
        .where(
            Account.user_ref == conn.user_ref,
            Account.bank_key == acc.bank_key,
            Account.institution_id.is_not_distinct_from(conn.institution_id),
            Connection.provider == conn.provider,
            or_(Connection.id == conn.id, Connection.status == ConnectionStatus.DISCONNECTED),
        )
        .order_by(Connection.id != conn.id, Account.id)
        .limit(1)
    )
    if row is not None:
        row.provider_id = acc.provider_id
        conn.settings = {**conn.settings, "adopt_history": True}
        left = row.connection
        if left is not None and left.id != conn.id:
            left.settings = {**left.settings, LINKED_AGAIN_AS: conn.id}
    return row


def _names(acc: LocalAccount) -> tuple[str, str | None, str | None]:
    """The account's name, official name and mask as the store keeps them: names the provider
    sends longer than their columns cut to fit (`Cut`), on every store alike."""
    return Cut.account_name(acc.name), Cut.account_official_name(acc.official_name), acc.mask
