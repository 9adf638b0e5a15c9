"""Date-window sync without a change log: where a TrueLayer sync stands, and how one read of an
account's window becomes upserts and removals.

TrueLayer only answers "the transactions between two dates". The first sync reads the history
window, later ones re-read an overlap before the last end. The cursor (stored by the engine in
the same database transaction as each page) remembers, per account, the pending transactions
and the recent settled ones last stored, so that one read can tell what vanished: a pending
transaction that settled is replaced by its settled twin (never doubled), one that vanished
is removed, and re-read settled ones update in place (their ids are stable)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from client.providers.model import LocalTransaction

# How far a settled transaction's date may lie from its pending version's.
SETTLE_BEFORE = dt.timedelta(days=3)
SETTLE_AFTER = dt.timedelta(days=14)


@dataclass
class Run:
    """A sync in progress: the window, the accounts left (their raw TrueLayer objects, kind
    first) and where the next chunk of the first one starts."""

    start: dt.date
    end: dt.date
    todo: list[tuple[str, dict[str, Any]]]
    chunk_from: dt.date

    def chunk(self, days: int) -> tuple[dt.date, dt.date]:
        """The next date chunk of the current account, both ends included."""
        return self.chunk_from, min(self.chunk_from + dt.timedelta(days=days - 1), self.end)

    def advanced(self, chunk_to: dt.date) -> Run:
        """After a chunk: the account's next chunk, or the next account from the start."""
        if chunk_to < self.end:
            return dataclasses.replace(self, chunk_from=chunk_to + dt.timedelta(days=1))
        return dataclasses.replace(self, todo=self.todo[1:], chunk_from=self.start)


@dataclass(frozen=True)
class Seen:
    """What the cursor keeps of a stored pending transaction, to recognise it settled."""

    amount: Decimal
    date: dt.date
    description: str


@dataclass
class WindowState:
    """The TrueLayer cursor: the end of the last complete sync, per local account id the
    pending rows and the recent settled rows as stored, and the run in progress (if any)."""

    synced_to: dt.date | None = None
    pending: dict[str, dict[str, Seen]] = field(default_factory=dict)
    recent: dict[str, dict[str, dt.date]] = field(default_factory=dict)
    run: Run | None = None
    renewals: int = 0  # token refreshes since the last data page

    def dumps(self) -> str:
        """The cursor text."""
        run = self.run
        return json.dumps(
            {
                "v": 1,
                "synced_to": _iso(self.synced_to),
                "renewals": self.renewals,
                "pending": {
                    acc: {
                        i: [str(s.amount), s.date.isoformat(), s.description] for i, s in p.items()
                    }
                    for acc, p in self.pending.items()
                },
                "recent": {
                    acc: {i: d.isoformat() for i, d in r.items()} for acc, r in self.recent.items()
                },
                "run": None
                if run is None
                else {
                    "start": run.start.isoformat(),
                    "end": run.end.isoformat(),
                    "todo": [list(t) for t in run.todo],
                    "chunk_from": run.chunk_from.isoformat(),
                },
            },
            sort_keys=True,
        )

    @classmethod
    def loads(cls, cursor: str | None) -> WindowState:
        """From `dumps` (None: never synced)."""
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        run = raw.get("run")
        return cls(
            synced_to=_date(raw.get("synced_to")),
            renewals=int(raw.get("renewals", 0)),
            pending={
                acc: {
                    i: Seen(Decimal(a), dt.date.fromisoformat(d), desc)
                    for i, (a, d, desc) in p.items()
                }
                for acc, p in raw.get("pending", {}).items()
            },
            recent={
                acc: {i: dt.date.fromisoformat(d) for i, d in r.items()}
                for acc, r in raw.get("recent", {}).items()
            },
            run=None
            if run is None
            else Run(
                dt.date.fromisoformat(run["start"]),
                dt.date.fromisoformat(run["end"]),
                [(kind, obj) for kind, obj in run["todo"]],
                dt.date.fromisoformat(run["chunk_from"]),
            ),
        )

    def window(
        self, today: dt.date, history_days: int, overlap_days: int
    ) -> tuple[dt.date, dt.date]:
        """The dates the next sync reads: the history on the first sync, else from an overlap
        before the last end (what settled or changed late is read again) up to today."""
        if self.synced_to is None:
            start = today - dt.timedelta(days=history_days)
        else:
            start = self.synced_to - dt.timedelta(days=overlap_days)
        return min(start, today), today


@dataclass(frozen=True)
class Reconciled:
    """One read of an account's chunk, as the engine applies it."""

    upserts: list[LocalTransaction]
    removed: list[str]


def reconcile(
    state: WindowState,
    account: str,
    chunk: tuple[dt.date, dt.date],
    booked: list[LocalTransaction],
    pending: list[LocalTransaction] | None,
    keep_from: dt.date,
) -> Reconciled:
    """Compare one read with what the cursor says is stored, and update the cursor.

    `pending` is None on chunks that did not read pending transactions. `keep_from`: settled
    rows from this date on are remembered (the next sync's overlap re-reads them)."""
    start, end = chunk
    booked_ids = {t.provider_id for t in booked}
    pending_ids = {t.provider_id for t in pending or ()}
    recent = state.recent.get(account, {})
    removed = [
        i
        for i, d in recent.items()
        if start <= d <= end and i not in booked_ids and i not in pending_ids
    ]
    upserts = list(booked)
    if pending is not None:
        vanished = {
            i: s
            for i, s in state.pending.get(account, {}).items()
            if i not in pending_ids and i not in booked_ids
        }
        upserts, unmatched = settle(upserts, vanished, known=set(recent))
        removed += unmatched
        state.pending[account] = {
            t.provider_id: Seen(t.amount, t.date, t.description) for t in pending
        }
        upserts += pending
    kept = {i: d for i, d in recent.items() if d >= keep_from and not start <= d <= end}
    kept.update({t.provider_id: t.date for t in booked if t.date >= keep_from})
    state.recent[account] = kept
    return Reconciled(upserts, sorted(set(removed)))


def settle(
    booked: list[LocalTransaction], vanished: dict[str, Seen], known: Iterable[str] = ()
) -> tuple[list[LocalTransaction], list[str]]:
    """Pair each vanished pending transaction with the settled one it became (same amount,
    a date close to it, the same description preferred, unseen rows before ones already
    stored); a paired settled row names its pending id so the engine replaces the pending
    row. Returns the settled rows and the pending ids that found no pair (they vanished)."""
    out = list(booked)
    taken: set[int] = set()
    old = set(known)
    unmatched: list[str] = []
    for pid, seen in sorted(vanished.items(), key=lambda kv: (kv[1].date, kv[0])):
        candidates = [
            (i, t)
            for i, t in enumerate(out)
            if i not in taken
            and t.pending_provider_id is None
            and t.amount == seen.amount
            and seen.date - SETTLE_BEFORE <= t.date <= seen.date + SETTLE_AFTER
        ]
        if not candidates:
            unmatched.append(pid)
            continue
        i, txn = min(
            candidates,
            key=lambda c: (
                _words(c[1].description) != _words(seen.description),
                c[1].provider_id in old,
                abs((c[1].date - seen.date).days),
                c[1].provider_id,
            ),
        )
        taken.add(i)
        out[i] = dataclasses.replace(txn, pending_provider_id=pid)
    return out, unmatched


def _words(text: str) -> str:
    """A description without case or spacing differences."""
    return " ".join(text.lower().split())


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
