"""PostgreSQL's snapshot asked for as a request arrives, answered by the time its reads need it.

The read cache (``core.read_cache``) needs the database's version before a request's first
read; on PostgreSQL that is ``pg_current_snapshot()``, a round trip. Asked for when the first
read needs it, the worker sleeps through the round trip and wakes on a cold CPU: in a served
process that cost 90 to 130 us of the worker's CPU, a fifth of a cached
``/accounts/balance/get``. Asked for as the request arrives, on a connection of its own, the
database answers while the request's body is parsed and its keys are checked, and the first
read finds the answer waiting (``bench/results.md``).

The question is sent after the request arrived, so every commit that had finished by then is
in the answer: a caller reads its own writes, and another process's, as when the reads ask.

The connections are psycopg's, taken out of the engine's pool (so they carry its connect
arguments) and kept in autocommit: each question is a statement of its own and nothing is
ever left open. A process keeps at most ``KEEP``: a request that finds all of them asking, or
whose connection fails, asks on its reads' connection instead (``core.prepared``). A forked
worker opens its own: a socket must not be shared.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

# The question, as ``core.prepared`` asks it on a reads' connection.
QUESTION = b"SELECT CAST(pg_current_snapshot() AS TEXT)"
# Connections a process keeps: one per request asking at once (a gunicorn sync worker needs
# one, ``serve``'s request threads a few).
KEEP = 4
# How long an answer may take before its connection counts as lost.
ANSWER_TIMEOUT_MS = 10_000


class Unanswered(Exception):
    """The question got no snapshot back (a timeout, an error reply)."""


class Snapshots:
    """Questions of ``pg_current_snapshot()`` sent ahead, on connections ``connect`` opens."""

    def __init__(self, connect: Callable[[], PoolProxiedConnection], keep: int = KEEP) -> None:
        import psycopg  # only a PostgreSQL engine has these: SQLite's start does not import it

        self._connect = connect
        self._keep = keep
        self._failures = (psycopg.Error, OSError, Unanswered)
        self._answered = psycopg.pq.ExecStatus.TUPLES_OK
        self._lock = threading.Lock()
        self._idle: list[PoolProxiedConnection] = []
        self._inherited: list[PoolProxiedConnection] = []  # a parent's: never used nor closed
        self._out = 0  # connections out with a request's question now
        self._generation = 0  # ``close`` starts a new one: older connections are not kept
        self._pid = os.getpid()

    def ask(self) -> Asked | None:
        """Send the question on an idle connection (opened if none is), without waiting for
        the answer; None when ``KEEP`` are out asking or the connection fails."""
        connection, generation = self._take()
        if connection is None:
            return None
        try:
            _pgconn(connection).send_query(QUESTION)
        except self._failures:
            self._give_back(connection, generation, broken=True)
            return None
        return Asked(self, connection, generation)

    def settle(self, connection: PoolProxiedConnection, generation: int) -> str | None:
        """The answer to the question sent on ``connection`` (waited for if it has not come),
        the connection kept for the next; None if it failed (then it is closed)."""
        try:
            snapshot = self._answer(_pgconn(connection))
        except self._failures:
            self._give_back(connection, generation, broken=True)
            return None
        self._give_back(connection, generation, broken=False)
        return snapshot

    def close(self) -> None:
        """Close the idle connections (the database may be dropped next); those out asking
        are closed as they come back."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for connection in idle:
            connection.close()

    def _take(self) -> tuple[PoolProxiedConnection | None, int]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use
                self._inherited, self._idle = self._idle, []
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
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        except (DBAPIError, *self._failures):
            with self._lock:
                self._out -= 1
            return None, generation
        return connection, generation

    def _give_back(self, connection: PoolProxiedConnection, generation: int, broken: bool) -> None:
        with self._lock:
            self._out -= 1
            keep = not broken and generation == self._generation
            if keep:
                self._idle.append(connection)
        if not keep:
            connection.close()

    def _answer(self, pgconn: Any) -> str:
        """Read the reply off ``pgconn`` (``psycopg.pq.PGconn``), waiting for it if need be."""
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
            raise Unanswered("PostgreSQL answered with an error")
        value: bytes = result.get_value(0, 0)
        return value.decode()


class Asked:
    """One request's question: its answer, read once (by the first read that needs it, or
    as the request ends), and its connection given back for the next."""

    def __init__(
        self, snapshots: Snapshots, connection: PoolProxiedConnection, generation: int
    ) -> None:
        self._snapshots = snapshots
        self._connection: PoolProxiedConnection | None = connection
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
            self._snapshot = self._snapshots.settle(connection, self._generation)


def _pgconn(connection: PoolProxiedConnection) -> Any:
    """psycopg's libpq connection under ``connection`` (``psycopg.pq.PGconn``)."""
    return connection.dbapi_connection.pgconn  # type: ignore[union-attr]
