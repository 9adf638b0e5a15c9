"""`bank-client`: connect, sync, inspect, export and run the worker from the command line.

Every ordinary mistake (unknown connection, reused public token, unreachable provider, bad
setting) ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from client import cli_render as render
from client.api.errors import ClientError
from client.api.plaid import MAX_DAYS_REQUESTED
from client.audit import AuditLog
from client.books.queries import text_matches
from client.cli_params import (
    PASS_INTERVAL,
    PORT,
    ROW_COUNT,
    ROW_ID,
    USER_REF_LENGTH,
    WAIT,
    app_user,
    given,
    webhook_url,
)
from client.crypto import TokenCipher, TokenDecryptError, rotate_stored_tokens
from client.health import health
from client.imports.importer import import_file
from client.plural import counted, plural
from client.providers.csv_format import write_csv
from client.providers.model import LocalTransaction
from client.providers.truelayer import TrueLayerProvider
from client.schedule.due import set_paused, set_schedule
from client.store.db import Store
from client.store.models import Account, Connection, SyncRun, Transaction
from client.sync.apply import Counts
from client.sync.connections import BankSync
from client.sync.duplicates import DuplicateConnection
from client.worker.config import DEFAULT_BASE_URL, DEFAULT_DB, Settings

console = Console()
# Besides a database's failures (`SQLAlchemyError`), which name the database. A login linked
# already (`DuplicateConnection`) is one line naming the connection that has it.
ORDINARY = (ClientError, LookupError, ValueError, TokenDecryptError, OSError, DuplicateConnection)
SCHEDULES = ("daily", "weekly", "monthly", "pause", "resume")
LOG_LEVELS = ("debug", "info", "warning", "error")
SCREEN_ROWS = 50  # `transactions` without --limit; a --csv export is whole


class Main(click.Group):
    """A group that turns ordinary failures into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; known failures become `click.ClickException`s."""
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            raise click.ClickException(_database_error(ctx, exc)) from None
        except ORDINARY as exc:
            raise click.ClickException(_one_line(exc)) from None


def _one_line(exc: BaseException) -> str:
    """The first line of an error's text (SQLAlchemy appends SQL and links on later lines,
    psycopg a hint), its control characters escaped: it may quote a file or a reply."""
    text = str(exc).strip().splitlines()
    return render.printable(text[0]) if text else type(exc).__name__


def _database_error(ctx: click.Context, exc: SQLAlchemyError) -> str:
    """A database failure, naming the database (its password hidden) in the driver's own
    words: "(sqlite3.OperationalError) unable to open database file" said neither which
    database nor where it was set."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    try:
        where = make_url(ctx.obj["settings"].db).render_as_string(hide_password=True)
    except ArgumentError:  # not echoed: a mistyped URL may still hold a password
        return "--db (BANK_CLIENT_DB) is not a database URL: use sqlite:///path or postgresql://…"
    return f"database {where}: {_one_line(cause)}"


def _bank(ctx: click.Context) -> BankSync:
    """Build the client from the group's options (once per invocation)."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "bank" not in obj:
        bank = obj["settings"].build()
        obj["bank"] = bank

        def close() -> None:
            bank.plaid.close()
            bank.store.close()

        ctx.call_on_close(close)
    built: BankSync = obj["bank"]
    return built


def _store(ctx: click.Context) -> Store:
    """The local database alone, for commands that never call the provider nor read a token:
    they need neither the keys (`BANK_CLIENT_KEYS`) nor the provider's settings."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "store" not in obj:
        store = obj["store"] = Store(obj["settings"].db)
        ctx.call_on_close(store.close)
    opened: Store = obj["store"]
    return opened


def _user(ctx: click.Context) -> str | None:
    """The --user filter, if one was given."""
    user: str | None = ctx.ensure_object(dict)["user"]
    return user


