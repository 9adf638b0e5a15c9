"""Server-side state of the demo pages: sign-in sessions and the Link flows they open.

A session is a row named by the SHA-256 of a random key the signed cookie carries; signing out
deletes the row, so a copy of the cookie taken before stops working. A Link flow is a row
named by a random `state` that rides in Link's completion URL: only the session that opened
Link may complete it, once; a repeated completion (Back, then Continue again) finds what the
first one connected instead of spending Link's public token a second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from client.app.errors import InvalidField, LinkNotYours
from client.store.db import Store
from client.store.models import utcnow
from client.store.sessions import AppSession, LinkFlow

SESSION_DAYS = 14  # a sign-in lasts this long at most (the cookie lives until the browser closes)
FLOW_HOURS = 24  # Link's own tokens last hours; a flow left unfinished is swept after this


def _digest(key: str) -> str:
    """What the database keeps of a session key: a stolen table signs nobody in."""
    return hashlib.sha256(key.encode()).hexdigest()


def open_session(store: Store, user: str) -> str:
    """A new session for `user`; returns the key for the cookie. The user's sessions older
    than SESSION_DAYS go at the same time."""
    key = secrets.token_urlsafe(32)
    with store.session() as session:
        session.execute(
            delete(AppSession).where(
                AppSession.user_ref == user, AppSession.created_at < _ago(days=SESSION_DAYS)
            )
        )
        session.add(AppSession(id=_digest(key), user_ref=user))
    return key


def session_owner(store: Store, key: str) -> str | None:
    """The user whose live session `key` names (None: signed out, expired or never)."""
    with store.session() as session:
        row = session.get(AppSession, _digest(key))
        if row is None or row.created_at < _ago(days=SESSION_DAYS):
            return None
        return row.user_ref


def close_session(store: Store, key: str) -> None:
    """Sign out: the session and its unfinished Link flows are gone."""
    digest = _digest(key)
    with store.session() as session:
        session.execute(delete(LinkFlow).where(LinkFlow.session_id == digest))
        session.execute(delete(AppSession).where(AppSession.id == digest))


def start_flow(store: Store, key: str, user: str, connection_id: int | None) -> str:
    """A Link flow of this session (for `connection_id`, when repairing or linking it again);
    returns its `state`. The session's flows older than FLOW_HOURS go at the same time."""
    state = secrets.token_urlsafe(24)
    digest = _digest(key)
    with store.session() as session:
        session.execute(
            delete(LinkFlow).where(
                LinkFlow.session_id == digest, LinkFlow.created_at < _ago(hours=FLOW_HOURS)
            )
        )
        session.add(
            LinkFlow(state=state, session_id=digest, user_ref=user, connection_id=connection_id)
        )
    return state


@dataclass(frozen=True)
class Claim:
    """A Link flow taken for completion: `fresh` when this request is the one to finish it;
    otherwise `result_id` is what an earlier completion made (None: it is still at work)."""

    connection_id: int | None
    fresh: bool
    result_id: int | None


def claim_flow(store: Store, key: str, state: str) -> Claim:
    """Take this session's flow `state` for completion (atomically: of two requests at once,
    one finishes it). A missing state is a 400, another session's (or an expired) one a 403."""
    if not state:
        raise InvalidField("state: missing; Link was not opened from this app", field="state")
    digest = _digest(key)
    mine = (LinkFlow.state == state, LinkFlow.session_id == digest)
    with store.session() as session:
        taken = session.execute(
            update(LinkFlow).where(*mine, LinkFlow.used_at.is_(None)).values(used_at=utcnow())
        )
        flow = session.scalar(select(LinkFlow).where(*mine))
        if flow is None:
            raise LinkNotYours("this Link was opened by another sign-in, or long ago")
        return Claim(flow.connection_id, bool(getattr(taken, "rowcount", 0)), flow.result_id)


def finish_flow(store: Store, state: str, result_id: int) -> None:
    """Remember what the flow's completion connected."""
    with store.session() as session:
        session.execute(update(LinkFlow).where(LinkFlow.state == state).values(result_id=result_id))


def release_flow(store: Store, state: str) -> None:
    """The completion failed (the provider refused): the flow may be completed again."""
    with store.session() as session:
        session.execute(update(LinkFlow).where(LinkFlow.state == state).values(used_at=None))


def _ago(**delta: float) -> dt.datetime:
    return utcnow() - dt.timedelta(**delta)
