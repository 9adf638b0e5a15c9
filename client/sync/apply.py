"""Write one planned page into the store (the caller commits it with the cursor)."""

from __future__ import annotations

import datetime as dt
import operator
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from client.imports import adopt as file_imports
from client.providers.model import LocalAccount, LocalTransaction, TransactionDetails
from client.store.models import (
    MANUAL_SOURCE,
    USER_FIELDS,
    Account,
    Connection,
    Rule,
    Transaction,
    utcnow,
)
from client.store.taxonomy import builtin_ids, kind_of
from client.sync.merge import Plan
from client.sync.rules import Outcome, apply_rules, from_settings
from client.sync.rules import Rule as RuleSpec


@dataclass
class Counts:
    """Rows created, updated and removed (tombstoned) by one page."""

    added: int = 0
    modified: int = 0
    removed: int = 0


@dataclass(frozen=True)
class PageContext:
    """What every row of a page needs: category ids, the rules in order, own account masks."""

    categories: dict[str, int]
    rules: list[RuleSpec]
    masks: frozenset[str]

    @classmethod
    def load(cls, session: Session, conn: Connection, accounts: Iterable[Account]) -> PageContext:
        """Read categories and rules once per page, not once per row."""
        categories = builtin_ids(session)
        own = session.scalars(
            select(Rule).where(Rule.user_ref == conn.user_ref).order_by(Rule.position, Rule.id)
        )
        rules = [RuleSpec(r.pattern, r.payee, r.category_id, r.ignore) for r in own]
        rules += from_settings(conn.settings.get("rules", []), categories)
        masks = frozenset(a.mask for a in accounts if a.mask)
        return cls(categories, rules, masks)

    def category_id(self, txn: LocalTransaction) -> int | None:
        """The built-in category of the provider's code (its primary when the code is new)."""
        code = txn.category
        found = self.categories.get(code) if code else None
        return found or self.categories.get(txn.details.category.primary or "")

    def outcome(self, txn: LocalTransaction) -> Outcome:
        """The rules' decision for this transaction."""
        transfer = kind_of(txn.category or txn.details.category.primary) == "transfer"
        return apply_rules(txn, self.rules, self.masks, transfer=transfer)


def upsert_account(
    session: Session, conn: Connection, acc: LocalAccount, known: Account | None = None
) -> Account:
    """Create or refresh the local account (balances, currency) for a provider account.

    ``known`` is the connection's row for it when the caller has it loaded (every page after
    the first): then nothing is queried, and the changes go out with the page's commit."""
    row = known or session.scalar(select(Account).where(Account.provider_id == acc.provider_id))
    if row is None:
        row = file_imports.file_account(session, conn, acc)
    if row is None:
        row = Account(
            provider_id=acc.provider_id, name=acc.name, type=acc.type, currency=acc.currency
        )
        session.add(row)
    row.connection_id, row.user_ref = conn.id, conn.user_ref
    row.institution_id = conn.institution_id
    row.name, row.official_name, row.mask = acc.name, acc.official_name, acc.mask
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
        table = cast(Table, Account.__table__)
        session.execute(
            update(table)
            .where(table.c.id.in_([row.id for row in unchanged]))
            .values(balance_at=now)
        )
        for row in unchanged:
            set_committed_value(row, "balance_at", now)


def _same_account(row: Account, conn: Connection, acc: LocalAccount) -> bool:
    """Whether `upsert_account` would change nothing but the balance time."""
    return (
        row.connection_id == conn.id
        and row.user_ref == conn.user_ref
        and row.institution_id == conn.institution_id
        and (row.name, row.official_name, row.mask) == (acc.name, acc.official_name, acc.mask)
        and (row.type, row.subtype, row.currency) == (acc.type, acc.subtype, acc.currency)
        and (row.current, row.available, row.credit_limit)
        == (acc.current, acc.available, acc.limit)
    )