@click.group(cls=Main)
@click.option(
    "--db",
    envvar="BANK_CLIENT_DB",
    show_envvar=True,
    default=DEFAULT_DB,
    show_default=True,
    help="the local database: sqlite:///path or postgresql://user@host/name",
)
@click.option(
    "--base-url",
    envvar="PLAID_BASE_URL",
    show_envvar=True,
    default=DEFAULT_BASE_URL,
    show_default=True,
    help="the provider's API (this sandbox, or https://production.plaid.com)",
)
@click.option("--client-id", envvar="PLAID_CLIENT_ID", show_envvar=True, default="")
@click.option("--secret", envvar="PLAID_SECRET", show_envvar=True, default="")
@click.option(
    "--keys",
    envvar="BANK_CLIENT_KEYS",
    show_envvar=True,
    default="",
    help="Fernet keys that encrypt the stored tokens, comma-separated, newest first",
)
@click.option(
    "--user",
    envvar="BANK_CLIENT_USER",
    show_envvar=True,
    callback=app_user,
    help=f"the app user, up to {USER_REF_LENGTH} characters (default: every user's data; "
    "connect makes the 'default' user's connections)",
)
@click.pass_context
def main(
    ctx: click.Context,
    db: str,
    base_url: str,
    client_id: str,
    secret: str,
    keys: str,
    user: str | None,
) -> None:
    """Keep bank transactions in a local database, through Plaid's API."""
    keyring = tuple(k for k in keys.split(",") if k)
    settings = dataclasses.replace(
        Settings.from_env(),  # the notification channels come from the environment only
        db=db,
        base_url=base_url,
        client_id=client_id,
        secret=secret,
        keys=keyring,
    )
    ctx.ensure_object(dict).update(settings=settings, user=user)


@main.command("new-key")
def new_key() -> None:
    """Print a fresh Fernet key (put it first in BANK_CLIENT_KEYS to rotate)."""
    click.echo(TokenCipher.generate_key())


@main.command()
@click.option(
    "--sandbox",
    "institution",
    callback=given,
    help="link through the sandbox shortcut (institution id)",
)
@click.option("--public-token", callback=given, help="a public token from Link's onSuccess")
@click.option(
    "--days",
    default=MAX_DAYS_REQUESTED,
    show_default=True,
    type=click.IntRange(1, MAX_DAYS_REQUESTED),
    help="days of history to request",
)
@click.option(
    "--webhook",
    callback=webhook_url,
    help="where the bank's webhooks go, e.g. bank-client serve's http://HOST:PORT/webhooks/plaid",
)
@click.pass_context
def connect(
    ctx: click.Context,
    institution: str | None,
    public_token: str | None,
    days: int,
    webhook: str | None,
) -> None:
    """Connect a bank; without options, print the Link URL to open in a browser."""
    if institution and public_token:  # one bank per command: neither may go unused
        raise click.UsageError("give --sandbox or --public-token, not both", ctx)
    if webhook and public_token:  # the Item takes the webhook of the Link token it came from
        raise click.UsageError(
            "--webhook goes with the Link the token came from: give it to the `bank-client "
            "connect` that printed the Link URL",
            ctx,
        )
    bank, user = _bank(ctx), _user(ctx) or "default"
    settings = {"days_requested": days}
    if public_token:
        cid = bank.connect(public_token, user_ref=user, settings=settings)
    elif institution:
        cid = bank.connect_sandbox(institution, days_requested=days, user_ref=user, webhook=webhook)
    else:
        link = bank.link_start(user, days_requested=days, webhook=webhook)
        click.echo(link.url or link.token)
        click.echo(f"Open it, sign in, then: {_finish_connect(ctx, days)}", err=True)
        return
    console.print(f"connected: connection [bold]{cid}[/bold]")


def _finish_connect(ctx: click.Context, days: int) -> str:
    """The command that finishes a Link this one started, with its --user and --days: without
    them the connection was the 'default' user's, not the one Link was opened for, and kept
    730 days as the history a later re-link asks for."""
    words = ["bank-client"]
    if (user := _user(ctx)) is not None:
        words += ["--user", shlex.quote(user)]
    words.append("connect")
    if days != MAX_DAYS_REQUESTED:
        words += ["--days", str(days)]
    return " ".join([*words, "--public-token", "<token>"])


