"""`SyncEngine`: a provider's change log into the store, one database transaction per page.

The engine knows no provider: it drives any `client.providers.base.Provider` and handles only
the provider-neutral errors of `client.providers.errors`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from client.api.transport import CallRecord
from client.audit import AuditLog
from client.collector import collector_paused
from client.crypto import TokenCipher
from client.notify import Notification, Notifier, advice_for, log_notifier
from client.plural import counted
from client.providers.base import ChangePage, Provider
from client.providers.errors import (
    AppMisconfigured,
    ConnectionUnavailable,
    CredentialsRevoked,
    CursorReset,
    LoginRequired,
    SyncError,
)
from client.store.db import Store
from client.store.details import store_facts
from client.store.models import (
    MANUAL_SOURCE,
    Account,
    Connection,
    ConnectionStatus,
    Transaction,
    utcnow,
)
from client.sync import history
from client.sync.accounts import refresh_accounts
from client.sync.apply import Counts, apply_plan
from client.sync.earlier import drop_unclaimed_pending
from client.sync.merge import plan_page

log = logging.getLogger(__name__)
PageHook = Callable[[int, Counts], None]
NO_CREDENTIALS = "NO_CREDENTIALS"
OTHER_PROVIDER = "OTHER_PROVIDER"


@dataclass
class SyncResult:
    """Totals of one sync run, for callers, notifications and the CLI."""

    connection_id: int
    added: int = 0
    modified: int = 0
    removed: int = 0
    pages: int = 0
    restarts: int = 0
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        """True when the run reached the end of the change log."""
        return self.error_code is None


class Syncer(Protocol):
    """What schedulers and task queues need: a store and a sync that records its errors."""

    store: Store

    def sync(
        self, connection_id: int, trigger: str = "manual", on_page: PageHook | None = None
    ) -> SyncResult:
        """Pull the change log to the end."""
        ...


class SyncEngine:
    """Keeps the local store equal to the provider; safe to kill at any instant."""

    def __init__(
        self,
        provider: Provider,
        store: Store,
        cipher: TokenCipher,
        *,
        notifier: Notifier = log_notifier,
        audit: AuditLog | None = None,
        page_size: int = 500,
        max_restarts: int = 5,
    ) -> None:
        self.provider, self.store, self.cipher = provider, store, cipher
        self.notifier = notifier
        self.audit = audit or AuditLog(store)
        self.page_size = page_size
        self.max_restarts = max_restarts

    def provider_for(self, connection_id: int | None) -> Provider:
        """The provider whose calls land in the audit log under this connection."""
        return self.provider.observed(self.audit.call_observer(connection_id))

    def credentials(self, connection_id: int) -> str:
        """Decrypt the stored credentials just for the call that needs them."""
        with self.store.session() as session:
            conn = get_connection(session, connection_id)
            return self._credentials_of(conn.id, conn.provider, conn.access_token_enc)

    def _credentials_of(self, cid: int, provider: str, encrypted: str | None) -> str:
        """A connection's decrypted credentials, if it has some and they are this
        provider's."""
        if provider != self.provider.name:
            raise ConnectionUnavailable(OTHER_PROVIDER, f"connection {cid} belongs to {provider!r}")
        if encrypted is None:
            raise ConnectionUnavailable(NO_CREDENTIALS, f"connection {cid} has no credentials")
        return self.cipher.decrypt(encrypted)

    # -- the sync loop ---------------------------------------------------------------------

    def sync(
        self,
        connection_id: int,
        trigger: str = "manual",
        on_page: PageHook | None = None,
        *,
        refresh: bool = False,
    ) -> SyncResult:
        """Pull the change log to the end (after asking the provider to refresh, if told to);
        provider errors are recorded on the connection and in the result, not raised.

        The database sees few, small transactions: one opens the run (history row, credentials,
        cursor) before any provider call; one per page stores the page with its cursor (the
        first also opens the chain) and the audit rows of the calls that fetched it. Without an
        `on_page` hook the last page's transaction also closes the run and marks the connection
        healthy, so a sync with nothing new is one provider call between two commits."""
        result, started = SyncResult(connection_id), time.monotonic()
        run = _Run(self._open_run(connection_id, trigger), started)
        try:
            if run.failure is not None:
                raise run.failure
            provider = self.provider.observed(run.calls)
            if refresh:
                provider.refresh(run.credentials)
            self._loop(connection_id, provider, run, result, on_page)
            if result.added or result.modified or result.removed:
                self._refresh_left_out(connection_id, provider, run)
        except SyncError as exc:
            result.error_code, result.error_message = exc.code, exc.message
            result.retryable = exc.retryable
            self._record_failure(connection_id, exc)
        except KeyboardInterrupt:
            # Ctrl-C, or SIGTERM to `bank-client sync`: stopped, not failed; the next run
            # carries on from the pages stored.
            result.error_code, result.error_message = history.INTERRUPTED, history.STOPPED_MESSAGE
            raise
        except BaseException as exc:
            # A bug or a kill signal: the history row must not look like a success.
            result.error_code, result.error_message = "CLIENT_EXCEPTION", type(exc).__name__
            raise
        finally:
            if not run.finished:
                self._finish_run(run, result, time.monotonic() - started)
        if result.ok:
            self._notify_added(connection_id, result)
        return result

    def refresh(self, connection_id: int) -> SyncResult:
        """A manual refresh: the provider checks the bank now, then the changes are synced."""
        return self.sync(connection_id, trigger="refresh", refresh=True)

    def _loop(
        self,
        cid: int,
        provider: Provider,
        run: _Run,
        result: SyncResult,
        on_page: PageHook | None,
    ) -> None:
        """Page until the log is drained, restarting the chain after a mutation."""
        cursor = run.cursor
        while True:
            try:
                page = provider.fetch_changes(run.credentials, cursor, self.page_size)
            except CursorReset:
                result.restarts += 1
                if result.restarts > self.max_restarts:
                    raise
                cursor = self._restart_chain(cid, run)
                continue
            closing = run if on_page is None and not page.has_more else None
            counts = self._commit_page(cid, page, run, result, closing)
            run.credentials = page.credentials or run.credentials
            if on_page is not None:
                on_page(result.pages, counts)
            cursor = page.next_cursor
            if not page.has_more:
                return

    def _open_run(self, cid: int, trigger: str) -> _Opened:
        """Open a sync-history row and read the credentials and the cursor: one transaction,
        before any provider call, of two statements when no run was left open (a missing
        connection raises). A failure to read the credentials is returned, so the history row
        still commits. The chain opens with the page that first stores a cursor (`_begin`):
        until then there is nothing a restart would go back before, and a run that never
        reaches a page writes nothing to the connection."""
        with self.store.session() as session:
            found = session.execute(_CREDENTIALS, {"cid": cid}).one_or_none()
            if found is None:
                raise _no_connection(cid)
            provider, token, cursor, in_chain, chain_cursor, any_open = found
            run_id = history.open_run(session, cid, trigger, interrupting=any_open)
        try:
            credentials = self._credentials_of(cid, provider, token)
        except Exception as exc:  # recorded on the run by `sync`, as it was raised there
            return _Opened(run_id, "", None, None, exc)
        # A chain a killed run left open is resumed at its cursor, and restarts where it began.
        return _Opened(run_id, credentials, cursor, chain_cursor if in_chain else cursor, None)

    def _restart_chain(self, cid: int, run: _Run) -> str | None:
        """Back to the cursor that began the chain, in a new pass (see `_sweep`)."""
        with self.store.session() as session:
            run.write_calls(self.audit, session, cid)
            conn = get_connection(session, cid)
            _begin(conn, run.chain_start)  # no page of the chain stored yet
            conn.cursor = conn.chain_cursor
            conn.sync_pass += 1
            log.info("connection %s: data changed during pagination, restarting", cid)
            return conn.cursor

    def _commit_page(
        self, cid: int, page: ChangePage, run: _Run, result: SyncResult, closing: _Run | None
    ) -> Counts:
        """Apply one page and store its cursor in the same database transaction, with the
        audit rows of its calls; the last page of a run without a page hook also closes the
        run (`closing`) and marks the connection healthy, in that same transaction. The
        garbage collector waits until the page is stored (`client.collector`)."""
        with collector_paused(), self.store.session() as session:
            run.write_calls(self.audit, session, cid)
            conn = get_connection(session, cid, with_accounts=True)
            accounts = {a.provider_id: a for a in conn.accounts}
            refresh_accounts(session, conn, accounts, page.accounts)
            _begin(conn, run.chain_start)  # before the rows, written in the chain's pass
            run.named.update(account.provider_id for account in page.accounts)
            run.unnamed = accounts.keys() - run.named
            counts = apply_plan(session, conn, plan_page(page), accounts)
            store_facts(session, accounts, page.facts)
            conn.cursor = page.next_cursor
            if page.credentials:
                conn.access_token_enc = self.cipher.encrypt(page.credentials)
            if not page.has_more:
                _sweep(session, conn)
                conn.in_chain, conn.chain_cursor = False, None
                if "adopt_history" in conn.settings:
                    if page.pending_complete:
                        counts.removed += drop_unclaimed_pending(session, conn)
                    conn.settings = {k: v for k, v in conn.settings.items() if k != "adopt_history"}
            totals = dataclasses.replace(
                result,
                pages=result.pages + 1,
                added=result.added + counts.added,
                modified=result.modified + counts.modified,
                removed=result.removed + counts.removed,
            )
            if closing is not None:
                _mark_healthy(conn)  # flushed with the page's changes to the row, just below
                duration = time.monotonic() - closing.started
                history.close_run(session, closing.id, totals, duration)
            else:  # a run killed after this page still shows what it stored
                history.record_progress(session, run.id, totals)
        # Committed: only now do the run's totals (and, closing, the run) include the page.
        result.pages, result.added = totals.pages, totals.added
        result.modified, result.removed = totals.modified, totals.removed
        if closing is not None:
            closing.finished = True
        return counts

    def _refresh_left_out(self, cid: int, provider: Provider, run: _Run) -> None:
        """Balances of the connection's accounts that no page of the run named (Plaid's sync
        names only accounts with transactions: investment accounts, some loans), read after a
        run that changed data, when the bank's data moved. A failure leaves them as they were
        for the next such run: the run's own changes are stored already."""
        if not run.unnamed:
            return
        try:
            incoming = provider.left_out_accounts(run.credentials)
        except SyncError as exc:
            log.warning("connection %s: balances the sync left out not read: %s", cid, exc)
            incoming = []
        with self.store.session() as session:
            run.write_calls(self.audit, session, cid)
            conn = get_connection(session, cid, with_accounts=True)
            accounts = {a.provider_id: a for a in conn.accounts}
            left_out = [a for a in incoming if a.provider_id in run.unnamed]
            refresh_accounts(session, conn, accounts, left_out)

    # -- run history and connection state -------------------------------------------------

    def _finish_run(self, run: _Run, result: SyncResult, duration: float) -> None:
        """Close the history row with counts, duration and error (and write the audit rows
        of calls no page stored); a run that reached the end of the log (one with a page
        hook, whose last page did not close it) marks the connection healthy with it."""
        with self.store.session() as session:
            run.write_calls(self.audit, session, result.connection_id)
            history.close_run(session, run.id, result, duration)
            if result.ok:
                _mark_healthy(get_connection(session, result.connection_id))
        run.finished = True

    def _notify_added(self, cid: int, result: SyncResult) -> None:
        """Tell the app about new transactions."""
        if result.added:
            text = counted(result.added, "new transaction")
            self.notifier(Notification("new_transactions", cid, text, result.added))

    def _record_failure(self, cid: int, exc: SyncError) -> None:
        """Move the connection to login_required or error, with advice for the user."""
        if isinstance(exc, ConnectionUnavailable):
            return  # disconnected on purpose: nothing new to record or to tell the user
        if isinstance(exc, AppMisconfigured):  # the operator's to fix: the run records it
            log.error("connection %s: %s: %s", cid, exc.code, advice_for(exc.code))
            return
        status = _STATUS.get(type(exc), ConnectionStatus.ERROR)
        with self.store.session() as session:
            conn = get_connection(session, cid)
            conn.last_sync_at = utcnow()
            if not (exc.retryable and conn.status == ConnectionStatus.LOGIN_REQUIRED):
                conn.status, conn.last_error_code = status, exc.code
                conn.last_error_message = exc.display_message or exc.message
            # else the provider being down says nothing of the login: the user must still
            # sign in again, and the run alone records this failure (told as what it is)
        kind = "login_required" if status == ConnectionStatus.LOGIN_REQUIRED else "sync_failed"
        self.notifier(Notification(kind, cid, advice_for(exc.code), error_code=exc.code))