def apply_plan(
    session: Session, conn: Connection, plan: Plan, accounts: dict[str, Account]
) -> Counts:
    """Tombstone removals, then upsert by provider id: replays update in place, no duplicates.

    Rows known by provider id are written with one executemany each for inserts and updates;
    a row adopted from an earlier Item or a file goes through the ORM, flushed before them."""
    counts = Counts(removed=tombstone(session, conn, plan.deletes))
    if not plan.upserts:
        return counts
    context = PageContext.load(session, conn, accounts.values())
    selected = conn.settings.get("account_ids")
    existing = _existing(session, [*plan.upserts, *_replaced(plan)])
    file_imports.prime_imports(session, list(accounts.values()))
    earlier = EarlierItems.load(session, conn, plan.upserts.values(), accounts)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for txn in plan.upserts.values():
        if selected is not None and txn.account_provider_id not in selected:
            continue
        account = accounts.get(txn.account_provider_id)
        if account is None:
            continue  # DIVERGES: investment accounts never carry sync transactions
        values = row_values(conn, account, txn, context)
        pending = existing.get(txn.pending_provider_id or "")
        row = existing.get(txn.provider_id)
        if row is not None:
            if txn.pending_provider_id is None:  # read again without it (TrueLayer's overlap)
                values["pending_provider_id"] = row.pending_provider_id
            update = {**values, **_carried(row, pending)}
            updates.append({"row_id": row.id, **update})
            counts.added += row.removed_at is not None  # a tombstone back
            counts.modified += row.removed_at is None and _changes(row, update)
        elif (adopted := _adopt(session, account, txn, earlier)) is not None:
            for name, value in {**values, **_carried(adopted, pending)}.items():
                setattr(adopted, name, value)
            counts.modified += 1
        else:
            inserts.append({**values, **_carried(None, pending)})
            counts.added += 1
    session.flush()  # adopted rows first: they give up the ids the new rows may take
    if inserts:
        _insert_rows(session, inserts)
    if updates:
        session.execute(_UPDATE, updates)
    session.flush()
    return counts


# One batch per page for inserts and one executemany for updates: every row carries the same
# keys, so the driver gets one batch (the ORM's bulk path regroups rows by their NULL columns
# and compiles each group: hundreds of statements for a 500-row page).
_TABLE = cast(Table, Transaction.__table__)
_INSERT = insert(_TABLE)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .execution_options(synchronize_session=False)
)


def _insert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """New rows, as `session.execute(insert(Transaction), rows)` writes them (the same columns
    and each column's own bind processing), with the per-row work in one tight loop. Rows must
    carry every column but the id (`row_values` + `_carried`); otherwise the statement's
    defaults would be missing, so Core writes them.

    On PostgreSQL through psycopg 3 (the driver a `postgresql://` store URL gets) the batch is
    a `COPY`: psycopg's pipelined executemany of a 500-row page stalled for about 200 ms in
    one page of two on loopback (a TCP timer, likely the persist timer of a full receive
    window), so a first sync of 1,924 rows took 430-1,070 ms; `COPY` writes a page in about
    12 ms, with half the CPU. Elsewhere it is the driver's executemany of the compiled INSERT."""
    connection = session.connection()
    writer = _writers.get(connection.dialect)
    keys = tuple(rows[0])
    if writer is None or writer.keys != keys:
        writer = _writers[connection.dialect] = _RowWriter(connection.dialect, keys)
    if writer.sql is None:
        session.execute(_INSERT, rows)
    elif writer.copy_sql is not None:
        writer.copy(connection.connection.driver_connection, rows)
    else:
        connection.exec_driver_sql(writer.sql, writer.params(rows))


