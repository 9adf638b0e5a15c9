"""`SyncEngine`: a provider's change log into the store, one database transaction per page.

The engine knows no provider: it drives any `client.providers.base.Provider` and handles only
the provider-neutral errors of `client.providers.errors`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from client.audit import AuditLog
from client.crypto import TokenCipher
from client.notify import Notification, Notifier, advice_for, log_notifier
from client.providers.base import ChangePage, Provider
from client.providers.errors import (
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
    SyncRun,
    Transaction,
    utcnow,
)
from client.sync.apply import Counts, apply_plan, upsert_account
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
            if conn.provider != self.provider.name:
                raise ConnectionUnavailable(
                    OTHER_PROVIDER, f"connection {connection_id} belongs to {conn.provider!r}"
                )
            if conn.access_token_enc is None:
                raise ConnectionUnavailable(
                    NO_CREDENTIALS, f"connection {connection_id} has no credentials"
                )
            return self.cipher.decrypt(conn.access_token_enc)

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
        provider errors are recorded on the connection and in the result, not raised."""
        run_id = self._start_run(connection_id, trigger)
        result, started = SyncResult(connection_id), time.monotonic()
        try:
            credentials = self.credentials(connection_id)
            if refresh:
                self.provider_for(connection_id).refresh(credentials)
            self._loop(connection_id, credentials, result, on_page)
        except SyncError as exc:
            result.error_code, result.error_message = exc.code, exc.message
            result.retryable = exc.retryable
            self._record_failure(connection_id, exc)
        except BaseException as exc:
            # A bug or a kill signal: the history row must not look like a success.
            result.error_code, result.error_message = "CLIENT_EXCEPTION", type(exc).__name__
            raise
        finally:
            self._finish_run(run_id, result, time.monotonic() - started)
        if result.ok:
            self._record_success(connection_id, result)
        return result

    def refresh(self, connection_id: int) -> SyncResult:
        """A manual refresh: the provider checks the bank now, then the changes are synced."""
        return self.sync(connection_id, trigger="refresh", refresh=True)

    def _loop(
        self, cid: int, credentials: str, result: SyncResult, on_page: PageHook | None
    ) -> None:
        """Page until the log is drained, restarting the chain after a mutation."""
        provider = self.provider_for(cid)
        cursor = self._begin_chain(cid)
        while True:
            try:
                page = provider.fetch_changes(credentials, cursor, self.page_size)
            except CursorReset:
                result.restarts += 1
                if result.restarts > self.max_restarts:
                    raise
                cursor = self._restart_chain(cid)
                continue
            counts = self._commit_page(cid, page)
            credentials = page.credentials or credentials
            result.pages += 1
            result.added += counts.added
            result.modified += counts.modified
            result.removed += counts.removed
            if on_page is not None:
                on_page(result.pages, counts)
            cursor = page.next_cursor
            if not page.has_more:
                return

    def _begin_chain(self, cid: int) -> str | None:
        """Resume a chain a killed process left open, or open a new one at the stored cursor."""
        with self.store.session() as session:
            conn = get_connection(session, cid)
            if not conn.in_chain:
                conn.in_chain, conn.chain_cursor = True, conn.cursor
                conn.sync_pass += 1
                conn.chain_first_pass = conn.sync_pass
            return conn.cursor

    def _restart_chain(self, cid: int) -> str | None:
        """Back to the cursor that began the chain, in a new pass (see `_sweep`)."""
        with self.store.session() as session:
            conn = get_connection(session, cid)
            conn.cursor = conn.chain_cursor
            conn.sync_pass += 1
            log.info("connection %s: data changed during pagination, restarting", cid)
            return conn.cursor

    def _commit_page(self, cid: int, page: ChangePage) -> Counts:
        """Apply one page and store its cursor in the same database transaction."""
        with self.store.session() as session:
            conn = get_connection(session, cid)
            accounts = {a.provider_id: a for a in conn.accounts}
            for acc in page.accounts:
                known = accounts.get(acc.provider_id)
                accounts[acc.provider_id] = upsert_account(session, conn, acc, known)
            counts = apply_plan(session, conn, plan_page(page), accounts)
            store_facts(session, accounts, page.facts)
            conn.cursor = page.next_cursor
            if page.credentials:
                conn.access_token_enc = self.cipher.encrypt(page.credentials)
            if not page.has_more:
                _sweep(session, conn)
                conn.in_chain, conn.chain_cursor = False, None
                conn.settings = {k: v for k, v in conn.settings.items() if k != "adopt_history"}
            return counts

    # -- run history and connection state -------------------------------------------------

    def _start_run(self, cid: int, trigger: str) -> int:
        """Open a sync-history row before any provider call (a missing connection raises)."""
        with self.store.session() as session:
            get_connection(session, cid)
            run = SyncRun(connection_id=cid, trigger=trigger, started_at=utcnow())
            session.add(run)
            session.flush()
            return run.id

    def _finish_run(self, run_id: int, result: SyncResult, duration: float) -> None:
        """Close the history row with counts, duration and error."""
        with self.store.session() as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.finished_at, run.duration = utcnow(), duration
            run.added, run.modified, run.removed = result.added, result.modified, result.removed
            run.pages, run.restarts = result.pages, result.restarts
            run.error_code, run.error_message = result.error_code, result.error_message

    def _record_success(self, cid: int, result: SyncResult) -> None:
        """Mark the connection healthy and tell the app about new transactions."""
        with self.store.session() as session:
            conn = get_connection(session, cid)
            conn.status = ConnectionStatus.ACTIVE
            conn.last_sync_at = conn.last_success_at = utcnow()
            conn.last_error_code = conn.last_error_message = None
        if result.added:
            self.notifier(
                Notification(
                    "new_transactions", cid, f"{result.added} new transactions", result.added
                )
            )

    def _record_failure(self, cid: int, exc: SyncError) -> None:
        """Move the connection to login_required or error, with advice for the user."""
        if isinstance(exc, ConnectionUnavailable):
            return  # disconnected on purpose: nothing new to record or to tell the user
        status = _STATUS.get(type(exc), ConnectionStatus.ERROR)
        with self.store.session() as session:
            conn = get_connection(session, cid)
            conn.status, conn.last_sync_at = status, utcnow()
            conn.last_error_code = exc.code
            conn.last_error_message = exc.display_message or exc.message
        kind = "login_required" if status == ConnectionStatus.LOGIN_REQUIRED else "sync_failed"
        self.notifier(Notification(kind, cid, advice_for(exc.code), error_code=exc.code))


_STATUS: dict[type[SyncError], str] = {
    LoginRequired: ConnectionStatus.LOGIN_REQUIRED,
    CredentialsRevoked: ConnectionStatus.DISCONNECTED,
}


def get_connection(session: Session, cid: int) -> Connection:
    """The connection row, or a clear error."""
    conn = session.get(Connection, cid)
    if conn is None:
        raise ConnectionUnavailable("NO_CONNECTION", f"no connection {cid}")
    return conn


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
