"""A sync run's history row (``SyncRun``): opened by the run, kept up to date page by page,
closed with its totals; a row a killed run left open is closed by the next run.

Every write is one UPDATE and no read: the rows are the CLI's ``history`` and the demo app's
run list, never something the engine decides by."""

from __future__ import annotations

from typing import Protocol, cast

from sqlalchemy import Table, case, or_, update
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


def interrupt_open_runs(session: Session, cid: int) -> None:
    """A new run starts: the connection's runs still open were killed or crashed (a run
    closes its row whatever happens to it short of that). They are marked interrupted with
    what their pages stored; one that was in fact alive in another process overwrites the
    mark when it closes."""
    runs = cast(Table, SyncRun.__table__)
    session.execute(
        update(runs)
        .where(runs.c.connection_id == cid, runs.c.finished_at.is_(None))
        .values(finished_at=utcnow(), error_code=INTERRUPTED, error_message=INTERRUPTED_MESSAGE)
    )


def record_progress(session: Session, run_id: int, totals: Totals) -> None:
    """After a page: the row shows what the run stored, even if it is killed next."""
    _update(session, run_id, **_counts(totals))


def close_run(session: Session, run_id: int, totals: Totals, duration: float) -> None:
    """The row's counts, duration and error. A stop (Ctrl-C, SIGTERM) can land after a page's
    commit and before the engine counts that page: so counts never go below what the pages
    stored, and a row the last page closed cleanly stays as it is (only a row still open, or
    one marked interrupted by another process's run, is closed here)."""
    runs = cast(Table, SyncRun.__table__)
    session.execute(
        update(runs)
        .where(
            runs.c.id == run_id, or_(runs.c.finished_at.is_(None), runs.c.error_code.is_not(None))
        )
        .values(
            finished_at=utcnow(),
            duration=duration,
            error_code=totals.error_code,
            error_message=totals.error_message,
            **{
                name: case((runs.c[name] > count, runs.c[name]), else_=count)
                for name, count in _counts(totals).items()
            },
        )
    )


def _counts(totals: Totals) -> dict[str, int]:
    return {
        "added": totals.added,
        "modified": totals.modified,
        "removed": totals.removed,
        "pages": totals.pages,
        "restarts": totals.restarts,
    }


def _update(session: Session, run_id: int, **values: object) -> None:
    runs = cast(Table, SyncRun.__table__)
    session.execute(update(runs).where(runs.c.id == run_id).values(**values))
