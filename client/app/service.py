"""The app's actions over `BankSync`: Link sessions, completing them, syncs, pause, disconnect.

Reads live in `client.app.queries`; everything here that changes a connection goes through the
client's own `BankSync`, `JobQueue` and schedule functions, never around them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client.api.plaid import PlaidClient
from client.app import sessions
from client.app.errors import Conflict
from client.app.queries import owned_connection
from client.providers.truelayer import TrueLayerProvider
from client.schedule.due import set_paused
from client.store.jobs import Job, JobStatus
from client.store.models import Connection, ConnectionStatus, SyncRun, utcnow
from client.sync.connections import BankSync, LinkStart
from client.sync.duplicates import DuplicateConnection
from client.worker.queue import JobQueue

INSTITUTIONS_TTL = 600.0  # seconds the provider's institution list is kept
COUNTRIES = ("US",)  # the countries of the Link tokens this app makes (the client's default)


@dataclass(frozen=True)
class SyncState:
    """Where a connection's sync is: queued, running (with its counts so far) or finished."""

    state: str  # "idle" | "queued" | "running" | "done" | "failed"
    run: SyncRun | None


def sync_state(session: Session, connection_id: int) -> SyncState:
    """The newest run, or the queued job waiting to start one."""
    return sync_states(session, [connection_id])[connection_id]


