"""Rows of hot reads, kept while the database has not changed since they were read.

CI pipelines and demos repeat calls against a database nothing has written to since: a
sync loop's last ``/transactions/sync``, a balance poll, an app's no-change sync after a
webhook. Such a call's reads (``core.prepared``: its tenant, its access token and item, its
accounts, a page of transactions) cost a third of it and half of a sync.

Before each such read the reader asks the database for a value that changes whenever a
commit lands (its version): a read's rows are kept under the version asked for before it,
and handed out again only while the database gives the same version. Then no commit has
landed since the version was read, so none since the rows were read after it: they are what
the database holds now. A commit in between makes the version differ at the next read.

- **SQLite** counts the commits every other connection makes to the file, in this process or
  any other, in ``PRAGMA data_version``. One connection per process that never writes (the
  ``Watcher``) reads it: no round trip, no read transaction.
- **PostgreSQL**'s ``pg_current_snapshot()`` names the transactions running and the next
  transaction id: a transaction that commits leaves the running set, and one that starts
  after takes a new id, so two equal snapshots have no commit between them. It costs a round
  trip, as small as one gets, instead of the read.

A database in memory has no version: a second connection to ``sqlite://`` opens a database
of its own, which no commit ever reaches.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .snapshots import Snapshots

Rows = list[Any]
# Rows kept in all, oldest reads going first: a transaction row is about 1 KB in memory (a
# sync page of 500 is 500 KB), so a process keeps about 20 MB at most.
CAPACITY = 20_000


class ReadCache:
    """The rows of recent reads of one database, kept under the version they were read at.

    ``watcher`` gives a SQLite file's version; without one, the reader asks the database
    (PostgreSQL's snapshot, ``core.prepared``), ahead of the request's reads on ``snapshots``'
    connections when it has them (``core.snapshots``)."""

    def __init__(
        self,
        watcher: Watcher | None = None,
        snapshots: Snapshots | None = None,
        capacity: int = CAPACITY,
    ) -> None:
        self.watcher = watcher
        self.snapshots = snapshots
        self._capacity = capacity  # rows
        self._lock = threading.Lock()  # one cache serves every request thread of a process
        self._version: Hashable = None  # what the kept rows were read under
        self._rows: dict[Hashable, Rows] = {}
        self._kept = 0  # rows kept now

    def get(self, key: Hashable, version: Hashable) -> Rows | None:
        """The rows kept for ``key`` if they were read under ``version`` (a copy of the list;
        the rows are tuples). A miss reads them afresh and ``put``s them under ``version``."""
        with self._lock:
            rows = self._rows.get(key) if version == self._version else None
        return None if rows is None else list(rows)

    def put(self, key: Hashable, version: Hashable, rows: Rows) -> None:
        """Keep ``rows``, read after the database gave ``version``; rows kept under any other
        version go (they are older, or these are: either way one of them is stale). The
        oldest reads go to make room."""
        with self._lock:
            if version != self._version:
                self._forget()
                self._version = version
            if key in self._rows:  # two requests read it at once: the later stays
                self._kept -= _size(self._rows.pop(key))
            if _size(rows) > self._capacity:
                return
            while self._kept + _size(rows) > self._capacity:
                self._kept -= _size(self._rows.pop(next(iter(self._rows))))  # the oldest read
            self._rows[key] = list(rows)
            self._kept += _size(rows)

    def clear(self) -> None:
        """Forget every row (the database may be gone or replaced)."""
        with self._lock:
            self._forget()
            self._version = None

    def _forget(self) -> None:
        self._rows.clear()
        self._kept = 0


def _size(rows: Rows) -> int:
    """What a read counts against the capacity: its rows (a read that found none, one)."""
    return len(rows) or 1


class Watcher:
    """A SQLite file's ``data_version`` as one connection of this process that never writes
    sees it: the version of the file for its ``ReadCache``."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._lock = threading.Lock()  # one connection serves every request thread
        self._connection: sqlite3.Connection | None = None
        self._opened = 0  # connections opened so far: the current one's number
        self._pid = os.getpid()  # a forked worker opens a connection of its own
        self._inherited: sqlite3.Connection | None = None  # the parent's: never closed here

    def version(self) -> tuple[int, int]:
        """The file's commit count now, after the number of the connection that counted it:
        two connections' counts are not comparable."""
        with self._lock:
            if self._pid != os.getpid():
                self._inherited, self._connection = self._connection, None
                self._pid = os.getpid()
            if self._connection is None:
                self._connection = self._connect()
                self._opened += 1
            count: int = self._connection.execute("PRAGMA data_version").fetchone()[0]
            return self._opened, count

    def close(self) -> None:
        """Close the connection (the file may be deleted next); the next version opens one."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None and self._pid == os.getpid():
            connection.close()
