"""How the CLI shows things: money as money, tables of connections, accounts and sync runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from client.cli_params import is_control
from client.imports.importer import ImportReport
from client.notify import APP_SIDE, advice_for
from client.providers.truelayer import TrueLayerProvider
from client.schedule.reminders import renewal
from client.store.models import Account, Connection, ConnectionStatus, SyncRun
from client.sync.accounts import LINKED_AGAIN_AS


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


def add_row(table: Table, *cells: str | None) -> None:
    """A row of text shown as it is (None as nothing): names, payees and descriptions come
    from banks, files and users, and rich read them as markup (a `[/]` in one stopped the
    command)."""
    table.add_row(*(Text(printable(cell or "")) for cell in cells))


def printable(text: str) -> str:
    """Text with its control characters escaped (`\\x1b`, `\\n`): one stored from a bank
    or an app reached the terminal raw, where ESC sequences recolour or retitle it."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if is_control(char) else char for char in text
    )


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
        add_row(
            table,
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


def advice(conn: Connection, error_code: str | None = None) -> str:
    """What the user should do about a connection, if anything, after ``error_code`` (a
    failure of the app's own setup is the operator's to fix, whatever the connection's state)."""
    if error_code in APP_SIDE:
        return advice_for(error_code)
    truelayer = conn.provider == TrueLayerProvider.name  # bank-client cannot repair those
    if conn.status == ConnectionStatus.LOGIN_REQUIRED:
        return f"{'renew consent in the app' if truelayer else 'sign in again'}: {renewal(conn)}"
    if conn.status == ConnectionStatus.DISCONNECTED:
        if LINKED_AGAIN_AS in conn.settings:
            return f"linked again as connection {conn.settings[LINKED_AGAIN_AS]}"
        if truelayer:
            return "disconnected; connect again in the app: TrueLayerSync.auth_link"
        return f"disconnected; link again: bank-client reconnect {conn.id}"
    return advice_for(conn.last_error_code, paused=conn.paused) if conn.last_error_code else ""


def connections_table(rows: Iterable[Connection]) -> Table:
    """Connections with state, schedule, last success and advice."""
    table = Table("id", "user", "institution", "status", "schedule", "last success", "advice")
    for c in rows:
        add_row(
            table,
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
        add_row(
            table,
            str(r.id),
            when(r.started_at),
            r.trigger,
            _seconds(r),
            str(r.added),
            str(r.modified),
            str(r.removed),
            r.error_code or "",
        )
    return table


def _seconds(run: SyncRun) -> str:
    """How long a run took; "running" while its row is open, "-" for an interrupted one
    (`client.sync.engine`: killed, its end unknown)."""
    if run.duration is not None:
        return f"{run.duration:.1f}"
    return "running" if run.finished_at is None else "-"


def import_report(console: Console, report: ImportReport) -> None:
    """What a file import added, matched and skipped (a dry run says it stored nothing)."""
    verb = "would add" if report.dry_run else "added"
    said = (
        f"{report.filename} ({report.format}) -> account {report.account_id} "
        f"{report.account_name}: {verb} {len(report.added)}, matched {len(report.matched)}, "
        f"skipped {len(report.skipped_lines)}"
    )
    console.print(escape(printable(said)))  # a file's name and an account's are anyone's
    table = Table("", "line", "date", "amount", "description")
    for mark, rows in (("+", report.added), ("=", report.matched)):
        for row in rows:
            add_row(
                table,
                mark,
                str(row.line),
                row.date.isoformat(),
                f"{row.amount:.2f}",
                row.description,
            )
    console.print(table)
    if report.new_account:  # a dry run's id is a rolled-back row's: not shown
        made = (
            "an account would be made"
            if report.dry_run
            else f"account {report.account_id} was made"
        )
        whose = f"{report.bank} account" if report.bank else "account"  # others were not read
        console.print(
            f"no {whose} ended in those digits: {made} for the file (a later API link of the "
            "same bank and digits adopts it)"
        )
    if report.dry_run:
        console.print("dry run: nothing was stored")
