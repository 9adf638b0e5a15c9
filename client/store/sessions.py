"""Tables of the demo app's server-side state (same `Base`): sign-in sessions and Link flows.

The app's cookie is signed, not secret-free: a copy of it works wherever it is sent. So the
cookie only names a row here (by a hash of its random key), and signing out deletes the row,
after which every copy of that cookie is refused. A Link flow binds Link's return to the
session that opened Link, and remembers what its completion made.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from client.store.models import Base, utcnow
from client.store.types import UTCDateTime


class AppSession(Base):
    """A signed-in browser session: its key's SHA-256 (the cookie carries the key)."""

    __tablename__ = "bc_app_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkFlow(Base):
    """A hosted Link the app's pages opened, between the link token and Link's return: found
    by `state` (in the completion URL), used only by the session that opened it, once."""

    __tablename__ = "bc_link_flows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(100), unique=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    user_ref: Mapped[str] = mapped_column(String(100))
    # The connection being repaired or linked again; None when connecting a new bank.
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("bc_connections.id"))
    # What the completion connected (or repaired): a repeated completion lands there.
    result_id: Mapped[int | None] = mapped_column(ForeignKey("bc_connections.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
