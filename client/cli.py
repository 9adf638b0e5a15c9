"""`bank-client`: connect, sync, inspect and export from the command line."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from sqlalchemy import select

from client.api.plaid import PlaidClient
from client.audit import AuditLog
from client.crypto import TokenCipher, rotate_stored_tokens
from client.health import health
from client.providers.csv_format import write_csv
from client.providers.model import LocalTransaction
from client.schedule.due import set_paused, set_schedule
from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync.apply import Counts
from client.sync.connections import BankSync

console = Console()


def _bank(ctx: click.Context) -> BankSync:
    """Build the engine from the group's options (once per invocation)."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "bank" not in obj:
        keys = [k for k in obj["keys"].split(",") if k]
        if not keys:
            raise click.UsageError("set BANK_CLIENT_KEYS (generate one with `bank-client new-key`)")
        store = Store(obj["db"])
        plaid = PlaidClient(obj["base_url"], obj["client_id"], obj["secret"])
        obj["bank"] = BankSync(plaid, store, TokenCipher(keys))

        def close() -> None:
            plaid.close()
            store.close()

        ctx.call_on_close(close)
    bank: BankSync = obj["bank"]
    return bank


@click.group()
@click.option(
    "--db", envvar="BANK_CLIENT_DB", default="sqlite:///bank-client.db", show_default=True
)
@click.option(
    "--base-url", envvar="PLAID_BASE_URL", default="http://127.0.0.1:5000", show_default=True
)
@click.option("--client-id", envvar="PLAID_CLIENT_ID", default="")
@click.option("--secret", envvar="PLAID_SECRET", default="")
@click.option("--keys", envvar="BANK_CLIENT_KEYS", default="", help="Fernet keys, newest first")
@click.pass_context
def main(
    ctx: click.Context, db: str, base_url: str, client_id: str, secret: str, keys: str
) -> None:
    """Keep bank transactions in a local database, through Plaid's API."""
    ctx.ensure_object(dict).update(
        db=db, base_url=base_url, client_id=client_id, secret=secret, keys=keys
    )


@main.command("new-key")
def new_key() -> None:
    """Print a fresh Fernet key (put it first in BANK_CLIENT_KEYS to rotate)."""
    click.echo(TokenCipher.generate_key())


@main.command()
@click.option("--sandbox", "institution", help="link through the sandbox shortcut (institution id)")
@click.option("--public-token", help="a public token from Link's onSuccess")
@click.option("--days", default=730, show_default=True, help="history to request")
@click.pass_context
def connect(
    ctx: click.Context, institution: str | None, public_token: str | None, days: int
) -> None:
    """Connect a bank; without options, print a Link token to open Link with."""
    bank = _bank(ctx)
    if public_token:
        cid = bank.connect(public_token)
    elif institution:
        cid = bank.connect_sandbox(institution, days_requested=days)
    else:
        click.echo(bank.link_token("cli", days_requested=days))
        click.echo("Open Link with this token, then run: bank-client connect --public-token ...")
        return
    console.print(f"connected: connection [bold]{cid}[/bold]")


@main.command()
@click.argument("connection_id", type=int, required=False)
@click.pass_context
def sync(ctx: click.Context, connection_id: int | None) -> None:
    """Sync one connection (or all active ones) with a progress display."""
    bank = _bank(ctx)
    with bank.store.session() as session:
        ids = (
            [connection_id]
            if connection_id
            else list(
                session.scalars(
                    select(Connection.id).where(Connection.access_token_enc.is_not(None))
                )
            )
        )
    failed = False
    for cid in ids:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
            task = bar.add_task(f"connection {cid}: syncing", total=None)

            def on_page(pages: int, counts: Counts, task: Any = task, cid: int = cid) -> None:
                bar.update(task, description=f"connection {cid}: page {pages} (+{counts.added})")

            result = bank.sync(cid, on_page=on_page)
        if result.ok:
            console.print(f"{cid}: +{result.added} ~{result.modified} -{result.removed}")
        else:
            failed = True
            console.print(f"[red]{cid}: {result.error_code}[/red] {result.error_message}")
    sys.exit(1 if failed else 0)


