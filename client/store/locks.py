"""Database locks held to the end of a transaction, shared by every process on the store.

A check-then-write (is there a twin? no: insert) is only safe when no other writer can pass
the same check before this one commits; a lock in the process would not stop another process
on the same database. SQLite has one writer at a time: ``BEGIN IMMEDIATE`` takes its write
lock before the check reads anything. PostgreSQL locks just the key, with a transaction-level
advisory lock, so that other users' writes never wait for it."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def hold_for_user(session: Session, purpose: str, user_ref: str) -> None:
    """Wait for, then hold until `session` commits or rolls back, the lock of `purpose` for
    `user_ref`. Take it first in the session: on SQLite it starts the transaction, and on
    PostgreSQL writes made before it were made unguarded. A session that has written already
    is refused with a `RuntimeError` on both (SQLite's own error, "cannot start a transaction
    within a transaction", did not say why; PostgreSQL took the lock regardless).

    On PostgreSQL the session must run at READ COMMITTED (the store's default): under
    REPEATABLE READ or SERIALIZABLE its snapshot may predate the wait, and the check after it
    would not see the last holder's commit. PostgreSQL's key is the pair of 32-bit hashes (a
    key space apart from the one-key migration lock); two users whose hashes collide only
    wait for each other."""
    connection = session.connection()
    if _has_written(connection):
        raise RuntimeError(
            f"the {purpose} lock is taken after this session wrote: take the lock first"
        )
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:purpose), hashtext(:user_ref))"),
            {"purpose": purpose, "user_ref": user_ref},
        )


def _has_written(connection: Connection) -> bool:
    """Whether the connection's transaction holds writes: SQLite's driver opens one at the
    first write, PostgreSQL assigns a transaction id at the first write."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        return driver is not None and bool(driver.in_transaction)
    return connection.scalar(text("SELECT txid_current_if_assigned()")) is not None
