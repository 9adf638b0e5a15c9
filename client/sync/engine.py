"""`SyncEngine`: the /transactions/sync loop with one database transaction per page."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from client.api.errors import (
    APIConnectionError,
    ClientError,
    ItemNotFoundError,
    LoginRequiredError,
    MutationDuringPaginationError,
    PlaidError,
)
from client.api.plaid import PlaidClient
from client.audit import AuditLog
from client.crypto import TokenCipher
from client.notify import Notification, Notifier, advice_for, log_notifier
from client.providers.categories import CategoryMap
from client.providers.plaid import map_account, map_transaction
from client.store.db import Store
from client.store.models import Account, Connection, ConnectionStatus, SyncRun, Transaction, utcnow
from client.sync.apply import Counts, apply_plan, upsert_account
from client.sync.merge import ChangePage, plan_page

log = logging.getLogger(__name__)
PageHook = Callable[[int, Counts], None]
CONNECTION_ERROR = "CONNECTION_ERROR"


class ConnectionUnavailableError(ClientError):
    """The connection is disconnected or has no stored credentials."""


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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the run reached the end of the change log."""
        return self.error_code is None


class SyncEngine:
    """Keeps the local store equal to the provider; safe to kill at any instant."""

    def __init__(
        self,
        plaid: PlaidClient,
        store: Store,
        cipher: TokenCipher,
        *,
        categories: CategoryMap | None = None,
        notifier: Notifier = log_notifier,
        audit: AuditLog | None = None,
        page_size: int = 500,
        max_restarts: int = 5,
        client_name: str = "Bank Client",
    ) -> None:
        self.plaid, self.store, self.cipher = plaid, store, cipher
        self.categories = categories or CategoryMap()
        self.notifier = notifier
        self.audit = audit or AuditLog(store)
        self.page_size = page_size
        self.max_restarts = max_restarts
        self.client_name = client_name

    def client_for(self, connection_id: int | None) -> PlaidClient:
        """The API client whose calls land in the audit log under this connection."""
        return self.plaid.observed(self.audit.call_observer(connection_id))

    def access_token(self, connection_id: int) -> str:
        """Decrypt the stored token just for the call that needs it."""
        with self.store.session() as session:
            conn = session.get(Connection, connection_id)
            if conn is None or conn.access_token_enc is None:
                raise ConnectionUnavailableError(f"connection {connection_id} has no credentials")
            return self.cipher.decrypt(conn.access_token_enc)

    # -- the sync loop ---------------------------------------------------------------------

    def sync(
        self, connection_id: int, trigger: str = "manual", on_page: PageHook | None = None
    ) -> SyncResult:
        """Pull /transactions/sync to the end; errors are recorded on the connection, not raised."""
        token = self.access_token(connection_id)
        run_id = self._start_run(connection_id, trigger)
        result, started = SyncResult(connection_id), time.monotonic()
        try:
            self._loop(connection_id, token, result, on_page)
        except PlaidError as exc:
            result.error_code, result.error_message = exc.error_code, exc.error_message
            self._record_failure(connection_id, exc)
        except APIConnectionError as exc:
            result.error_code, result.error_message = CONNECTION_ERROR, str(exc)
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

    def _loop(self, cid: int, token: str, result: SyncResult, on_page: PageHook | None) -> None:
        """Page until has_more is false, restarting the chain after a mutation."""
        api = self.client_for(cid)
        cursor = self._begin_chain(cid)
        while True:
            try:
                raw = api.transactions_sync(token, cursor, self.page_size)
            except MutationDuringPaginationError:
                result.restarts += 1
                if result.restarts > self.max_restarts:
                    raise
                cursor = self._restart_chain(cid)
                continue
            counts = self._commit_page(cid, raw)
            result.pages += 1
            result.added += counts.added
            result.modified += counts.modified
            result.removed += counts.removed
            if on_page is not None:
                on_page(result.pages, counts)
            cursor = raw["next_cursor"]
            if not raw["has_more"]:
                return

    def _begin_chain(self, cid: int) -> str | None:
        """Resume a chain a killed process left open, or open a new one at the stored cursor."""
        with self.store.session() as session:
            conn = _get(session, cid)
            if not conn.in_chain:
                conn.in_chain, conn.chain_cursor = True, conn.cursor
                conn.sync_pass += 1
                conn.chain_first_pass = conn.sync_pass
            return conn.cursor

    def _restart_chain(self, cid: int) -> str | None:
        """Back to the cursor that began the chain, in a new pass (see `_sweep`)."""
        with self.store.session() as session:
            conn = _get(session, cid)
            conn.cursor = conn.chain_cursor
            conn.sync_pass += 1
            log.info("connection %s: data changed during pagination, restarting", cid)
            return conn.cursor

    def _commit_page(self, cid: int, raw: dict[str, Any]) -> Counts:
        """Apply one page and store its cursor in the same database transaction."""
        page = ChangePage(
            added=[map_transaction(t, self.categories) for t in raw["added"]],
            modified=[map_transaction(t, self.categories) for t in raw["modified"]],
            removed=[r["transaction_id"] for r in raw["removed"]],
        )
        with self.store.session() as session:
            conn = _get(session, cid)
            accounts = {a.provider_id: a for a in conn.accounts}
            for acc in raw.get("accounts", []):
                local = map_account(acc)
                accounts[local.provider_id] = upsert_account(session, conn, local)
            counts = apply_plan(session, conn, plan_page(page), accounts)
            conn.cursor = raw["next_cursor"]
            if not raw["has_more"]:
                _sweep(session, conn)
                conn.in_chain, conn.chain_cursor = False, None
                conn.settings = {k: v for k, v in conn.settings.items() if k != "adopt_history"}
            return counts

    # -- run history and connection state -------------------------------------------------

    def _start_run(self, cid: int, trigger: str) -> int:
        """Open a sync-history row before any provider call."""
        with self.store.session() as session:
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
            conn = _get(session, cid)
            conn.status = ConnectionStatus.ACTIVE
            conn.last_sync_at = conn.last_success_at = utcnow()
            conn.last_error_code = conn.last_error_message = None
        if result.added:
            self.notifier(
                Notification(
                    "new_transactions", cid, f"{result.added} new transactions", result.added
                )
            )

    def _record_failure(self, cid: int, exc: PlaidError | APIConnectionError) -> None:
        """Move the connection to login_required or error, with advice for the user."""
        status = ConnectionStatus.ERROR
        if isinstance(exc, LoginRequiredError):
            status = ConnectionStatus.LOGIN_REQUIRED
        elif isinstance(exc, ItemNotFoundError):
            status = ConnectionStatus.DISCONNECTED
        if isinstance(exc, PlaidError):
            code, message = exc.error_code, exc.display_message or exc.error_message
        else:
            code, message = CONNECTION_ERROR, str(exc)
        with self.store.session() as session:
            conn = _get(session, cid)
            conn.status, conn.last_sync_at = status, utcnow()
            conn.last_error_code, conn.last_error_message = code, message
        kind = "login_required" if status == ConnectionStatus.LOGIN_REQUIRED else "sync_failed"
        self.notifier(Notification(kind, cid, advice_for(code), error_code=code))


def _get(session: Session, cid: int) -> Connection:
    """The connection row, or a clear error."""
    conn = session.get(Connection, cid)
    if conn is None:
        raise ConnectionUnavailableError(f"no connection {cid}")
    return conn


def _sweep(session: Any, conn: Connection) -> None:
    """After a restarted chain, drop rows only an aborted pass delivered: the provider collapsed
    them away (created and removed after the chain began), so they no longer exist."""
    if conn.chain_first_pass >= conn.sync_pass:
        return
    account_ids = select(Account.id).where(Account.connection_id == conn.id)
    session.execute(
        delete(Transaction).where(
            Transaction.account_id.in_(account_ids),
            Transaction.sync_pass >= conn.chain_first_pass,
            Transaction.sync_pass < conn.sync_pass,
        )
    )