def _own_connection(ctx: click.Context, connection_id: int) -> None:
    """Refuse an unknown connection, or with --user another user's: the same words for both,
    so one user cannot learn which ids another's connections have."""
    user = _user(ctx)
    with _store(ctx).session() as session:
        conn = session.get(Connection, connection_id)
        if conn is None or (user is not None and conn.user_ref != user):
            raise click.ClickException(f"no connection {connection_id}")


@main.command()
@click.argument("connection_id", type=ROW_ID)
@click.option("--accounts", is_flag=True, help="let the user choose which accounts to share")
@click.option("--wait", default=0.0, type=WAIT, help="seconds to wait for the sign-in, then sync")
@click.option(
    "--public-token",
    callback=given,
    help="after a disconnect: the public token from the new Link",
)
@click.pass_context
def reconnect(
    ctx: click.Context, connection_id: int, accounts: bool, wait: float, public_token: str | None
) -> None:
    """Print the Link URL that repairs a connection (update mode; a new Link if disconnected,
    finished with --public-token)."""
    _own_connection(ctx, connection_id)
    _plaid_only(ctx, connection_id, "TrueLayerSync.reconsent")
    bank = _bank(ctx)
    relink = bank.needs_relink(connection_id)
    finish = f"bank-client reconnect {connection_id} --public-token <token>"
    if public_token:
        _relink(bank, connection_id, public_token, relink)
        return
    if relink and wait > 0:  # no sign-in to wait for: the new Item comes with Link's token
        raise click.ClickException(
            f"connection {connection_id} is disconnected: open its new link, sign in, "
            f"then: {finish}"
        )
    link = bank.reconnect_link(connection_id, account_selection=accounts)
    click.echo(link.url or link.token)
    if relink:
        click.echo(f"Open it, sign in, then: {finish}", err=True)
    if wait <= 0:
        return
    deadline = time.monotonic() + wait
    while not bank.mark_repaired(connection_id):
        if time.monotonic() >= deadline:
            raise click.ClickException(f"connection {connection_id}: still waiting for sign-in")
        time.sleep(1.0)
    click.echo(f"connection {connection_id}: repaired and synced")


def _relink(bank: BankSync, connection_id: int, public_token: str, relink: bool) -> None:
    """Finish the new Link of a disconnected connection: the Item takes it over in place (of
    another bank, it is a new connection)."""
    if not relink:  # update mode's token is not for exchanging: the Item is still there
        raise click.ClickException(
            f"connection {connection_id} is still linked: sign in again with the link "
            f"`bank-client reconnect {connection_id}` prints (there is no token to exchange)"
        )
    cid = bank.reconnect(connection_id, public_token)
    if cid == connection_id:
        console.print(f"connection [bold]{cid}[/bold]: linked again")
    else:
        console.print(f"connected: connection [bold]{cid}[/bold] (another bank)")


@main.command()
@click.argument("connection_id", type=ROW_ID, required=False)
@click.pass_context
def sync(ctx: click.Context, connection_id: int | None) -> None:
    """Sync one connection (or all linked Plaid ones) with a progress display."""
    if connection_id is not None:  # refused before the keys are asked for, as in disconnect
        _own_connection(ctx, connection_id)
        _plaid_only(ctx, connection_id, "TrueLayerSync.sync")
    bank = _bank(ctx)
    if connection_id is not None:
        ids = [connection_id]
    else:
        ids = _linked_ids(ctx, bank.engine.provider.name)
        if left := _linked_ids(ctx, TrueLayerProvider.name):
            n = len(left)
            click.echo(
                f"left out TrueLayer {plural(n, 'connection')} {', '.join(map(str, left))}: "
                f"{plural(n, 'it syncs', 'they sync')} with TrueLayerSync.sync in the app that "
                f"connected {plural(n, 'it', 'them')} (see docs/client-truelayer.md)",
                err=True,
            )
        elif not ids:  # silence read as "all synced" to someone whose Link never finished
            click.echo("nothing to sync: no linked connection (`bank-client connect`)", err=True)
    with _terminate_as_interrupt():
        failed = [cid for cid in ids if not _sync_one(bank, cid)]
    sys.exit(1 if failed else 0)