def sync_states(session: Session, connection_ids: Sequence[int]) -> dict[int, SyncState]:
    """`sync_state` of many connections in two queries, whatever their number: the open
    connections page polls every connection of its user at once."""
    newest = (
        select(func.max(SyncRun.id))
        .where(SyncRun.connection_id.in_(connection_ids))
        .group_by(SyncRun.connection_id)
    )
    runs = {
        run.connection_id: run
        for run in session.scalars(select(SyncRun).where(SyncRun.id.in_(newest)))
    }
    waiting: dict[int | None, list[Job]] = {}
    for job in session.scalars(
        select(Job).where(
            Job.kind == "sync",
            Job.connection_id.in_(connection_ids),
            Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    ):
        waiting.setdefault(job.connection_id, []).append(job)
    return {cid: _state(runs.get(cid), waiting.get(cid, [])) for cid in connection_ids}


def _state(run: SyncRun | None, waiting: list[Job]) -> SyncState:
    """Running while the newest run has not finished; queued while a job waits to start one;
    else how the newest run ended."""
    if run is not None and run.finished_at is None:
        return SyncState("running", run)
    if any(not _retry_after_failure(job, run) for job in waiting):
        return SyncState("queued", run)
    if run is None:
        return SyncState("idle", None)
    return SyncState("failed" if run.error_code else "done", run)


def _retry_after_failure(job: Job, run: SyncRun | None) -> bool:
    """A job waiting out its backoff after its run failed (the provider was down): the sync
    failed, and says so, rather than showing "queued" for the minutes until the retry."""
    failed = run is not None and run.error_code is not None
    return failed and job.status == JobStatus.QUEUED and job.run_after > utcnow()


@dataclass(frozen=True)
class LinkOutcome:
    """What a completion of Link did: `connected` a new bank, `relinked` a disconnected one,
    `repaired` one (or found it `still_broken`), found the login linked already (`duplicate`:
    `connection_id` is the connection that has it), or found it `already` done by an earlier
    completion (`connection_id` None: that one is still at work)."""

    outcome: str
    connection_id: int | None


def duplicate_outcome(dup: DuplicateConnection) -> LinkOutcome:
    """A Link of a login the user has linked already: the connection that has it."""
    outcome = "duplicate_login_required" if dup.login_required else "duplicate"
    return LinkOutcome(outcome, dup.connection_id)


class AppService:
    """What the API and the pages do for a signed-in user."""

    def __init__(
        self,
        bank: BankSync,
        queue: JobQueue,
        *,
        public_url: str | None = None,
        webhook_url: str | None = None,
        link_url: str | None = None,
        days_requested: int = 365,
        wake: Any = None,
    ) -> None:
        self.bank, self.queue = bank, queue
        self.public_url, self.webhook_url, self.link_url = public_url, webhook_url, link_url
        self.days_requested = days_requested
        self.wake = wake or (lambda: None)
        self._institutions: tuple[float, list[dict[str, Any]]] | None = None

    # -- Link ----------------------------------------------------------------------------------

    def completion_uri(self, seen_at: str, state: str | None = None) -> str:
        """Where hosted Link sends the browser back, with the flow's `state` when a session
        opened Link; `seen_at` is this app's URL as the request reached it, used unless
        configured."""
        query = f"?{urlencode({'state': state})}" if state else ""
        return f"{self.public_url or seen_at.rstrip('/')}/connections/complete{query}"

    def webhook(self, seen_at: str) -> str:
        """Where the provider delivers this app's webhooks."""
        return self.webhook_url or f"{self.public_url or seen_at.rstrip('/')}/webhooks/plaid"

    def _state(self, key: str | None, user: str, connection_id: int | None = None) -> str | None:
        """A Link flow bound to the cookie session `key` (None: an HTTP Basic caller, who
        finishes Link through the API instead)."""
        return sessions.start_flow(self.bank.store, key, user, connection_id) if key else None

    def start_link(self, user: str, seen_at: str, session_key: str | None = None) -> LinkStart:
        """A hosted Link session to connect a new bank for `user`."""
        link = self.bank.link_start(
            user,
            webhook=self.webhook(seen_at),
            days_requested=self.days_requested,
            completion_uri=self.completion_uri(seen_at, self._state(session_key, user)),
        )
        return self._public(link)

    def reconnect(
        self, user: str, connection_id: int, seen_at: str, session_key: str | None = None
    ) -> LinkStart:
        """Update mode while the Item exists; a new Link for a disconnected connection."""
        with self.bank.store.session() as session:
            _plaid(owned_connection(session, user, connection_id))
        state = self._state(session_key, user, connection_id)
        link = self.bank.reconnect_link(
            connection_id, completion_uri=self.completion_uri(seen_at, state)
        )
        return self._public(link)

    def _public(self, link: LinkStart) -> LinkStart:
        """Hosted Link's URL as the browser reaches it (`link_url` replaces the origin)."""
        if not link.url or not self.link_url:
            return link
        origin = urlsplit(self.link_url)
        parts = urlsplit(link.url)._replace(scheme=origin.scheme, netloc=origin.netloc)
        return LinkStart(link.token, urlunsplit(parts))

    def complete(self, user: str, public_token: str) -> LinkOutcome:
        """Exchange Link's public token and queue the first sync. The Item is `connected` as a
        new bank of `user`, or, of the bank and login of one of their disconnected connections,
        `relinked` to that one in place, as *Link again* does; of a login one of their linked
        connections has, it is removed again and the outcome names that connection (`duplicate`,
        or `duplicate_login_required` when it waits for a sign-in: update mode repairs it)."""
        settings = {"days_requested": self.days_requested}
        try:
            done = self.bank.connect_in_place(public_token, user_ref=user, settings=settings)
        except DuplicateConnection as dup:
            return duplicate_outcome(dup)
        self.sync(user, done.connection_id, trigger="initial")
        return LinkOutcome("relinked" if done.relinked else "connected", done.connection_id)

    def finish_link(
        self, user: str, session_key: str, state: str, public_token: str
    ) -> LinkOutcome:
        """Link returned to the pages: complete the flow `state` this session opened, once (a
        repeated completion lands on what the first made); nothing is exchanged for a flow
        another session opened."""
        claim = sessions.claim_flow(self.bank.store, session_key, state)
        if not claim.fresh:
            return LinkOutcome("already", claim.result_id)
        with self._released_on_failure(state):
            outcome = self._finish(user, claim.connection_id, public_token)
        assert outcome.connection_id is not None
        sessions.finish_flow(self.bank.store, state, outcome.connection_id)
        return outcome

    @contextmanager
    def _released_on_failure(self, state: str) -> Iterator[None]:
        """A completion the provider refused may be tried again (Back, then Continue)."""
        try:
            yield
        except Exception:
            sessions.release_flow(self.bank.store, state)
            raise

    def _finish(self, user: str, connection_id: int | None, public_token: str) -> LinkOutcome:
        """Connect a new bank, link a disconnected connection again (same connection, history
        kept) or confirm the repair of one in update mode."""
        if connection_id is None:
            return self.complete(user, public_token)
        with self.bank.store.session() as session:
            disconnected = _disconnected(owned_connection(session, user, connection_id))
        if not disconnected:
            repaired = self.repaired(user, connection_id)
            return LinkOutcome("repaired" if repaired else "still_broken", connection_id)
        try:
            cid = self.bank.reconnect(connection_id, public_token)
        except DuplicateConnection as dup:  # a login another of their connections has
            return duplicate_outcome(dup)
        self.sync(user, cid, trigger="initial")
        return LinkOutcome("relinked" if cid == connection_id else "connected", cid)

    def repaired(self, user: str, connection_id: int) -> bool:
        """After update mode: confirm with the provider, clear the error and catch up."""
        with self.bank.store.session() as session:
            _linked(_plaid(owned_connection(session, user, connection_id)))
        return self.bank.mark_repaired(connection_id)

    # -- syncs and settings --------------------------------------------------------------------

    def sync(self, user: str, connection_id: int, trigger: str = "manual") -> SyncState:
        """Queue a sync (joining one already waiting) and wake the worker."""
        with self.bank.store.session() as session:
            _linked(_plaid(owned_connection(session, user, connection_id)))
        # Its own transaction: a scheduler racing to queue the same sync is joined, not an error.
        # "Now", even when a retry waits out its backoff: that one runs now, instead of later.
        if not self.queue.hurry("sync", connection_id):
            self.queue.enqueue("sync", connection_id, {"trigger": trigger}, coalesce=True)
        self.wake()
        with self.bank.store.session() as session:
            return sync_state(session, connection_id)

    def pause(self, user: str, connection_id: int, paused: bool) -> None:
        """Stop (or restart) scheduled and webhook syncs; "sync now" still works."""
        with self.bank.store.session() as session:
            owned_connection(session, user, connection_id)
        set_paused(self.bank.store, connection_id, paused)

    def disconnect(self, user: str, connection_id: int) -> None:
        """Remove the Item at the provider and forget the token; the history stays."""
        with self.bank.store.session() as session:
            _plaid(owned_connection(session, user, connection_id))
        self.bank.disconnect(connection_id)

    # -- providers -----------------------------------------------------------------------------

    def institutions(self) -> list[dict[str, Any]]:
        """The provider's institutions (cached): id, name, OAuth or not, products."""
        now = time.monotonic()
        if self._institutions is None or now - self._institutions[0] > INSTITUTIONS_TTL:
            self._institutions = (now, _institutions(self.bank.plaid))
        return self._institutions[1]


def _institutions(plaid: PlaidClient) -> list[dict[str, Any]]:
    reply = plaid.post("/institutions/get", count=100, offset=0, country_codes=list(COUNTRIES))
    return [
        {
            "id": i["institution_id"],
            "name": i["name"],
            "oauth": bool(i.get("oauth")),
            "country_codes": i.get("country_codes", []),
            "products": i.get("products", []),
        }
        for i in reply.get("institutions", [])
    ]


def _disconnected(conn: Connection) -> bool:
    """Disconnected by the user (no token) or by the bank (a token naming a removed Item)."""
    return conn.access_token_enc is None or conn.status == ConnectionStatus.DISCONNECTED


def _plaid(conn: Connection) -> Connection:
    """This app syncs, repairs and disconnects Plaid Items; a TrueLayer connection in its store
    (made by an app embedding `TrueLayerSync`) is a 409 saying so, before a run is queued or
    the provider is called (the engine's `OTHER_PROVIDER` was a failed run, or a 502)."""
    if conn.provider == TrueLayerProvider.name:
        raise Conflict(
            f"connection {conn.id} is a TrueLayer connection: this app syncs, repairs and "
            "disconnects Plaid Items only; use TrueLayerSync in the app that connected it",
            field="connection_id",
        )
    return conn


def _linked(conn: Connection) -> None:
    """A disconnected connection has nothing to sync or repair: the app's own state, a 409,
    not a provider's refusal."""
    if _disconnected(conn):
        raise Conflict(
            f"connection {conn.id} is disconnected: link it again first", field="connection_id"
        )
