"""How the CLI shows things: money as money, tables of connections, accounts and sync runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from rich.console import Console
from rich.table import Column, Table

from client.imports.importer import ImportReport
from client.notify import advice_for
from client.store.models import Account, Connection, ConnectionStatus, SyncRun


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """1490 -> "1,490.00" (with the currency when given); never scientific notation."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def money_column(header: str) -> Column:
    """A column of amounts: right-aligned and never cut; on a narrow terminal the text
    columns wrap first (rich shrinks only wrapping columns before it truncates)."""
    return Column(header, justify="right", no_wrap=True)


def when(moment: dt.datetime | None) -> str:
    """A timestamp to the minute, or "never"."""
    return moment.isoformat(timespec="minutes") if moment else "never"


def accounts_table(rows: Iterable[Account]) -> Table:
    """Accounts with balances."""
    table = Table(
        "id",
        "connection",
        "name",
        "mask",
        "type",
        money_column("current"),
        money_column("available"),
        "currency",
    )
    for a in rows:
        table.add_row(
            str(a.id),
            str(a.connection_id or ""),
            a.name,
            a.mask or "",
            a.type,
            money(a.current),
            money(a.available),
            a.currency,
        )
    return table


def advice(conn: Connection) -> str:
    """What the user should do about a connection, if anything."""
    if conn.status == ConnectionStatus.LOGIN_REQUIRED:
        return f"sign in again: bank-client reconnect {conn.id}"
    if conn.status == ConnectionStatus.DISCONNECTED:
        return f"disconnected; link again: bank-client reconnect {conn.id}"
    return advice_for(conn.last_error_code, paused=conn.paused) if conn.last_error_code else ""


def connections_table(rows: Iterable[Connection]) -> Table:
    """Connections with state, schedule, last success and advice."""
    table = Table("id", "user", "institution", "status", "schedule", "last success", "advice")
    for c in rows:
        table.add_row(
            str(c.id),
            c.user_ref,
            c.institution_name or c.institution_id or "?",
            c.status,
            c.schedule + (" (paused)" if c.paused else ""),
            when(c.last_success_at),
            advice(c),
        )
    return table


def history_table(runs: Iterable[SyncRun]) -> Table:
    """Sync runs, newest first: when, why, how long, what changed, and the error."""
    table = Table("run", "started", "trigger", "seconds", "added", "modified", "removed", "error")
    for r in runs:
        table.add_row(
            str(r.id),
            when(r.started_at),
            r.trigger,
            f"{r.duration:.1f}" if r.duration is not None else "running",
            str(r.added),
            str(r.modified),
            str(r.removed),
            r.error_code or "",
        )
    return table


def import_report(console: Console, report: ImportReport) -> None:
    """What a file import added, matched and skipped (a dry run says it stored nothing)."""
    verb = "would add" if report.dry_run else "added"
    console.print(
        f"{report.filename} ({report.format}) -> account {report.account_id} "
        f"{report.account_name}: {verb} {len(report.added)}, matched {len(report.matched)}, "
        f"skipped {len(report.skipped_lines)}"
    )
    table = Table("", "line", "date", "amount", "description")
    for mark, rows in (("+", report.added), ("=", report.matched)):
        for row in rows:
            table.add_row(
                mark, str(row.line), row.date.isoformat(), f"{row.amount:.2f}", row.description
            )
    console.print(table)
    if report.dry_run:
        console.print("dry run: nothing was stored")
