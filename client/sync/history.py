"""A sync run's history row (``SyncRun``): opened by the run, kept up to date page by page,
closed with its totals; a row a killed run left open is closed by the next run.

Every step is one statement (opening: two when a killed run left a row open) and no read:
the rows are the CLI's ``history`` and the demo app's run list, never something the engine
decides by. The one thing read about them, whether a run was left open (`any_open`), comes
with the connection's row and only spares an UPDATE that would change nothing."""

from __future__ import annotations

from typing import Protocol, cast

from sqlalchemy import ColumnElement, Integer, Table, bindparam, case, exists, insert, or_, update
from sqlalchemy.orm import Session

from client.store.models import SyncRun, utcnow

INTERRUPTED = "INTERRUPTED"  # a run's history row that a later run found still open
INTERRUPTED_MESSAGE = (
    "stopped before it finished (killed or crashed); the pages it stored are kept and a "
    "later run carried on from them"
)
STOPPED_MESSAGE = (  # a run that was told to stop (Ctrl-C, SIGTERM) closes its own row
    "stopped before it finished (interrupted); the pages it stored are kept and the next run "
    "carries on from them"
)


class Totals(Protocol):
    """What a run has stored so far, and how it ended (``SyncResult`` is one)."""

    added: int
    modified: int
    removed: int
    pages: int
    restarts: int
    error_code: str | None
    error_message: str | None


_RUNS = cast(Table, SyncRun.__table__)
_COUNTS = ("added", "modified", "removed", "pages", "restarts")


def any_open(connection_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the connection whose id is `connection_id` has runs still open: a column to
    read with its row, for `open_run`."""
    return exists().where(_RUNS.c.connection_id == connection_id, _RUNS.c.finished_at.is_(None))


# Built once, like every statement of a sync with nothing new: building one takes more CPU
# than running it (0.1 ms against 0.05; `_CLOSE`, with its five CASE expressions, 0.2 ms).
_OPEN = insert(_RUNS).returning(_RUNS.c.id)


def open_run(session: Session, cid: int, trigger: str, *, interrupting: bool) -> int:
    """A new run's row, and its id. The connection's runs still open (`interrupting`, read by
    `any_open` in the same transaction) were killed or crashed: a run closes its row whatever
    happens to it short of that. They are marked interrupted with what their pages stored;
    one that was in fact alive in another process overwrites the mark when it closes."""
    if interrupting:
        session.execute(
            update(_RUNS)
            .where(_RUNS.c.connection_id == cid, _RUNS.c.finished_at.is_(None))
            .values(finished_at=utcnow(), error_code=INTERRUPTED, error_message=INTERRUPTED_MESSAGE)
        )
    opened = {"connection_id": cid, "trigger": trigger, "started_at": utcnow()}
    return int(session.execute(_OPEN, opened).scalar_one())


def record_progress(session: Session, run_id: int, totals: Totals) -> None:
    """After a page: the row shows what the run stored, even if it is killed next."""
    counts = {name: getattr(totals, name) for name in _COUNTS}
    session.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(**counts))


def _never_lower(name: str) -> ColumnElement[int]:
    """The count column `name` set to the run's count (bound as `name_`), unless it is higher."""
    count = bindparam(f"{name}_", type_=Integer)
    return case((_RUNS.c[name] > count, _RUNS.c[name]), else_=count)


_CLOSE = (
    update(_RUNS)
    .where(
        _RUNS.c.id == bindparam("run_id"),
        or_(_RUNS.c.finished_at.is_(None), _RUNS.c.error_code.is_not(None)),
    )
    .values(
        finished_at=bindparam("closed_at"),
        duration=bindparam("took"),
        error_code=bindparam("code"),
        error_message=bindparam("message"),
        **{name: _never_lower(name) for name in _COUNTS},
    )
)


def close_run(session: Session, run_id: int, totals: Totals, duration: float) -> None:
    """The row's counts, duration and error. A stop (Ctrl-C, SIGTERM) can land after a page's
    commit and before the engine counts that page: so counts never go below what the pages
    stored, and a row the last page closed cleanly stays as it is (only a row still open, or
    one marked interrupted by another process's run, is closed here)."""
    session.execute(
        _CLOSE,
        {
            "run_id": run_id,
            "closed_at": utcnow(),
            "took": duration,
            "code": totals.error_code,
            "message": totals.error_message,
            **{f"{name}_": getattr(totals, name) for name in _COUNTS},
        },
    )