def _linked_ids(ctx: click.Context, provider: str) -> list[int]:
    """The ids of the (--user's) connections of `provider` that have credentials."""
    query = select(Connection.id).where(
        Connection.access_token_enc.is_not(None), Connection.provider == provider, *_mine(ctx)
    )
    with _store(ctx).session() as session:
        return list(session.scalars(query.order_by(Connection.id)))


def _plaid_only(ctx: click.Context, connection_id: int, instead: str) -> None:
    """A usage error, before anything is recorded or called, for a TrueLayer connection:
    bank-client serves Plaid Items only, and the engine's `OTHER_PROVIDER` failure (a failed
    run in the connection's history) said neither that nor what to use: `instead`, the
    `TrueLayerSync` method of the app that connected it."""
    with _store(ctx).session() as session:
        provider = session.scalar(select(Connection.provider).where(Connection.id == connection_id))
    if provider == TrueLayerProvider.name:
        raise click.BadParameter(
            f"connection {connection_id} is a TrueLayer connection and bank-client serves "
            f"Plaid Items only (no setting changes that): use {instead} in the app that "
            "connected it (see docs/client-truelayer.md)",
            param_hint="'CONNECTION_ID'",
        )


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, a service manager) stops a sync as Ctrl-C does: the run closes its
    history row as interrupted, where the default action left it "running" until the
    connection's next run. Only the main thread can set a handler: elsewhere (the command
    run from an app's thread) SIGTERM is left as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sync_one(bank: BankSync, cid: int) -> bool:
    """Sync with a spinner; prints one line of totals or of error and advice."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task(f"connection {cid}: syncing", total=None)

        def on_page(pages: int, counts: Counts) -> None:
            bar.update(task, description=f"connection {cid}: page {pages} (+{counts.added})")

        result = bank.sync(cid, on_page=on_page)
    if result.ok:
        console.print(f"{cid}: +{result.added} ~{result.modified} -{result.removed}")
        return True
    with bank.store.session() as session:
        conn = session.get(Connection, cid)
        hint = render.advice(conn, result.error_code) if conn is not None else ""
    said = " — ".join(part for part in (result.error_message, hint) if part)  # not run together
    console.print(f"[red]{cid}: {result.error_code}[/red] {escape(render.printable(said))}".strip())
    return False


def _mine(ctx: click.Context) -> list[ColumnElement[bool]]:
    """The --user restriction of a connection query (none when no user was given)."""
    user = _user(ctx)
    return [] if user is None else [Connection.user_ref == user]


def _owned(ctx: click.Context) -> list[ColumnElement[bool]]:
    """The --user restriction of an account query: by the account's own owner, so accounts no
    connection feeds (a statement file's, a manual one) are listed too."""
    user = _user(ctx)
    return [] if user is None else [Account.user_ref == user]


@main.command()
@click.pass_context
def accounts(ctx: click.Context) -> None:
    """List accounts with balances."""
    query = select(Account).where(*_owned(ctx)).order_by(Account.id)
    with _store(ctx).session() as session:
        console.print(render.accounts_table(session.scalars(query)))


@main.command()
@click.option("--account", type=ROW_ID, help="local account id")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="from this day on")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="up to this day, included")
@click.option("--search", help="text in description or payee")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="export to a CSV file")
@click.option(
    "--limit",
    type=ROW_COUNT,
    help="rows to show (default 50) or, with --csv, to export (default all)",
)
@click.pass_context
def transactions(
    ctx: click.Context,
    account: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    search: str | None,
    csv_path: str | None,
    limit: int | None,
) -> None:
    """Show or export transactions, newest first (removed ones are left out)."""
    if since and until and since > until:  # an empty window is a slip, not an answer
        raise click.BadParameter(
            f"{since:%Y-%m-%d} is after --until {until:%Y-%m-%d}", ctx, param_hint="'--since'"
        )
    if account is not None:
        _own_account(ctx, account)
    if limit is None and not csv_path:
        limit = SCREEN_ROWS
    query = _transactions_query(ctx, account, since, until, search).limit(limit)
    with _store(ctx).session() as session:
        rows = [_local(t, acc) for t, acc in session.execute(query)]
    if csv_path:
        with _csv_file(ctx, csv_path) as out:
            click.echo(f"wrote {counted(write_csv(rows, out), 'row')} to {csv_path}")
        return
    table = Table("date", render.money_column("amount"), "payee", "category", "pending")
    for t in rows:
        render.add_row(
            table,
            t.date.isoformat(),
            render.money(t.amount, t.currency),
            t.payee or t.description,
            t.category,
            "yes" if t.pending else "",
        )
    console.print(table)


