"""`FakeBank`: an in-memory `Provider` with Plaid's cursor semantics, for engine unit tests.

The log is a list of events. A chain of pages starts at a position and covers the log up to its
length at that moment, collapsed to net changes (added then removed inside the window is not
sent). If the log grows while a chain is being paged, the next page raises `CursorReset`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from client.api.transport import CallRecord, Observer
from client.providers.base import ChangePage
from client.providers.errors import CredentialsRevoked, CursorReset, SyncError
from client.providers.model import LocalAccount, LocalTransaction

ACCOUNT = LocalAccount(
    "acc-1", "Everyday", "1234", "depository", "checking", "USD", None, None, None
)
Event = tuple[str, LocalTransaction]


def txn(
    tid: str, amount: int | str, *, pending: bool = False, day: int = 1, **kw: object
) -> LocalTransaction:
    """A transaction on the fake bank's only account."""
    return LocalTransaction(
        tid,
        "acc-1",
        Decimal(amount),
        "USD",
        dt.date(2026, 1, day),
        f"shop {tid}",
        None,
        "FOOD_AND_DRINK_COFFEE",
        pending,
        **kw,  # type: ignore[arg-type]
    )


class FakeBank:
    """Implements `client.providers.base.Provider` over an in-memory change log."""

    name = "fake"

    def __init__(self, credentials: str = "fake-secret") -> None:
        self.credentials = credentials
        self.rotate_to: str | None = None  # the next page renews the credentials to this
        self.log: list[Event] = []
        self.failures: list[SyncError] = []
        self.refreshes = 0
        self.observer: Observer | None = None
        self.quiet: list[LocalAccount] = []  # accounts no page names (Plaid: investments)

    # -- the bank's side ---------------------------------------------------------------------

    def upsert(self, *rows: LocalTransaction) -> None:
        """New or changed transactions."""
        self.log += [("upsert", r) for r in rows]

    def remove(self, *ids: str) -> None:
        """Transactions that stop existing."""
        self.log += [("remove", txn(i, 0)) for i in ids]

    def truth(self, end: int | None = None) -> dict[str, LocalTransaction]:
        """What exists after the first `end` events."""
        state: dict[str, LocalTransaction] = {}
        for kind, row in self.log[:end]:
            if kind == "upsert":
                state[row.provider_id] = row
            else:
                state.pop(row.provider_id, None)
        return state

    # -- the Provider protocol ---------------------------------------------------------------

    def observed(self, observer: Observer) -> FakeBank:
        """Itself, reporting calls to `observer`."""
        self.observer = observer
        return self

    def refresh(self, credentials: str) -> None:
        """Counts refreshes (the fake's data is always fresh)."""
        self._check(credentials, "/refresh")
        self.refreshes += 1

    def left_out_accounts(self, credentials: str) -> list[LocalAccount]:
        """Every account, the `quiet` ones included."""
        self._check(credentials, "/accounts")
        return [ACCOUNT, *self.quiet]

    def fetch_changes(self, credentials: str, cursor: str | None, count: int) -> ChangePage:
        """Net changes in [start, end) of the log, `count` at a time."""
        self._check(credentials, "/changes")
        start, end, offset = _parse(cursor, len(self.log))
        if offset and end != len(self.log):
            raise CursorReset("MUTATION", "the log changed during pagination")
        changes = self._net(start, end)
        chunk = changes[offset : offset + count]
        more = offset + count < len(changes)
        page = ChangePage(accounts=[ACCOUNT], has_more=more, credentials=self.rotate_to)
        if self.rotate_to:
            self.credentials, self.rotate_to = self.rotate_to, None
        page.next_cursor = f"{start}:{end}:{offset + count}" if more else f"{end}:{end}:0"
        before = self.truth(start)
        for kind, row in chunk:
            if kind == "remove":
                page.removed.append(row.provider_id)
            else:
                (page.modified if row.provider_id in before else page.added).append(row)
        return page

    def _net(self, start: int, end: int) -> list[Event]:
        """One event per id that differs between position `start` and `end`, in id order."""
        before, after = self.truth(start), self.truth(end)
        out: list[Event] = []
        for tid in sorted(before.keys() | after.keys()):
            if tid not in after:
                out.append(("remove", before[tid]))
            elif before.get(tid) != after[tid]:
                out.append(("upsert", after[tid]))
        return out

    def _check(self, credentials: str, endpoint: str) -> None:
        """Report the call; fail with a queued failure or on wrong credentials."""
        if self.observer is not None:
            self.observer(CallRecord(endpoint, 200, "fake-req", 0.0, None, 1))
        if credentials != self.credentials:
            raise CredentialsRevoked("UNKNOWN_CREDENTIALS", "no such connection at the bank")
        if self.failures:
            raise self.failures.pop(0)


def _parse(cursor: str | None, length: int) -> tuple[int, int, int]:
    """start:end:offset; an empty cursor starts a chain over the whole log."""
    if not cursor:
        return 0, length, 0
    start, end, offset = (int(p) for p in cursor.split(":"))
    if offset == 0:
        end = length  # a new chain covers everything up to now
    return start, end, offset


def posted(pending: LocalTransaction, tid: str) -> LocalTransaction:
    """The posted version of a pending transaction."""
    return dataclasses.replace(
        pending, provider_id=tid, pending=False, pending_provider_id=pending.provider_id
    )
