"""Connection lifecycle: link, account matching on re-link, repair, balances, disconnect."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from client.api.errors import ClientError, ItemNotFoundError, PlaidError, error_from_response
from client.api.plaid import PlaidClient
from client.audit import AuditLog
from client.crypto import TokenCipher
from client.notify import Notifier, log_notifier
from client.providers.model import LocalAccount
from client.providers.plaid import PlaidProvider, map_account
from client.store.db import Store
from client.store.models import Account, Connection, ConnectionStatus, Cut
from client.sync.accounts import upsert_account
from client.sync.duplicates import refuse_linked_login, removed_unless_kept
from client.sync.engine import PageHook, SyncEngine, SyncResult
from client.sync.engine import get_connection as _get


@dataclass(frozen=True)
class _Linked:
    """An exchanged public token: the new Item, its access token and accounts."""

    item_id: str
    token: str
    item: dict[str, Any]
    accounts: list[LocalAccount]


@dataclass(frozen=True)
class LinkStart:
    """A Link token and, when the provider hosts Link, the URL to send the user to."""

    token: str
    url: str | None

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> LinkStart:
        """From a /link/token/create reply."""
        url = reply.get("hosted_link_url")
        return cls(str(reply["link_token"]), str(url) if url else None)


@dataclass(frozen=True)
class Connected:
    """What `connect_in_place` did: the connection's id and whether it `relinked` a
    disconnected connection in place (False: it made a new connection)."""

    connection_id: int
    relinked: bool


class BankSync:
    """What an app embeds: connect banks, keep them synced, repair and disconnect them.

    Syncing is a provider-neutral `SyncEngine` over a `PlaidProvider`, held, not inherited;
    only Plaid's own link, item and balance calls go straight to the `PlaidClient`."""

    def __init__(
        self,
        plaid: PlaidClient,
        store: Store,
        cipher: TokenCipher,
        *,
        notifier: Notifier = log_notifier,
        audit: AuditLog | None = None,
        page_size: int = 500,
        max_restarts: int = 5,
        client_name: str = "Bank Client",
    ) -> None:
        self.plaid, self.store, self.cipher, self.client_name = plaid, store, cipher, client_name
        self.engine = SyncEngine(
            PlaidProvider(plaid),
            store,
            cipher,
            notifier=notifier,
            audit=audit,
            page_size=page_size,
            max_restarts=max_restarts,
        )
        self.audit, self.notifier = self.engine.audit, notifier

    def client_for(self, connection_id: int | None) -> PlaidClient:
        """The API client whose calls land in the audit log under this connection."""
        return self.plaid.observed(self.audit.call_observer(connection_id))

    def access_token(self, connection_id: int) -> str:
        """Decrypt the stored token just for the call that needs it."""
        return self.engine.credentials(connection_id)

    def sync(
        self, connection_id: int, trigger: str = "manual", on_page: PageHook | None = None
    ) -> SyncResult:
        """Pull new, changed and removed transactions; errors are recorded, not raised."""
        return self.engine.sync(connection_id, trigger, on_page)

    def refresh(self, connection_id: int) -> SyncResult:
        """A manual refresh: /transactions/refresh, then sync what it brought."""
        return self.engine.refresh(connection_id)

    def link_token(
        self, user_ref: str, *, webhook: str | None = None, days_requested: int = 730
    ) -> str:
        """A Link token for connecting a new bank (pass it to Link in the browser)."""
        reply = self.client_for(None).link_token_create(
            user_ref, client_name=self.client_name, webhook=webhook, days_requested=days_requested
        )
        return str(reply["link_token"])

    def link_start(
        self,
        user_ref: str,
        *,
        webhook: str | None = None,
        days_requested: int = 730,
        completion_uri: str | None = None,
    ) -> LinkStart:
        """A hosted Link session for connecting a new bank (the CLI prints its URL); with
        `completion_uri`, Link sends the browser back there with the public token."""
        reply = self.client_for(None).link_token_create(
            user_ref,
            client_name=self.client_name,
            webhook=webhook,
            days_requested=days_requested,
            hosted_link=_hosted(completion_uri),
        )
        return LinkStart.from_reply(reply)

    def connect(
        self,
        public_token: str,
        *,
        user_ref: str = "default",
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Exchange Link's public token, store the encrypted access token and the accounts: a
        new connection, which adopts the accounts and history of the user's disconnected
        connections of the same bank and login. A login the user has linked already raises
        `DuplicateConnection` naming the connection that has it; the new Item is removed."""
        return self._connect(public_token, user_ref, settings, in_place=False).connection_id

    def connect_in_place(
        self,
        public_token: str,
        *,
        user_ref: str = "default",
        settings: dict[str, Any] | None = None,
    ) -> Connected:
        """`connect`, except that a disconnected connection of the same bank and login takes
        the new Item itself and keeps its id, as `reconnect` does for the connection it names
        (for an app that cannot tell which connection a Link was for); says which it did."""
        return self._connect(public_token, user_ref, settings, in_place=True)

    def _connect(
        self, public_token: str, user_ref: str, settings: dict[str, Any] | None, *, in_place: bool
    ) -> Connected:
        """Both ways of `connect`: `in_place` looks for the disconnected twin first."""

        def choose(session: Session, linked: _Linked) -> Connection:
            twin = _disconnected_twin(session, user_ref, linked) if in_place else None
            return twin or Connection(user_ref=user_ref, settings=dict(settings or {}))

        return self._link(public_token, lambda _session: user_ref, choose)

    def reconnect(self, connection_id: int, public_token: str) -> int:
        """Finish `relink`: the new Item takes over the disconnected connection, which keeps its
        id, accounts, history and sync runs; returns the connection's id. Linking another bank
        there (Link lets the user pick any) connects that bank as a new connection instead."""

        def choose(session: Session, linked: _Linked) -> Connection:
            conn = _get(session, connection_id)
            if _takes_over(conn, linked):
                return conn
            return Connection(user_ref=conn.user_ref, settings=_link_settings(conn))

        def owner(session: Session) -> str:
            return _get(session, connection_id).user_ref

        return self._link(public_token, owner, choose).connection_id

    def _link(
        self,
        public_token: str,
        owner: Callable[[Session], str],
        choose: Callable[[Session, _Linked], Connection],
    ) -> Connected:
        """The one way a linked Item is stored, whichever connection gets it: exchange the
        public token, then give the Item to the connection `choose` picks, a stored one (taken
        over in place: relinked) or a new one; the Item is removed if the store fails to keep
        it, or if it is a login the user has linked already (`DuplicateConnection`).

        The user `owner` names holds the store's link lock (`client.store.locks`) from before
        the twin check until the new connection is committed: of Links of one login finishing
        at once, in any number of processes, the first connects and the others find its
        connection and are duplicates. Other users' Links do not wait for it on PostgreSQL."""
        linked = self._exchange(public_token)
        with self._removed_unless_kept(linked.token):
            with self.store.session() as session:  # apart: the lock must start its own
                user_ref = owner(session)  # transaction; a connection's user never changes
            with self.store.session() as session:
                _refuse_duplicate(session, user_ref, linked)
                conn = choose(session, linked)
                relinked = conn.id is not None  # a new connection has no id before it is flushed
                session.add(conn)
                cid = self._attach(session, conn, linked)
        self.audit.record_consent("connected", cid)
        return Connected(cid, relinked=relinked)

    def _exchange(self, public_token: str) -> _Linked:
        """Exchange Link's public token; the new Item and its accounts."""
        api = self.client_for(None)
        exchange = api.item_public_token_exchange(public_token)
        token = str(exchange["access_token"])
        with self._removed_unless_kept(token):
            item = api.item_get(token)["item"]
            accounts = [map_account(a) for a in api.accounts_get(token)["accounts"]]
        return _Linked(str(exchange["item_id"]), token, item, accounts)

    def _removed_unless_kept(self, token: str) -> contextlib.AbstractContextManager[None]:
        """Remove the new Item at the provider if what follows fails before the store keeps its
        token (`removed_unless_kept`): no connection would answer its webhooks."""
        return removed_unless_kept(lambda: self.client_for(None).item_remove(token), (ClientError,))

    def _attach(self, session: Session, conn: Connection, linked: _Linked) -> int:
        """Give `conn` the Item: its encrypted token, institution and accounts (taking over the
        accounts of the same user's disconnected connections, whose history it adopts)."""
        conn.item_id, conn.access_token_enc = linked.item_id, self.cipher.encrypt(linked.token)
        conn.institution_id = linked.item.get("institution_id")
        conn.institution_name = Cut.institution_name(linked.item.get("institution_name"))
        conn.consent_expires_at = _instant(linked.item.get("consent_expiration_time"))
        conn.cursor, conn.in_chain, conn.chain_cursor = None, False, None  # a new Item's changes
        session.flush()
        if _match_accounts(session, conn, linked.accounts):
            conn.settings = {**conn.settings, "adopt_history": True}
        conn.status, conn.last_error_code, conn.last_error_message = (
            ConnectionStatus.ACTIVE,
            None,
            None,
        )
        return conn.id

    def connect_sandbox(
        self,
        institution_id: str = "ins_109508",
        *,
        days_requested: int = 730,
        user_ref: str = "default",
        webhook: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Sandbox shortcut (no Link UI): create a public token, then `connect` it."""
        public = self.client_for(None).sandbox_public_token_create(
            institution_id, days_requested=days_requested, webhook=webhook
        )["public_token"]
        chosen = {"days_requested": days_requested, **(settings or {})}
        return self.connect(str(public), user_ref=user_ref, settings=chosen)

    def repair_link_token(self, connection_id: int) -> str:
        """An update-mode Link token: the user signs in again, the access token stays."""
        return self.repair_link(connection_id).token

    def repair_link(
        self,
        connection_id: int,
        *,
        account_selection: bool = False,
        completion_uri: str | None = None,
    ) -> LinkStart:
        """Hosted update-mode Link: sign in again, or (`account_selection`) share new accounts."""
        token = self.access_token(connection_id)
        with self.store.session() as session:
            user_ref = _get(session, connection_id).user_ref
        options: dict[str, Any] = {"hosted_link": _hosted(completion_uri)}
        if account_selection:
            options["update"] = {"account_selection_enabled": True}
        reply = self.client_for(connection_id).link_token_create(
            user_ref, client_name=self.client_name, access_token=token, **options
        )
        return LinkStart.from_reply(reply)

    def relink(self, connection_id: int, *, completion_uri: str | None = None) -> LinkStart:
        """A new Link for a connection beyond repair: same user, same stored history window;
        `reconnect` then attaches the new Item to the connection."""
        with self.store.session() as session:
            conn = _get(session, connection_id)
            user_ref, days = conn.user_ref, _link_settings(conn)["days_requested"]
        return self.link_start(user_ref, days_requested=days, completion_uri=completion_uri)

    def reconnect_link(
        self,
        connection_id: int,
        *,
        account_selection: bool = False,
        completion_uri: str | None = None,
    ) -> LinkStart:
        """Update mode while the Item exists; after a disconnect, by the user or by the bank
        (which leaves a token naming an Item that is gone), a new Link (`relink`)."""
        if not self.needs_relink(connection_id):
            return self.repair_link(
                connection_id, account_selection=account_selection, completion_uri=completion_uri
            )
        return self.relink(connection_id, completion_uri=completion_uri)

    def needs_relink(self, connection_id: int) -> bool:
        """Whether the connection's Item is gone (disconnected by the user or the bank, which
        leaves a token naming an Item that is gone): only a new Link, finished with
        `reconnect`, brings it back; otherwise update mode repairs it."""
        with self.store.session() as session:
            conn = _get(session, connection_id)
            return conn.access_token_enc is None or conn.status == ConnectionStatus.DISCONNECTED

    def set_consent_deadline(self, connection_id: int, when: dt.datetime) -> None:
        """PENDING_EXPIRATION / PENDING_DISCONNECT: remember when access ends (reminders)."""
        with self.store.session() as session:
            _get(session, connection_id).consent_expires_at = when

    def mark_repaired(self, connection_id: int) -> bool:
        """After update mode (or LOGIN_REPAIRED): confirm with /item/get, then catch up."""
        item = self.client_for(connection_id).item_get(self.access_token(connection_id))["item"]
        if item.get("error"):
            return False
        with self.store.session() as session:
            conn = _get(session, connection_id)
            conn.status, conn.last_error_code, conn.last_error_message = (
                ConnectionStatus.ACTIVE,
                None,
                None,
            )
        self.audit.record_consent("reauthenticated", connection_id)
        self.sync(connection_id, trigger="repair")
        return True

    def refresh_balances(self, connection_id: int, *, live: bool = False) -> int:
        """Update balances of every account (live balances cost more at Plaid)."""
        api = self.client_for(connection_id)
        token = self.access_token(connection_id)
        reply = api.accounts_balance_get(token) if live else api.accounts_get(token)
        with self.store.session() as session:
            conn = _get(session, connection_id)
            for raw in reply["accounts"]:
                upsert_account(session, conn, map_account(raw))
        return len(reply["accounts"])

    def disconnect(self, connection_id: int) -> None:
        """Call /item/remove, then delete the stored credentials (history stays); a second call
        is a no-op."""
        with self.store.session() as session:
            if _get(session, connection_id).access_token_enc is None:
                return
        # Already gone at the provider: still forget the token.
        with contextlib.suppress(ItemNotFoundError):
            self.client_for(connection_id).item_remove(self.access_token(connection_id))
        with self.store.session() as session:
            conn = _get(session, connection_id)
            conn.access_token_enc = None
            conn.status, conn.cursor, conn.in_chain = ConnectionStatus.DISCONNECTED, None, False
            conn.item_id = None
        self.audit.record_consent("disconnected", connection_id)

    def set_error_from_webhook(self, connection_id: int, error: dict[str, Any]) -> None:
        """ITEM/ERROR webhook: record the provider's error without calling it."""
        code = str(error.get("error_code") or "")
        status = (
            ConnectionStatus.LOGIN_REQUIRED
            if code == "ITEM_LOGIN_REQUIRED"
            else ConnectionStatus.ERROR
        )
        with self.store.session() as session:
            conn = _get(session, connection_id)
            conn.status, conn.last_error_code = status, code
            conn.last_error_message = error.get("display_message") or error.get("error_message")

    def connection_for_item(self, item_id: str) -> int | None:
        """The local connection of a provider Item (webhooks carry only item_id)."""
        with self.store.session() as session:
            return session.scalar(select(Connection.id).where(Connection.item_id == item_id))

    def check(self, connection_id: int) -> PlaidError | None:
        """Ask the provider for the Item's state; returns its error, if any."""
        item = self.client_for(connection_id).item_get(self.access_token(connection_id))["item"]
        err = item.get("error")
        if not err:
            return None
        return error_from_response(400, err)


def _match_accounts(session: Session, conn: Connection, accounts: list[LocalAccount]) -> bool:
    """Re-linking the same bank reuses the same user's local accounts (institution, mask, type,
    name) of a disconnected connection; another user's accounts are never candidates, whatever
    their login, and neither are those of a connection still linked: connecting a bank twice
    must leave the first connection its accounts and history. A disconnected connection
    linked again (`BankSync.reconnect`) takes back its own accounts first."""
    moved = False
    for acc in accounts:
        existing = session.scalar(
            select(Account)
            .join(Connection, Account.connection_id == Connection.id)
            .where(
                Connection.user_ref == conn.user_ref,
                Connection.status == ConnectionStatus.DISCONNECTED,  # by the user or the bank
                Account.provider_id != acc.provider_id,
                Account.institution_id == conn.institution_id,
                *_same_login(acc),
            )
            .order_by(Connection.id != conn.id, Account.id)
            .limit(1)
        )
        if existing is not None:
            existing.provider_id = acc.provider_id
            moved = True
        upsert_account(session, conn, acc)
    session.flush()
    return moved


def _refuse_duplicate(session: Session, user_ref: str, linked: _Linked) -> None:
    """Hold the user's link lock, then raise `DuplicateConnection` when `user_ref` has linked
    the new Item's login already (`client.sync.duplicates`); the caller removes the Item at the
    provider."""
    institution_id = linked.item.get("institution_id")
    refuse_linked_login(
        session, PlaidProvider.name, user_ref, institution_id, linked.accounts, _update_mode
    )


def _update_mode(connection_id: int) -> str:
    """How a Plaid connection waiting for a sign-in is repaired: update mode, same Item."""
    return f"in update mode (bank-client reconnect {connection_id})"


def _takes_over(conn: Connection, linked: _Linked) -> bool:
    """Whether `conn` takes a newly linked Item in place (same id, accounts, history and sync
    runs): it is disconnected (by the user or the bank) and the Item is of its bank."""
    same_bank = linked.item.get("institution_id") == conn.institution_id
    return conn.status == ConnectionStatus.DISCONNECTED and same_bank


def _disconnected_twin(session: Session, user_ref: str, linked: _Linked) -> Connection | None:
    """The user's connection that a newly linked Item of the same bank and login takes over in
    place (`_takes_over`): the oldest holding one of the Item's accounts (`_same_login`)."""
    for acc in linked.accounts:
        holders = session.scalars(
            select(Connection)
            .join(Account, Account.connection_id == Connection.id)
            .where(Connection.user_ref == user_ref, *_same_login(acc))
            .order_by(Account.id)
        )
        for conn in holders:
            if _takes_over(conn, linked):
                return conn
    return None


def _same_login(acc: LocalAccount) -> tuple[ColumnElement[bool], ...]:
    """A stored account that is `acc` as another Item of the same login sees it (its Item's
    ids are new): the same mask, type and name."""
    return (
        Account.mask == acc.mask,
        Account.type == acc.type,
        Account.name == Cut.account_name(acc.name),
    )


def _link_settings(conn: Connection) -> dict[str, Any]:
    """The settings a new Link for `conn`'s user keeps: its history window."""
    return {"days_requested": int(conn.settings.get("days_requested", 730))}


def _hosted(completion_uri: str | None) -> dict[str, str]:
    """Plaid's `hosted_link` object: where Link returns the browser, if anywhere."""
    return {"completion_redirect_uri": completion_uri} if completion_uri else {}


def _instant(text: str | None) -> dt.datetime | None:
    """Plaid date-time strings ("...Z") as aware datetimes."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