def _csv_file(ctx: click.Context, path: str) -> TextIO:
    """The export file, opened for writing; a path that cannot be (a folder that does not
    exist, no permission) is a usage error naming --csv, as a folder given there is: the
    bare `[Errno 2] No such file or directory` named no option."""
    try:
        return open(path, "w", newline="")
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {path}: {exc.strerror or exc}", ctx, param_hint="'--csv'"
        ) from None


def _own_account(ctx: click.Context, account_id: int) -> None:
    """Refuse an unknown account, or with --user another user's, as `_own_connection` does:
    an empty list would read as an account without transactions."""
    with _store(ctx).session() as session:
        if session.scalar(select(Account.id).where(Account.id == account_id, *_owned(ctx))) is None:
            raise click.ClickException(f"no account {account_id}")


def _transactions_query(
    ctx: click.Context,
    account: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    search: str | None,
) -> Any:
    """The filtered, user-scoped query behind `transactions`."""
    query = (
        select(Transaction, Account.provider_id)
        .join(Account, Transaction.account_id == Account.id)
        .where(Transaction.removed_at.is_(None), *_owned(ctx))
        .order_by(Transaction.date.desc(), Transaction.id.desc())  # a --limit cuts one way
    )
    if account is not None:
        query = query.where(Transaction.account_id == account)
    if since:
        query = query.where(Transaction.date >= since.date())
    if until:
        query = query.where(Transaction.date <= until.date())
    if search:
        query = query.where(text_matches(search, Transaction.description, Transaction.payee))
    return query


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
        category=t.category or "Other",
        pending=t.pending,
        source=t.source,
    )


def _column_mapping(
    ctx: click.Context, param: click.Parameter, text: str | None
) -> dict[str, str] | None:
    """`--map 'date=Date,amount=Amount'` as a dict; a part without `=` is a usage error
    naming it (the mapping's keys and columns are checked against the file's header later)."""
    if not text:
        return None
    pairs = [part.split("=", 1) for part in text.split(",")]
    wrong = next((part for part in pairs if len(part) != 2), None)
    if wrong is not None:
        raise click.BadParameter(f"{wrong[0]!r} is not key=column", ctx, param)
    return {key: column for key, column in pairs}


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--account", callback=given, help="local account id, or its last four digits")
@click.option(
    "--map",
    "mapping",
    callback=_column_mapping,
    help="columns of an unknown CSV: 'date=Date,amount=Amount,…'",
)
@click.option("--dry-run", is_flag=True, help="show what would be added and matched; store nothing")
@click.pass_context
def import_(
    ctx: click.Context,
    path: str,
    account: str | None,
    mapping: dict[str, str] | None,
    dry_run: bool,
) -> None:
    """Import a bank file (CSV in the bank's layout, OFX or QFX) without doubling anything."""
    report = import_file(
        _store(ctx),
        path,
        user_ref=_user(ctx),  # none: whichever user's account --account (or the file) names
        account=account,
        mapping=mapping,
        dry_run=dry_run,
    )
    render.import_report(console, report)


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Connections with state, last success and what to do; healthy only if none needs the
    user."""
    store = _store(ctx)
    with store.session() as session:
        conns = list(session.scalars(select(Connection).where(*_mine(ctx)).order_by(Connection.id)))
        console.print(render.connections_table(conns))
    attention = [c for c in health(store)["attention"] if c["id"] in {c.id for c in conns}]
    if not attention:
        console.print("healthy: yes")
        return
    names = ", ".join(f"{a['id']} ({a['status']})" for a in attention)
    console.print(f"healthy: no; needs attention: {names}")


@main.command()
@click.argument("connection_id", type=ROW_ID)
@click.option("--limit", default=20, show_default=True, type=ROW_COUNT, help="runs to show")
@click.pass_context
def history(ctx: click.Context, connection_id: int, limit: int) -> None:
    """Sync runs of a connection, newest first."""
    _own_connection(ctx, connection_id)
    with _store(ctx).session() as session:
        runs = session.scalars(
            select(SyncRun)
            .where(SyncRun.connection_id == connection_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
        console.print(render.history_table(runs))


@main.command()
@click.argument("connection_id", type=ROW_ID)
@click.argument("action", type=click.Choice(SCHEDULES), metavar="SCHEDULE")
@click.pass_context
def schedule(ctx: click.Context, connection_id: int, action: str) -> None:
    """Set a connection's schedule (daily, weekly, monthly), or pause / resume it."""
    _own_connection(ctx, connection_id)
    store = _store(ctx)
    if action in ("pause", "resume"):
        set_paused(store, connection_id, action == "pause")
    else:
        set_schedule(store, connection_id, action)
    click.echo(f"connection {connection_id}: {action}")


