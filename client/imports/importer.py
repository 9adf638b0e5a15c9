"""``import_file``: read a bank file, find its account, drop what is known, store the rest.

All or nothing: the file is read and checked in full before anything is written, and the
rows are written in one transaction. A dry run does the same work and rolls back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from client.imports.adopt import file_account_id
from client.imports.csv_layouts import Mapping, check_mapping, signature
from client.imports.csv_reader import read_csv
from client.imports.matching import WINDOW, Known, match, payee_key
from client.imports.ofx_reader import looks_like_ofx, read_ofx
from client.imports.rows import FileRow, ImportFileError, ParsedFile
from client.providers.model import (
    LocalTransaction,
    ProviderCategory,
    TransactionDetails,
    normalise_payee,
)
from client.store.db import Store
from client.store.models import Account, Connection, ImportBatch, ImportMapping, Transaction
from client.store.types import BIGINT_MAX
from client.sync.rows import PageContext, row_values

__all__ = ["ImportFileError", "ImportReport", "import_file"]

DEFAULT_USER = "default"
MASK = re.compile(r"[A-Za-z0-9]{2,4}")  # Plaid's mask: the number's last 2-4 letters or digits
PDF_MAGIC = b"%PDF-"  # within a PDF's first 1,024 bytes
PDF_REFUSED = (
    "a PDF statement cannot be imported: download the account's CSV, OFX or QFX export instead"
)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    filename: str
    format: str
    account_id: int | None = None
    account_name: str = ""
    new_account: bool = False  # no account had the file's: one was made, for an API link to adopt
    bank: str | None = None  # the file's bank, when only its accounts were looked among
    added: list[FileRow] = field(default_factory=list)
    matched: list[FileRow] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)
    dry_run: bool = False


def import_file(
    store: Store,
    path: str | Path,
    *,
    user_ref: str | None = DEFAULT_USER,
    account: str | None = None,
    mapping: Mapping | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import ``path`` (CSV or OFX/QFX) into ``account`` (local id or last four digits; the
    file's own account number otherwise). ``mapping`` reads an unknown CSV layout and is
    saved for that header. ``user_ref=None`` looks among every user's accounts (the one
    found decides whose rows they are; last four digits that several users' accounts end
    in are refused); mappings are then the default user's."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ImportFileError(None, f"cannot read {source}: {exc.strerror}") from None
    try:
        return _run(store, source, data, user_ref, account, mapping, dry_run)
    except _DryRunDone as done:
        return done.report


class _DryRunDone(Exception):
    """Leaves the transaction so that it rolls back, carrying the report out."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def _run(
    store: Store,
    source: Path,
    data: bytes,
    user_ref: str | None,
    account: str | None,
    mapping: Mapping | None,
    dry_run: bool,
) -> ImportReport:
    with store.session() as session:
        parsed = _parse(session, user_ref or DEFAULT_USER, data, mapping, account)
        target, new = _account(session, user_ref, parsed, account)
        owner = target.user_ref
        report = ImportReport(source.name, parsed.format, skipped_lines=parsed.skipped)
        report.account_id, report.account_name, report.new_account = target.id, target.name, new
        report.bank = parsed.bank if parsed.institution_id else None
        known = _known(session, target, parsed.rows)
        _sort(parsed, target, known, report)
        _store(session, owner, target, parsed, report.added)
        session.add(
            ImportBatch(
                user_ref=owner,
                account_id=target.id,
                filename=source.name[:300],
                sha256=hashlib.sha256(data).hexdigest(),
                format=parsed.format,
                added=len(report.added),
                matched=len(report.matched),
                skipped=len(report.skipped_lines),
            )
        )
        session.flush()
        if dry_run:
            report.dry_run = True
            raise _DryRunDone(report)
    return report


def _parse(
    session: Session, user_ref: str, data: bytes, mapping: Mapping | None, account: str | None
) -> ParsedFile:
    if PDF_MAGIC in data[:1024]:  # read as CSV, a PDF failed on a line break deep inside
        raise ImportFileError(None, PDF_REFUSED)
    if looks_like_ofx(data):
        return read_ofx(data, account)
    saved = {
        m.signature: m.mapping
        for m in session.scalars(select(ImportMapping).where(ImportMapping.user_ref == user_ref))
    }
    parsed, header = read_csv(data, saved, mapping)
    if mapping is not None:
        sig = signature(header)
        row = session.scalar(
            select(ImportMapping).where(
                ImportMapping.user_ref == user_ref, ImportMapping.signature == sig
            )
        )
        if row is None:
            row = ImportMapping(user_ref=user_ref, signature=sig[:500])
            session.add(row)
        row.bank = str(mapping.get("bank") or "custom")
        row.mapping = check_mapping(mapping, [c.strip() for c in header])
    return parsed


