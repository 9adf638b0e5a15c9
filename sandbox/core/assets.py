"""Asset Reports: a snapshot of some items' accounts, balances and transactions for lenders.

A report row keeps only what was asked (items, ``days_requested``, options, excluded
accounts) and when; its content is read off the ledger as of that day each time it is
fetched, so it is immutable as Plaid's reports are: refreshing or filtering makes a new one.
Historical balances come from the ledger's daily balance history (``balances.history``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from . import balances, investments, keyring
from .errors import (
    AssetReportDataUnavailable,
    AssetReportNotReady,
    InvalidAssetReportToken,
    InvalidAuditCopyToken,
    InvalidField,
)
from .models import Account, AssetReport, AssetReportAuditCopy, Item, Tenant, Transaction
from .transactions import with_transactions
from .writer import available_balance, pending_outflows

MAX_DAYS = 731
HISTORY_TYPES = {"depository", "credit"}
INVESTMENTS_ADD_ON = "investments"  # ``options.add_ons``: holdings and trades in the report
FAST_ADD_ON = "fast_assets"  # ``options.add_ons``: a Fast report (balances, owners) at once


@dataclass(frozen=True)
class AccountSection:
    """One account of the report: its balances that day, daily history and transactions."""

    account: Account
    current_minor: int
    available_minor: int | None
    days_available: int
    history: list[tuple[dt.date, int]]  # newest first
    transactions: list[Transaction]  # newest first
    investments: investments.Portfolio | None = None  # the ``investments`` add-on's


@dataclass(frozen=True)
class ItemSection:
    """One item of the report."""

    item: Item
    accounts: list[AccountSection]


@dataclass(frozen=True)
class ReportContent:
    """A report as fetched: its row, the day it describes and every item's accounts."""

    record: AssetReport
    as_of: dt.date
    items: list[ItemSection]


def new_token(environment: str = "sandbox") -> str:
    """``assets-sandbox-<uuid>``."""
    return f"assets-{environment}-{uuid.uuid4()}"


def new_audit_copy_token(environment: str = "sandbox") -> str:
    """``a-sandbox-<26 alphanumerics>``, the shape of Plaid's samples."""
    return f"a-{environment}-{uuid.uuid4().hex[:26]}"


def check_days(days: int) -> int:
    """``days_requested`` is 0 to 731."""
    if not 0 <= days <= MAX_DAYS:
        raise InvalidField(f"days_requested must be 0 to {MAX_DAYS}", field="days_requested")
    return days


def create(
    session: Session,
    tenant: Tenant,
    items: list[Item],
    days: int,
    options: dict[str, Any],
    now: dt.datetime,
    *,
    excluded: list[str] | None = None,
) -> tuple[str, AssetReport]:
    """A new report over ``items``; returns its bearer token and its row."""
    token = new_token()
    record = AssetReport(
        token=_digest(session, token),
        tenant_id=tenant.id,
        report_id=str(uuid.uuid4()),
        item_pks=[i.pk for i in items],
        days_requested=check_days(days),
        options=options,
        excluded_account_ids=sorted(excluded or []),
        created_at=now,
    )
    session.add(record)
    session.flush()
    return token, record


def find(session: Session, tenant: Tenant, token: str) -> AssetReport:
    """The live report ``token`` names in ``tenant``."""
    record = session.get(AssetReport, _digest(session, token))
    if record is None or record.tenant_id != tenant.id or record.removed_at is not None:
        raise InvalidAssetReportToken()
    return record


def latest_of(session: Session, item: Item) -> AssetReport | None:
    """The newest live report over ``item`` (reports made at one frozen instant tie; the
    order among them is arbitrary but stable)."""
    reports = session.scalars(
        select(AssetReport)
        .where(AssetReport.tenant_id == item.tenant_id, AssetReport.removed_at.is_(None))
        .order_by(AssetReport.created_at.desc(), AssetReport.report_id)
    )
    return next((r for r in reports if item.pk in r.item_pks), None)