_CONNECTIONS = cast(Table, Connection.__table__)
# Built once (see `client.sync.history`): what `_open_run` reads.
_CREDENTIALS = select(
    _CONNECTIONS.c.provider,
    _CONNECTIONS.c.access_token_enc,
    _CONNECTIONS.c.cursor,
    _CONNECTIONS.c.in_chain,
    _CONNECTIONS.c.chain_cursor,
    history.any_open(_CONNECTIONS.c.id),
).where(_CONNECTIONS.c.id == bindparam("cid"))

_STATUS: dict[type[SyncError], str] = {
    LoginRequired: ConnectionStatus.LOGIN_REQUIRED,
    CredentialsRevoked: ConnectionStatus.DISCONNECTED,
}


@dataclass(frozen=True)
class _Opened:
    """What opening a run read: the history row, credentials, cursor and where the run's
    chain begins (`_begin`), or why not."""

    run_id: int
    credentials: str
    cursor: str | None
    chain_start: str | None
    failure: Exception | None


class _Run:
    """One sync run in progress: its history row, where it reads from, and the provider
    calls made since the last transaction (their audit rows go out with the next one)."""

    def __init__(self, opened: _Opened, started: float) -> None:
        self.id, self.started = opened.run_id, started
        self.credentials, self.cursor = opened.credentials, opened.cursor
        self.chain_start = opened.chain_start
        self.failure = opened.failure
        self.finished = False  # the history row is closed
        self.named: set[str] = set()  # provider ids of the accounts the run's pages named
        self.unnamed: set[str] = set()  # and of the connection's others, at the last page
        self._calls: list[tuple[CallRecord, dt.datetime]] = []

    def calls(self, record: CallRecord) -> None:
        """The provider's observer: remember the call and when it ended."""
        self._calls.append((record, utcnow()))

    def write_calls(self, audit: AuditLog, session: Session, cid: int) -> None:
        """Add the remembered calls' audit rows to this transaction."""
        if self._calls:
            audit.add_calls(session, self._calls, cid)
            self._calls = []


