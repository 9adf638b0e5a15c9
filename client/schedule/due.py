"""Which connections are due: daily/weekly/monthly since the last successful sync."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from client.store.db import Store
from client.store.models import Connection, ConnectionStatus, utcnow

INTERVALS = {
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(days=7),
    "monthly": dt.timedelta(days=30),
}
# Failed connections retry sooner than their schedule, but not in a tight loop.
ERROR_RETRY = dt.timedelta(hours=1)
# A run at the same time each day stays due although yesterday's finished minutes later.
GRACE = dt.timedelta(minutes=30)


def is_due(conn: Connection, now: dt.datetime) -> bool:
    """A connection is due when active (or in a transient error) and its interval passed."""
    if conn.paused or conn.schedule not in INTERVALS or conn.access_token_enc is None:
        return False
    if conn.status in (ConnectionStatus.DISCONNECTED, ConnectionStatus.LOGIN_REQUIRED):
        return False  # waiting for the user; syncing would only fail again
    if conn.status == ConnectionStatus.ERROR and conn.last_sync_at is not None:
        return now - conn.last_sync_at >= ERROR_RETRY
    last = conn.last_success_at
    return last is None or now - last >= INTERVALS[conn.schedule] - GRACE


def due_connections(
    store: Store, now: dt.datetime | None = None, *, provider: str | None = None
) -> list[int]:
    """Ids of connections to sync now, oldest sync first; with `provider`, only its own (a
    worker syncs one provider's connections, and a store may hold several providers')."""
    moment = now or utcnow()
    query = select(Connection).order_by(Connection.last_success_at)
    if provider is not None:
        query = query.where(Connection.provider == provider)
    with store.session() as session:
        conns = session.scalars(query).all()
        return [c.id for c in conns if is_due(c, moment)]


def set_schedule(store: Store, connection_id: int, schedule: str) -> None:
    """Change how often a connection syncs automatically."""
    if schedule not in INTERVALS:
        raise ValueError(f"schedule must be one of {sorted(INTERVALS)}")
    with store.session() as session:
        conn = session.get(Connection, connection_id)
        if conn is None:
            raise LookupError(f"no connection {connection_id}")
        conn.schedule = schedule


def set_paused(store: Store, connection_id: int, paused: bool) -> None:
    """Pause or resume automatic syncs (manual sync stays available)."""
    with store.session() as session:
        conn = session.get(Connection, connection_id)
        if conn is None:
            raise LookupError(f"no connection {connection_id}")
        conn.paused = paused
