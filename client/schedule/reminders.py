"""Re-auth reminders: tell the user before consent ends, once per deadline and notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from client.notify import Notification, Notifier
from client.providers.truelayer import TrueLayerProvider
from client.store.db import Store
from client.store.jobs import Reminder
from client.store.models import Connection, ConnectionStatus

NOTICE_DAYS = (7, 1)


def renewal(conn: Connection) -> str:
    """What renews a connection's consent: `bank-client reconnect` serves Plaid Items only;
    a TrueLayer connection renews in the app that embeds `TrueLayerSync`."""
    if conn.provider == TrueLayerProvider.name:
        return f"TrueLayerSync.reconsent({conn.id})"
    return f"bank-client reconnect {conn.id}"


def reminder_text(conn: Connection, deadline: dt.datetime) -> str:
    """What the user reads: which bank, until when, and how to fix it."""
    bank = conn.institution_name or conn.institution_id or "your bank"
    return (
        f"Access to {bank} ends on {deadline:%Y-%m-%d %H:%M} UTC. Sign in again before then "
        f"to keep it syncing ({renewal(conn)})."
    )


def remind(
    store: Store, notifier: Notifier, connection_id: int, deadline: dt.datetime, notice: str
) -> bool:
    """Send the reminder unless this (connection, deadline, notice) was sent; True if sent."""
    key = f"{connection_id}:{deadline.astimezone(dt.UTC).isoformat()}:{notice}"
    with store.session() as session:
        conn = session.get(Connection, connection_id)
        if conn is None or session.scalar(select(Reminder.id).where(Reminder.key == key)):
            return False
        text = reminder_text(conn, deadline)
    # Sent first, recorded second: a crash in between repeats a reminder, never loses one.
    notifier(Notification("reauth_reminder", connection_id, text, error_code=notice_code(notice)))
    try:
        with store.session() as session:
            session.add(Reminder(connection_id=connection_id, key=key))
    except IntegrityError:
        pass  # a concurrent worker sent it too
    return True


def notice_code(notice: str) -> str:
    """The troubleshooting code of a notice (webhook notices keep Plaid's code)."""
    return notice if notice.startswith("PENDING_") else "PENDING_EXPIRATION"


def send_due_reminders(
    store: Store,
    notifier: Notifier,
    now: dt.datetime,
    notice_days: Sequence[int] = NOTICE_DAYS,
) -> int:
    """Remind for every live connection whose consent ends within one of the notices."""
    with store.session() as session:
        found = session.execute(
            select(Connection.id, Connection.consent_expires_at).where(
                Connection.consent_expires_at.is_not(None),
                Connection.consent_expires_at > now,
                Connection.status != ConnectionStatus.DISCONNECTED,
                Connection.access_token_enc.is_not(None),
            )
        ).all()
    sent = 0
    for cid, deadline in ((c, d) for c, d in found if d is not None):
        for days in sorted(notice_days):
            if deadline <= now + dt.timedelta(days=days):
                sent += remind(store, notifier, cid, deadline, f"{days}d")
                break  # the nearest notice only; the wider ones are past
    return sent