def _begin(conn: Connection, start: str | None) -> None:
    """Open a chain in a new pass, unless one is open, in the transaction that first moves
    the cursor away from where the chain began (a page's, or a restart's before any page),
    so that an open chain always says where it began. That is `start`, read when the run
    opened (`_Opened.chain_start`), not the stored cursor: another run of the connection may
    have moved it since, and a restart there would skip what this run's pages stored."""
    if not conn.in_chain:
        conn.in_chain, conn.chain_cursor = True, start
        conn.sync_pass += 1
        conn.chain_first_pass = conn.sync_pass


def _mark_healthy(conn: Connection) -> None:
    """After a run that reached the end of the change log."""
    conn.status = ConnectionStatus.ACTIVE
    conn.last_sync_at = conn.last_success_at = utcnow()
    conn.last_error_code = conn.last_error_message = None


def get_connection(session: Session, cid: int, *, with_accounts: bool = False) -> Connection:
    """The connection row (`with_accounts`: and its accounts, in the same statement), or a
    clear error."""
    conn = session.get(
        Connection, cid, options=[joinedload(Connection.accounts)] if with_accounts else ()
    )
    if conn is None:
        raise _no_connection(cid)
    return conn


def _no_connection(cid: int) -> ConnectionUnavailable:
    """What syncing a connection that is not stored raises."""
    return ConnectionUnavailable("NO_CONNECTION", f"no connection {cid}")


def _sweep(session: Session, conn: Connection) -> None:
    """After a restarted chain, tombstone rows only an aborted pass delivered: the provider
    collapsed them away (created and removed after the chain began), so they no longer exist."""
    if conn.chain_first_pass >= conn.sync_pass:
        return
    account_ids = select(Account.id).where(Account.connection_id == conn.id)
    session.execute(
        update(Transaction)
        .where(
            Transaction.account_id.in_(account_ids),
            Transaction.source != MANUAL_SOURCE,
            Transaction.removed_at.is_(None),
            Transaction.sync_pass >= conn.chain_first_pass,
            Transaction.sync_pass < conn.sync_pass,
        )
        .values(removed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
