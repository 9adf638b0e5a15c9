"""The app's actions over `BankSync`: Link sessions, completing them, syncs, pause, disconnect.

Reads live in `client.app.queries`; everything here that changes a connection goes through the
client's own `BankSync`, `JobQueue` and schedule functions, never around them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.api.plaid import PlaidClient
from client.app.errors import Conflict
from client.app.queries import owned_connection
from client.schedule.due import set_paused
from client.store.jobs import Job, JobStatus
from client.store.models import Connection, SyncRun
from client.sync.connections import BankSync, LinkStart
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
    run = session.scalar(
        select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id.desc())
    )
    if run is not None and run.finished_at is None:
        return SyncState("running", run)
    waiting = session.scalar(
        select(Job.id).where(
            Job.kind == "sync",
            Job.connection_id == connection_id,
            Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )
    if waiting is not None:
        return SyncState("queued", run)
    if run is None:
        return SyncState("idle", None)
    return SyncState("failed" if run.error_code else "done", run)


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

    def completion_uri(self, seen_at: str, connection_id: int | None = None) -> str:
        """Where hosted Link sends the browser back (with the connection being repaired);
        `seen_at` is this app's URL as the request reached it, used unless configured."""
        query = f"?{urlencode({'connection_id': connection_id})}" if connection_id else ""
        return f"{self.public_url or seen_at.rstrip('/')}/connections/complete{query}"

    def webhook(self, seen_at: str) -> str:
        """Where the provider delivers this app's webhooks."""
        return self.webhook_url or f"{self.public_url or seen_at.rstrip('/')}/webhooks/plaid"

    def start_link(self, user: str, seen_at: str) -> LinkStart:
        """A hosted Link session to connect a new bank for `user`."""
        link = self.bank.link_start(
            user,
            webhook=self.webhook(seen_at),
            days_requested=self.days_requested,
            completion_uri=self.completion_uri(seen_at),
        )
        return self._public(link)

    def reconnect(self, user: str, connection_id: int, seen_at: str) -> LinkStart:
        """Update mode when login is required; a new Link for a disconnected connection."""
        with self.bank.store.session() as session:
            owned_connection(session, user, connection_id)
        link = self.bank.reconnect_link(
            connection_id, completion_uri=self.completion_uri(seen_at, connection_id)
        )
        return self._public(link)

    def _public(self, link: LinkStart) -> LinkStart:
        """Hosted Link's URL as the browser reaches it (`link_url` replaces the origin)."""
        if not link.url or not self.link_url:
            return link
        origin = urlsplit(self.link_url)
        parts = urlsplit(link.url)._replace(scheme=origin.scheme, netloc=origin.netloc)
        return LinkStart(link.token, urlunsplit(parts))

    def complete(self, user: str, public_token: str) -> int:
        """Exchange Link's public token for a new connection of `user` and queue its first
        sync; returns the connection id."""
        settings = {"days_requested": self.days_requested}
        cid = self.bank.connect(public_token, user_ref=user, settings=settings)
        self.sync(user, cid, trigger="initial")
        return cid

    def repaired(self, user: str, connection_id: int) -> bool:
        """After update mode: confirm with the provider, clear the error and catch up."""
        with self.bank.store.session() as session:
            _linked(owned_connection(session, user, connection_id))
        return self.bank.mark_repaired(connection_id)

    # -- syncs and settings --------------------------------------------------------------------

    def sync(self, user: str, connection_id: int, trigger: str = "manual") -> SyncState:
        """Queue a sync (joining one already waiting) and wake the worker."""
        with self.bank.store.session() as session:
            _linked(owned_connection(session, user, connection_id))
        # Its own transaction: a scheduler racing to queue the same sync is joined, not an error.
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
            owned_connection(session, user, connection_id)
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


def _linked(conn: Connection) -> None:
    """A disconnected connection has no credentials to sync or repair with: the app's own
    state, a 409, not a provider's refusal."""
    if conn.access_token_enc is None:
        raise Conflict(
            f"connection {conn.id} is disconnected: reconnect it first", field="connection_id"
        )
