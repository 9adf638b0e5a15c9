"""PostgreSQL's snapshot asked for as a request arrives, answered by the time its reads need it.

The read cache (``core.read_cache``) needs the database's version before a request's first
read; on PostgreSQL that is ``pg_current_snapshot()``, a round trip. Asked for when the first
read needs it, the worker sleeps through the round trip and wakes on a cold CPU: in a served
process that cost 90 to 130 us of the worker's CPU, a fifth of a cached
``/accounts/balance/get``. Asked for as the request arrives, on a connection of its own, the
database answers while the request's body is parsed and its keys are checked, and the first
read finds the answer waiting (``bench/results.md``).

Why the cache may trust the answer: the question is sent after the request arrived, so every
commit that had finished by then is in it (another process's, or this caller's previous
call's). Commits the request makes itself come after the question: once the request's
session begins a transaction its reads stop using the answer (``Asked.spend``; the request's
reader spends it whenever its reads' connection goes back) and ask afresh. Only commits made
through the request's session are covered so: a request that committed through another
session or engine would have to spend the answer itself.

The connections are psycopg's own, opened outside the engine's pool (a request must never
wait for the pool just to ask) with the engine's connect arguments, in autocommit and
blocking mode: each question is a statement of its own, sent whole, and nothing is left
open. A process keeps at most ``KEEP``: a request that finds all of them out, or whose
connection fails, reads the snapshot on its reads' connection instead (``core.prepared``).
A forked worker opens its own and never closes its parent's (a socket must not be shared).
"""

from __future__ import annotations

import os
import select
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg import Connection

# The snapshot as text: what ``core.prepared`` reads on a reads' connection, and the question.
SNAPSHOT_SQL = "CAST(pg_current_snapshot() AS TEXT)"
QUESTION = f"SELECT {SNAPSHOT_SQL}".encode()
# Connections a process keeps: one per request asking at once (a gunicorn sync worker needs
# one, ``serve``'s request threads a few).
KEEP = 4
# How long an answer may take before its connection counts as lost.
ANSWER_TIMEOUT_MS = 10_000


class Unanswered(Exception):
    """The question got no snapshot back (a timeout, an error reply)."""


class Snapshots:
    """Questions of ``pg_current_snapshot()`` sent ahead, on connections ``connect`` opens
    (psycopg's, in autocommit)."""

    def __init__(self, connect: Callable[[], Connection[Any]], keep: int = KEEP) -> None:
        import psycopg  # only a PostgreSQL engine has these: SQLite's start does not import it

        self._connect = connect
        self._keep = keep
        self._failures = (psycopg.Error, OSError, Unanswered)
        self._answered = psycopg.pq.ExecStatus.TUPLES_OK
        self._lock = threading.Lock()
        self._idle: list[Connection[Any]] = []  # the same list for good: ``_close_all``'s
        self._out = 0  # connections out with a request's question now
        self._generation = 0  # ``close`` starts a new one: older connections are not kept
        self._pid = os.getpid()
        # An app dropped without ``engine.dispose()`` closes its idle connections too.
        weakref.finalize(self, _close_all, self._idle, self._pid)

    def ask(self) -> Asked | None:
        """Send the question on an idle connection (opened if none is), without waiting for
        the answer; None when ``KEEP`` are out asking or the connection fails."""
        connection, generation = self._take()
        if connection is None:
            return None
        try:
            connection.pgconn.send_query(QUESTION)
        except self._failures:
            self._give_back(connection, generation, broken=True)
            return None
        return Asked(self, connection, generation)

    def collect(self, connection: Connection[Any], generation: int) -> str | None:
        """The answer to the question sent on ``connection`` (waited for if it has not come),
        the connection kept for the next; None if it failed (then it is closed)."""
        try:
            snapshot = self._answer(connection)
        except self._failures:
            self._give_back(connection, generation, broken=True)
            return None
        self._give_back(connection, generation, broken=False)
        return snapshot

    def close(self) -> None:
        """Close the idle connections (the database may be dropped next); those out asking
        are closed as they come back. In a forked child, the parent's are left alone."""
        with self._lock:
            idle = list(self._idle) if self._pid == os.getpid() else []
            self._idle.clear()
            self._generation += 1
        _close_all(idle, os.getpid())

    def _take(self) -> tuple[Connection[Any] | None, int]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use
                self._idle.clear()
                self._out, self._pid = 0, os.getpid()
            generation = self._generation
            if self._idle:
                self._out += 1
                return self._idle.pop(), generation
            if self._out >= self._keep:
                return None, generation
            self._out += 1
        try:
            connection = self._connect()
            connection.pgconn.nonblocking = 0  # a question is sent whole before ``ask`` returns
        except self._failures:
            with self._lock:
                self._out -= 1
            return None, generation
        return connection, generation

    def _give_back(self, connection: Connection[Any], generation: int, broken: bool) -> None:
        with self._lock:
            ours = self._pid == os.getpid()
            if ours:
                self._out -= 1
            keep = ours and not broken and generation == self._generation
            if keep:
                self._idle.append(connection)
        if ours and not keep:
            connection.close()

    def _answer(self, connection: Connection[Any]) -> str:
        """Read the reply to the question off ``connection``, waiting for it if need be."""
        pgconn = connection.pgconn
        pgconn.consume_input()
        if pgconn.is_busy():
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN)
            while pgconn.is_busy():
                if not poll.poll(ANSWER_TIMEOUT_MS):
                    raise Unanswered(f"no answer in {ANSWER_TIMEOUT_MS} ms")
                pgconn.consume_input()
        result, end = pgconn.get_result(), pgconn.get_result()
        if result is None or end is not None or result.status != self._answered:
            reason = result.error_message.decode(errors="replace") if result else "no reply"
            raise Unanswered(f"PostgreSQL answered: {reason}")
        value = result.get_value(0, 0)
        if value is None:
            raise Unanswered("PostgreSQL answered no snapshot")
        return value.decode()


class Asked:
    """One request's question: its answer, read once (by the first read that needs it, or
    as the request ends), and its connection given back for the next."""

    def __init__(self, snapshots: Snapshots, connection: Connection[Any], generation: int) -> None:
        self.snapshots = snapshots  # whose question: the engine's reads it speaks for
        self._connection: Connection[Any] | None = connection
        self._generation = generation
        self._snapshot: str | None = None
        self._spent = False

    def answer(self) -> str | None:
        """The snapshot taken after the request arrived; None once ``spend`` was called or if
        the connection failed."""
        self.settle()
        return None if self._spent else self._snapshot

    def spend(self) -> None:
        """The request may have committed since it asked: its reads ask afresh from now on."""
        self._spent = True

    def settle(self) -> None:
        """Read the answer if nobody has, so the connection can ask again."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._snapshot = self.snapshots.collect(connection, self._generation)


def _close_all(connections: list[Connection[Any]], pid: int) -> None:
    """Close ``connections`` if this is the process that opened them."""
    if os.getpid() != pid:
        return
    for connection in connections:
        connection.close()