@main.command()
@click.pass_context
def accounts(ctx: click.Context) -> None:
    """List accounts with balances."""
    bank = _bank(ctx)
    table = Table("id", "connection", "name", "mask", "type", "current", "available", "currency")
    with bank.store.session() as session:
        for a in session.scalars(select(Account).order_by(Account.id)):
            table.add_row(
                str(a.id),
                str(a.connection_id or ""),
                a.name,
                a.mask or "",
                a.type,
                str(a.current or ""),
                str(a.available or ""),
                a.currency,
            )
    console.print(table)


@main.command()
@click.option("--account", type=int, help="local account id")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--search", help="text in description or payee")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="export to a CSV file")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def transactions(
    ctx: click.Context,
    account: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    search: str | None,
    csv_path: str | None,
    limit: int,
) -> None:
    """Show or export transactions, newest first."""
    bank = _bank(ctx)
    query = select(Transaction, Account.provider_id).join(Account).order_by(Transaction.date.desc())
    if account:
        query = query.where(Transaction.account_id == account)
    if since:
        query = query.where(Transaction.date >= since.date())
    if until:
        query = query.where(Transaction.date <= until.date())
    if search:
        like = f"%{search}%"
        query = query.where(Transaction.description.ilike(like) | Transaction.payee.ilike(like))
    with bank.store.session() as session:
        rows = [_local(t, acc) for t, acc in session.execute(query)]
    if csv_path:
        with open(csv_path, "w", newline="") as out:
            click.echo(f"wrote {write_csv(rows, out)} rows to {csv_path}")
        return
    table = Table("date", "amount", "payee", "category", "pending")
    for t in rows[:limit]:
        table.add_row(
            t.date.isoformat(),
            f"{t.amount:.2f} {t.currency}",
            t.payee or t.description,
            t.category,
            "yes" if t.pending else "",
        )
    console.print(table)


def _local(t: Transaction, account_provider_id: str) -> LocalTransaction:
    """A stored row back in the local model (for CSV export)."""
    return LocalTransaction(
        provider_id=t.provider_id,
        account_provider_id=account_provider_id,
        amount=t.amount,
        currency=t.currency,
        date=t.date,
        description=t.description,
        payee=t.payee,
        category=t.category,
        pending=t.pending,
        source=t.source,
    )


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Connections with state, last sync and what to do about errors."""
    from client.notify import advice_for

    bank = _bank(ctx)
    table = Table("id", "institution", "status", "schedule", "last success", "advice")
    with bank.store.session() as session:
        for c in session.scalars(select(Connection).order_by(Connection.id)):
            advice = advice_for(c.last_error_code) if c.last_error_code else ""
            sched = c.schedule + (" (paused)" if c.paused else "")
            last = c.last_success_at.isoformat(timespec="minutes") if c.last_success_at else "never"
            table.add_row(
                str(c.id),
                c.institution_name or c.institution_id or "?",
                c.status,
                sched,
                last,
                advice,
            )
    console.print(table)
    console.print(f"healthy: {health(bank.store)['ok']}")


@main.command()
@click.argument("connection_id", type=int)
@click.argument("action", type=click.Choice(["daily", "weekly", "monthly", "pause", "resume"]))
@click.pass_context
def schedule(ctx: click.Context, connection_id: int, action: str) -> None:
    """Set a connection's schedule, or pause/resume automatic syncs."""
    store = _bank(ctx).store
    if action in ("pause", "resume"):
        set_paused(store, connection_id, action == "pause")
    else:
        set_schedule(store, connection_id, action)
    click.echo(f"connection {connection_id}: {action}")


@main.command()
@click.argument("connection_id", type=int)
@click.pass_context
def disconnect(ctx: click.Context, connection_id: int) -> None:
    """Remove the Item at the provider and delete the stored credentials."""
    _bank(ctx).disconnect(connection_id)
    click.echo(f"connection {connection_id}: disconnected, credentials deleted")


@main.command("rotate-keys")
@click.pass_context
def rotate_keys(ctx: click.Context) -> None:
    """Re-encrypt stored tokens with the first key of BANK_CLIENT_KEYS."""
    bank = _bank(ctx)
    click.echo(f"re-encrypted {rotate_stored_tokens(bank.store, bank.cipher)} tokens")


@main.command("purge-audit")
@click.option("--days", default=365, show_default=True, help="retention period")
@click.pass_context
def purge_audit(ctx: click.Context, days: int) -> None:
    """Delete audit rows older than the retention period."""
    click.echo(f"purged {AuditLog(_bank(ctx).store, days).purge()} audit rows")