class _RowWriter:
    """The compiled INSERT (and, on PostgreSQL, the COPY) for one dialect and one set of keys,
    with each column's bind processor (TypeDecorators included), as SQLAlchemy would apply
    them."""

    def __init__(self, dialect: Any, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.dialect = dialect
        compiled = _INSERT.compile(dialect=dialect, column_keys=list(keys))
        names = list(compiled.positiontup or ()) if compiled.positional else list(keys)
        complete = set(names) == set(keys) and set(keys) == {
            c.key for c in _TABLE.columns if c.key != "id"
        }
        self.sql: str | None = compiled.string if complete else None
        self.copy_sql: str | None = None
        if complete and dialect.driver == "psycopg":  # psycopg 3's COPY API (not psycopg2's)
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.format_column(_TABLE.c[name]) for name in names)
            self.copy_sql = f"COPY {quote.format_table(_TABLE)} ({columns}) FROM STDIN"
        self.names = names
        self.positional = compiled.positional
        processors = {
            name: _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        }
        self.values = operator.itemgetter(*names)
        self.processed = [(i, p) for i, p in enumerate(processors.values()) if p]

    def tuples(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's processed values, in the statement's column order."""
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(self.values(row))
            for i, process in self.processed:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        """The driver's executemany parameters: tuples, or dicts by name (named paramstyles)."""
        tuples = self.tuples(rows)
        if self.positional:
            return tuples
        return [dict(zip(self.names, values, strict=True)) for values in tuples]

    def copy(self, driver: Any, rows: list[dict[str, Any]]) -> None:
        """`COPY … FROM STDIN` the rows on psycopg's connection, inside the session's
        transaction; a refusal is raised as SQLAlchemy's (`DBAPIError`), as an INSERT's is."""
        assert self.copy_sql is not None
        try:
            with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                for values in self.tuples(rows):
                    copy.write_row(values)
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                self.copy_sql, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from exc


# Per dialect object, that is per engine: bind processors close over its settings (such as
# the Store's JSON serializer).
_writers: weakref.WeakKeyDictionary[Any, _RowWriter] = weakref.WeakKeyDictionary()


def tombstone(session: Session, conn: Connection, provider_ids: Iterable[str]) -> int:
    """Mark rows removed (with when), keeping them and the user's edits; returns how many."""
    ids, removed = list(provider_ids), 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            update(Transaction)
            .where(
                Transaction.provider_id.in_(ids[start : start + 500]),
                Transaction.removed_at.is_(None),
                Transaction.source != MANUAL_SOURCE,
            )
            .values(removed_at=utcnow(), sync_pass=conn.sync_pass)
            .execution_options(synchronize_session=False)
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _replaced(plan: Plan) -> list[str]:
    """Pending ids that posted transactions of this page replace (their edits carry over)."""
    return [t.pending_provider_id for t in plan.upserts.values() if t.pending_provider_id]


def _existing(session: Session, ids: list[str]) -> dict[str, Transaction]:
    """Rows already stored for these provider ids (tombstones too), in chunks for bind limits."""
    found: dict[str, Transaction] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(select(Transaction).where(Transaction.provider_id.in_(chunk))):
            found[row.provider_id] = row
    return found


def _adopt(
    session: Session, account: Account, txn: LocalTransaction, earlier: EarlierItems | None
) -> Transaction | None:
    """Claim the old Item's copy of this transaction after re-linking, or the copy a file
    imported, instead of duplicating it."""
    found = earlier.claim(account, txn) if earlier is not None else None
    return found or file_imports.claim_imported(session, account, txn)


Fingerprint = tuple[int, dt.date, Decimal, str, bool]


class EarlierItems:
    """After a re-link: the rows earlier Items of this connection's accounts stored, by what
    identifies a transaction (account, date, amount, description, pending), read with one
    query per page rather than one per transaction. Each row is handed out once."""

    def __init__(self, item_id: str | None, rows: Iterable[Transaction]) -> None:
        self.item_id = item_id
        self.rows: dict[Fingerprint, list[Transaction]] = {}
        # Pending rows by account and date: the new Item may know one only as posted since.
        self.pending: dict[tuple[int, dt.date], list[Transaction]] = {}
        for row in rows:
            key = (row.account_id, row.date, row.amount, row.description, row.pending)
            self.rows.setdefault(key, []).append(row)
            if row.pending:
                self.pending.setdefault((row.account_id, row.date), []).append(row)

    @classmethod
    def load(
        cls,
        session: Session,
        conn: Connection,
        txns: Iterable[LocalTransaction],
        accounts: dict[str, Account],
    ) -> EarlierItems | None:
        """The page's candidates (live rows of other Items, on the page's accounts and dates),
        oldest first; None unless the connection is adopting its history."""
        if not conn.settings.get("adopt_history"):
            return None
        account_ids = {a.id for a in accounts.values()}
        dates = [t.date for t in txns] + [t.authorized_date for t in txns if t.authorized_date]
        rows = session.scalars(
            select(Transaction)
            .where(
                Transaction.account_id.in_(account_ids),
                Transaction.item_id != conn.item_id,
                Transaction.source != MANUAL_SOURCE,
                Transaction.removed_at.is_(None),
                Transaction.date.between(min(dates), max(dates)),
            )
            .order_by(Transaction.id)
        )
        return cls(conn.item_id, rows)

    def claim(self, account: Account, txn: LocalTransaction) -> Transaction | None:
        """The oldest candidate with this transaction's fingerprint that no transaction of
        this Item has taken yet; for a posted transaction without one, the earlier Item's
        pending copy of it (``_posted_from``)."""
        key = (account.id, txn.date, txn.amount, txn.description, txn.pending)
        candidates = self.rows.get(key, [])
        while candidates:
            row = candidates.pop(0)
            if row.item_id != self.item_id:
                return row
        if txn.pending or txn.authorized_date is None:
            return None
        return self._posted_from(account, txn)

    def _posted_from(self, account: Account, txn: LocalTransaction) -> Transaction | None:
        """The earlier Item's pending row that ``txn`` posted from: pending on the day the
        posted one was authorized, with the same amount (a renamed merchant) or the same
        description (a tip added). Left behind, that row would stay pending beside the posted
        one for good: no sync of the earlier Item will ever remove it."""
        assert txn.authorized_date is not None
        candidates = self.pending.get((account.id, txn.authorized_date), [])
        for row in candidates:
            alike = row.amount == txn.amount or row.description == txn.description
            if alike and row.item_id != self.item_id:
                candidates.remove(row)
                return row
        return None


def row_values(
    conn: Connection, account: Account, txn: LocalTransaction, context: PageContext
) -> dict[str, Any]:
    """The row's provider facts, then payee, category and ignore flag after the rules."""
    outcome = context.outcome(txn)
    return {
        "provider_id": txn.provider_id,
        "account_id": account.id,
        "item_id": conn.item_id,
        "amount": txn.amount,
        "currency": txn.currency,
        "date": txn.date,
        "authorized_date": txn.authorized_date,
        "description": txn.description,
        "category": txn.category,
        "pending": txn.pending,
        "pending_provider_id": txn.pending_provider_id,
        "source": txn.source,
        **_details(txn.details),
        "payee": outcome.payee,
        "category_id": outcome.category_id or context.category_id(txn),
        "ignored": outcome.ignored,
        "sync_pass": conn.sync_pass,
        "removed_at": None,
        "updated_at": utcnow(),
    }


def _details(d: TransactionDetails) -> dict[str, Any]:
    """Merchant, counterparties, place, channel, provider category, times and codes as columns."""
    return {
        "iso_currency_code": d.iso_currency_code,
        "unofficial_currency_code": d.unofficial_currency_code,
        "posted_at": d.posted_at,
        "authorized_at": d.authorized_at,
        "original_description": d.original_description,
        "merchant_name": d.merchant_name,
        "merchant_entity_id": d.merchant_entity_id,
        "logo_url": d.logo_url,
        "website": d.website,
        "counterparties": [dict(vars(c)) for c in d.counterparties],
        "location": dict(d.location),
        "payment_meta": dict(d.payment_meta),
        "payment_channel": d.payment_channel,
        "check_number": d.check_number,
        "transaction_code": d.transaction_code,
        "account_owner": d.account_owner,
        "category_primary": d.category.primary,
        "category_confidence": d.category.confidence_level,
        "category_icon_url": d.category.icon_url,
        "legacy_category": list(d.category.legacy_path),
        "legacy_category_id": d.category.legacy_id,
    }


# Columns every write of a row sets anew: when it was last seen, not what it says.
_SEEN = frozenset({"sync_pass", "updated_at"})


def _changes(row: Transaction, update: dict[str, Any]) -> bool:
    """Whether ``update`` changes what the row says: a transaction read again as it was (as
    TrueLayer's overlapping windows bring them) is written, to mark it seen, but is no
    modification."""
    return any(getattr(row, name) != value for name, value in update.items() if name not in _SEEN)


def _carried(row: Transaction | None, pending: Transaction | None) -> dict[str, Any]:
    """The user's fields of the row, each taken from its pending version when the row has
    none (a posted transaction keeps what the user set while it was pending). Always every
    user field, so one executemany covers all rows."""
    out = {name: getattr(row, name) if row is not None else None for name in USER_FIELDS}
    if pending is None or pending is row:
        return out
    for name in USER_FIELDS:
        if out[name] is None:
            out[name] = getattr(pending, name)
    return out
