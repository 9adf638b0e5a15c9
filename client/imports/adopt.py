"""The sync engine's hook: API data adopts what files imported instead of doubling it.

When a provider account first arrives, an account that a file created (same user, bank and
last four digits) becomes it. When an API transaction is new, a file-imported row of the
same account with the same fingerprint becomes it (keeping the user's edits); the API's
id, payee and category then replace the file's.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.imports.matching import WINDOW, Known, match
from client.providers.model import LocalAccount, LocalTransaction
from client.store.models import Account, Connection, Transaction

IMPORT_SOURCES = ("csv", "ofx", "qfx")
FILE_ACCOUNT_PREFIX = "file:"


def file_account_id(user_ref: str, institution_id: str | None, mask: str | None) -> str:
    """The provider id of an account that only files know so far."""
    return f"{FILE_ACCOUNT_PREFIX}{user_ref}:{institution_id or 'unknown'}:{mask or 'unknown'}"


def file_account(session: Session, conn: Connection, acc: LocalAccount) -> Account | None:
    """The file-made account this provider account is, if one was imported before."""
    if not acc.mask:
        return None
    wanted = file_account_id(conn.user_ref, conn.institution_id, acc.mask)
    row = session.scalar(select(Account).where(Account.provider_id == wanted))
    if row is not None:
        row.provider_id = acc.provider_id
    return row


def _has_imports(session: Session, account: Account) -> bool:
    """Whether the account holds imported rows, asked once per session (a sync page), so
    accounts that never saw a file cost one query per page, not one per transaction."""
    cache: dict[int, bool] = session.info.setdefault("bc_accounts_with_imports", {})
    if account.id not in cache:
        found = session.scalar(
            select(Transaction.id)
            .where(
                Transaction.account_id == account.id,
                Transaction.source.in_(IMPORT_SOURCES),
                Transaction.removed_at.is_(None),
            )
            .limit(1)
        )
        cache[account.id] = found is not None
    return cache[account.id]


def prime_imports(session: Session, accounts: list[Account]) -> None:
    """Answer `_has_imports` for a page's accounts with one query instead of one each."""
    cache: dict[int, bool] = session.info.setdefault("bc_accounts_with_imports", {})
    ids = [a.id for a in accounts if a.id not in cache]
    if not ids:
        return
    found = set(
        session.scalars(
            select(Transaction.account_id)
            .where(
                Transaction.account_id.in_(ids),
                Transaction.source.in_(IMPORT_SOURCES),
                Transaction.removed_at.is_(None),
            )
            .distinct()
        )
    )
    for account_id in ids:
        cache[account_id] = account_id in found


def claim_imported(session: Session, account: Account, txn: LocalTransaction) -> Transaction | None:
    """A file-imported row of ``account`` that is this posted API transaction, if any."""
    if txn.pending or not _has_imports(session, account):
        return None
    candidates = list(
        session.scalars(
            select(Transaction).where(
                Transaction.account_id == account.id,
                Transaction.source.in_(IMPORT_SOURCES),
                Transaction.removed_at.is_(None),
                Transaction.amount == txn.amount,
                Transaction.date >= txn.date - WINDOW,
                Transaction.date <= txn.date + WINDOW,
            )
        )
    )
    known = [Known(t.id, t.date, t.amount, t.description) for t in candidates]
    found = match([(txn.date, txn.amount, txn.description)], known)
    return next((t for t in candidates if t.id == found.get(0)), None)