def find_audit_copy(session: Session, tenant: Tenant, token: str) -> AssetReportAuditCopy:
    """The live audit copy ``token`` names (its report must be live too)."""
    copy = session.get(AssetReportAuditCopy, _digest(session, token))
    if (
        copy is None
        or copy.removed_at is not None
        or copy.report.tenant_id != tenant.id
        or copy.report.removed_at is not None
    ):
        raise InvalidAuditCopyToken()
    return copy


def create_audit_copy(
    session: Session, record: AssetReport, auditor_id: str, now: dt.datetime
) -> str:
    """An audit copy of ``record`` for ``auditor_id``; returns its token."""
    token = new_audit_copy_token()
    session.add(
        AssetReportAuditCopy(
            token=_digest(session, token),
            report_token=record.token,
            auditor_id=auditor_id,
            created_at=now,
        )
    )
    session.flush()
    return token


def remove(session: Session, record: AssetReport, now: dt.datetime) -> None:
    """Remove the report; its audit copies stop working with it.

    One conditional UPDATE decides: of two removals racing on one report, the one whose
    UPDATE finds it still live wins, and the other gets what a later removal gets
    (PostgreSQL re-checks the WHERE after the winner commits; SQLite runs writers one by one).
    """
    won = session.execute(
        update(AssetReport)
        .where(AssetReport.token == record.token, AssetReport.removed_at.is_(None))
        .values(removed_at=now)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
        raise InvalidAssetReportToken()
    session.execute(
        update(AssetReportAuditCopy)
        .where(
            AssetReportAuditCopy.report_token == record.token,
            AssetReportAuditCopy.removed_at.is_(None),
        )
        .values(removed_at=now)
    )


def forget(session: Session, tenant: Tenant) -> None:
    """Delete every report of ``tenant`` (a tenant reset; audit copies cascade)."""
    session.execute(delete(AssetReport).where(AssetReport.tenant_id == tenant.id))


def items_of(session: Session, record: AssetReport) -> list[Item]:
    """The report's items; one gone for good (a tenant reset) is ``DATA_UNAVAILABLE``."""
    found = {i.pk: i for i in session.scalars(select(Item).where(Item.pk.in_(record.item_pks)))}
    if set(found) != set(record.item_pks):
        raise AssetReportDataUnavailable()
    return [found[pk] for pk in record.item_pks]


def check_ready(record: AssetReport, now: dt.datetime, ready_after: dt.timedelta) -> None:
    """``PRODUCT_NOT_READY`` while the report is being built: until then there is nothing
    to read, refresh, filter or hand to an auditor."""
    if now < record.created_at + ready_after:
        raise AssetReportNotReady()


def add_ons(options: dict[str, Any]) -> set[str]:
    """The add-ons a report was asked for (``options.add_ons``)."""
    return set(options.get("add_ons") or ())


def build(
    session: Session,
    record: AssetReport,
    now: dt.datetime,
    ready_after: dt.timedelta,
    days_to_include: int | None = None,
    *,
    fast: bool = False,
) -> ReportContent:
    """The report's content as of the day it was made (``PRODUCT_NOT_READY`` until built);
    ``fast``: its Fast version (``fast_assets``), ready at once."""
    if fast and FAST_ADD_ON not in add_ons(record.options):
        raise InvalidField(
            "fast_report can only be used with a report created with the fast_assets add-on",
            field="fast_report",
        )
    if not fast:
        check_ready(record, now, ready_after)
    as_of = record.created_at.date()
    days = (
        record.days_requested
        if days_to_include is None
        else min(days_to_include, record.days_requested)
    )
    start = as_of - dt.timedelta(days=max(days, 1) - 1)
    investing = INVESTMENTS_ADD_ON in add_ons(record.options)
    sections = []
    for item in items_of(session, record):
        accounts = [a for a in item.accounts if a.id not in record.excluded_account_ids]
        found = _accounts(session, item, accounts, start, as_of, days)
        if investing:
            found = [_with_investments(session, item, s, start, as_of, days) for s in found]
        sections.append(ItemSection(item, found))
    report = ReportContent(record, as_of, sections)
    return _fast(report) if fast else report


def _fast(report: ReportContent) -> ReportContent:
    """The Fast version of a report with the ``fast_assets`` add-on: balances and owners only
    (Plaid: "only current and available balance and identity information")."""
    bare = [
        ItemSection(
            section.item,
            [replace(a, days_available=0, history=[], transactions=[]) for a in section.accounts],
        )
        for section in report.items
    ]
    return replace(report, items=bare)


def _with_investments(
    session: Session, item: Item, section: AccountSection, start: dt.date, as_of: dt.date, days: int
) -> AccountSection:
    """An investment account's section with its holdings that day and the window's trades
    (none for a report of 0 days, as it has no transactions)."""
    if section.account.type != "investment":
        return section
    found = investments.report_portfolio(session, item, section.account, start, as_of)
    if not days:
        found = replace(found, transactions=[], total_transactions=0)
    return replace(section, investments=found)


def _accounts(
    session: Session,
    item: Item,
    accounts: list[Account],
    start: dt.date,
    as_of: dt.date,
    days: int,
) -> list[AccountSection]:
    """Each account as it stood at the end of ``as_of``: every figure is read as of that day,
    so fetching the report later (the clock moved, pending rows posted) gives the same."""
    series = {
        s.account.id: s.points for s in balances.history(session, item, accounts, start, as_of)
    }
    covered = {a.id for a in with_transactions(item, None, accounts) if a.type in HISTORY_TYPES}
    rows = _posted(session, item, sorted(covered), start, as_of) if days else []
    holds = _holds(session, item, accounts, as_of)
    found = []
    for account in accounts:
        points = series[account.id]
        mine = [r for r in rows if r.account_id == account.id]
        oldest = min((r.date for r in mine), default=None)
        current = points[-1][1]
        found.append(
            AccountSection(
                account,
                current,
                available_balance(account, current, holds[account.id]),
                0 if oldest is None else (as_of - oldest).days + 1,
                points[::-1] if days and account.id in covered else [],
                mine,
            )
        )
    return found


def _holds(session: Session, item: Item, accounts: list[Account], as_of: dt.date) -> dict[str, int]:
    """Pending outflows per account at the end of ``as_of``, as ``/accounts/get`` counted
    them then: rows still pending, and those that have posted since on a later day."""
    posted = aliased(Transaction)
    later = exists().where(
        posted.item_pk == Transaction.item_pk,
        posted.pending_transaction_id == Transaction.id,
        posted.date > as_of,
    )
    rows = session.execute(
        select(Transaction.account_id, Transaction.amount_minor).where(
            Transaction.item_pk == item.pk,
            Transaction.account_id.in_([a.id for a in accounts]),
            Transaction.pending.is_(True),
            Transaction.date <= as_of,
            or_(Transaction.removed.is_(False), later),
        )
    )
    return pending_outflows(accounts, ((account_id, amount) for account_id, amount in rows))


def _posted(
    session: Session, item: Item, account_ids: list[str], start: dt.date, end: dt.date
) -> list[Transaction]:
    """Posted rows only: a pending row may still change; its posted row is dated when it posts."""
    if not account_ids:
        return []
    return list(
        session.scalars(
            select(Transaction)
            .where(
                Transaction.item_pk == item.pk,
                Transaction.removed.is_(False),
                Transaction.pending.is_(False),
                Transaction.account_id.in_(account_ids),
                Transaction.date >= start,
                Transaction.date <= end,
            )
            .order_by(Transaction.date.desc(), Transaction.id)
        )
    )


def _digest(session: Session, token: str) -> str:
    """What the database keeps of a bearer token: its keyed hash."""
    return keyring.for_session(session).digest(token)