def _account(
    session: Session, user_ref: str | None, parsed: ParsedFile, wanted: str | None
) -> tuple[Account, bool]:
    """The account the file belongs to: the one asked for, the user's (any user's, without
    one) account with the file's last four digits, or a new account that a later API link
    adopts (the flag says it is new)."""
    mine = select(Account)
    if user_ref is not None:
        mine = mine.where(Account.user_ref == user_ref)
    if wanted and wanted.isascii() and wanted.isdigit() and len(wanted) != 4:
        number = int(wanted)
        found = session.scalar(mine.where(Account.id == number)) if number <= BIGINT_MAX else None
        if found is None:
            raise ImportFileError(None, f"account {wanted}: no such account")
        return found, False
    if wanted and not MASK.fullmatch(wanted):
        raise ImportFileError(
            None, f"account {wanted!r}: neither an account id nor an account's last 4 digits"
        )
    if not wanted and parsed.account_id:
        found = session.scalar(mine.where(Account.provider_id == parsed.account_id))
        if found is None:
            raise ImportFileError(
                None,
                f"no account here is the file's ({parsed.account_id}): pass the account (id "
                "or last 4)",
            )
        return found, False
    mask = wanted or parsed.mask
    if mask is None:
        raise ImportFileError(
            None, "the file does not say which account it is: pass the account (id or last 4)"
        )
    candidates = list(session.scalars(mine.where(Account.mask == mask)))
    if parsed.institution_id:
        candidates = [a for a in candidates if a.institution_id in (None, parsed.institution_id)]
    if len(candidates) > 1:
        named = ", ".join(f"{a.id} ({a.user_ref})" for a in sorted(candidates, key=lambda a: a.id))
        how = "the account id" if user_ref else "the user (--user) or the account id"
        raise ImportFileError(None, f"several accounts end in {mask}: {named}; name {how}")
    if candidates:
        return candidates[0], False
    owner = user_ref or DEFAULT_USER
    created = Account(
        user_ref=owner,
        provider_id=file_account_id(owner, parsed.institution_id, mask),
        institution_id=parsed.institution_id,
        name=f"{parsed.bank or 'Imported'} ...{mask}",
        mask=mask,
        type=parsed.kind or "depository",
        currency=parsed.currency or "USD",
    )
    session.add(created)
    session.flush()
    return created, True


def _known(session: Session, account: Account, rows: list[FileRow]) -> list[Transaction]:
    """The account's live rows in the file's date range (plus the matching window)."""
    if not rows:
        return []
    first = _shifted(min(r.date for r in rows), -WINDOW)
    last = _shifted(max(r.date for r in rows), WINDOW)
    return list(
        session.scalars(
            select(Transaction).where(
                Transaction.account_id == account.id,
                Transaction.removed_at.is_(None),
                Transaction.date >= first,
                Transaction.date <= last,
            )
        )
    )


def _shifted(day: dt.date, by: dt.timedelta) -> dt.date:
    """``day`` moved by ``by``, stopping at the calendar's ends (a file may date a row
    9999-12-31, and the matching window must not overflow past it)."""
    try:
        return day + by
    except OverflowError:
        return dt.date.max if by > dt.timedelta(0) else dt.date.min


def _sort(
    parsed: ParsedFile, account: Account, known: list[Transaction], report: ImportReport
) -> None:
    """Split rows into matched (by FITID, else fingerprint) and added."""
    by_provider = {t.provider_id: t for t in known}
    fitted, claimed = set(), set()
    for n, row in enumerate(parsed.rows):
        same = [by_provider[k] for k in (row.fitid, _provider_id(account, row)) if k in by_provider]
        if row.fitid and same:
            fitted.add(n)
            claimed.add(same[0].id)
    rest = [n for n in range(len(parsed.rows)) if n not in fitted]
    candidates = [Known(t.id, t.date, t.amount, t.description) for t in known]
    found = match(
        [(parsed.rows[n].date, parsed.rows[n].amount, parsed.rows[n].description) for n in rest],
        [k for k in candidates if k.id not in claimed],
    )
    matched = fitted | {rest[i] for i in found}
    for n, row in enumerate(parsed.rows):
        (report.matched if n in matched else report.added).append(row)


def _provider_id(account: Account, row: FileRow) -> str:
    """A stable id for a file row: its FITID/reference, else its fingerprint and rank."""
    if row.fitid:
        return f"file:{account.id}:{row.fitid}"[:100]
    return f"file:{account.id}:{row.date}:{row.amount}:{payee_key(row.description)[:40]}"


def _store(
    session: Session, user_ref: str, account: Account, parsed: ParsedFile, rows: list[FileRow]
) -> None:
    """Insert the new rows with payee, category and the user's rules, like a sync page."""
    conn = session.get(Connection, account.connection_id) if account.connection_id else None
    conn = conn or Connection(user_ref=user_ref, settings={}, item_id=None)  # rules only
    context = PageContext.load(session, conn, [account])
    learned = _learned_categories(session, user_ref)
    prefix = f"file:{account.id}:"
    taken = set(
        session.scalars(
            select(Transaction.provider_id).where(Transaction.provider_id.startswith(prefix))
        )
    )
    values = []
    for row in rows:
        base = ident = _provider_id(account, row)
        rank = 1
        while ident in taken:
            rank += 1
            ident = f"{base}:{rank}"[:100]
        taken.add(ident)
        txn = _local(account, parsed, row, ident, learned)
        values.append(row_values(conn, account, txn, context))
    if values:
        session.execute(insert(Transaction), values)


def _local(
    account: Account, parsed: ParsedFile, row: FileRow, ident: str, learned: dict[str, str]
) -> LocalTransaction:
    payee = normalise_payee(row.description)
    category = row.category or learned.get(payee_key(row.description))
    source = "ofx" if parsed.format in ("ofx", "qfx") else "csv"
    return LocalTransaction(
        provider_id=ident,
        account_provider_id=account.provider_id,
        amount=Decimal(row.amount),
        currency=parsed.currency or account.currency,
        date=row.date,
        description=row.description,
        payee=payee,
        category=category,
        pending=False,
        source=source,
        details=TransactionDetails(
            category=ProviderCategory(),
            check_number=row.check_number,
            original_description=row.description,
        ),
    )


def _learned_categories(session: Session, user_ref: str) -> dict[str, str]:
    """The category API data gave each payee before: files get the same (category mapping)."""
    rows = session.execute(
        select(Transaction.description, Transaction.category)
        .join(Account, Account.id == Transaction.account_id)
        .where(Account.user_ref == user_ref, Transaction.category.is_not(None))
        .order_by(Transaction.date)
    )
    return {payee_key(description): category for description, category in rows if category}