@main.command()
@click.argument("connection_id", type=ROW_ID)
@click.pass_context
def disconnect(ctx: click.Context, connection_id: int) -> None:
    """Remove the Item at the provider and delete the stored credentials (twice is fine)."""
    _own_connection(ctx, connection_id)
    _plaid_only(ctx, connection_id, "TrueLayerSync.disconnect")
    _bank(ctx).disconnect(connection_id)
    click.echo(f"connection {connection_id}: disconnected, credentials deleted")


@main.command()
@click.option(
    "--interval", default=30.0, show_default=True, type=PASS_INTERVAL, help="seconds between passes"
)
@click.option("--host", default="127.0.0.1", show_default=True, help="health/metrics address")
@click.option(
    "--port", default=9108, show_default=True, type=PORT, help="health/metrics port (0: any)"
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="the least severe messages logged",
)
@click.pass_context
def worker(ctx: click.Context, interval: float, host: str, port: int, log_level: str) -> None:
    """Run due schedules, webhook jobs, retries and reminders until SIGTERM."""
    from client.worker.main import run_service

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema checks at every start
    run_service(_bank(ctx), interval=interval, host=host, port=port, ready=click.echo)


@main.command("rotate-keys")
@click.pass_context
def rotate_keys(ctx: click.Context) -> None:
    """Re-encrypt stored tokens with the first key of BANK_CLIENT_KEYS."""
    bank = _bank(ctx)
    done = rotate_stored_tokens(bank.store, bank.cipher)
    tokens, sign_ins = counted(done.tokens, "token"), counted(done.sign_ins, "sign-in")
    click.echo(f"re-encrypted {tokens} and {sign_ins} in progress")


@main.command("purge-audit")
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(0), help="retention period"
)
@click.pass_context
def purge_audit(ctx: click.Context, days: int) -> None:
    """Delete audit rows older than the retention period."""
    click.echo(f"purged {counted(AuditLog(_store(ctx), days).purge(), 'audit row')}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8080, show_default=True, type=PORT, help="port (0: any free one)")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the app API (/api/v1, /openapi.json), the webhook receiver and the demo web app."""
    from client.app import create_app
    from client.app.config import AppConfig
    from client.worker.http import listen
    from client.worker.main import serve_until_signal

    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = dataclasses.replace(AppConfig.from_env(), settings=ctx.obj["settings"])
    app = create_app(config)
    server = listen(host, port, app)
    click.echo(f"bank-client app listening on http://{host}:{server.port}")
    serve_until_signal(server, app.extensions.get("bank_app_worker"), ready=click.echo)
