"""``Snapshots``: PostgreSQL's snapshot asked for ahead, on connections of its own, and an
answer that holds every commit finished before the question was sent."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from sandbox.core.snapshots import Snapshots
from tests.conftest import DATABASES

APPLICATION = "sandbox-snapshots-test"  # how this test's backends are told apart


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SANDBOX_TEST_DATABASES")
    url = request.getfixturevalue("postgres_url")
    made = create_engine(url, connect_args={"application_name": APPLICATION})
    yield made
    made.dispose()


@pytest.fixture
def made(engine: Engine) -> Iterator[list[Snapshots]]:
    """The tests' ``Snapshots``, closed at the end (their connections with them)."""
    snapshots: list[Snapshots] = []
    yield snapshots
    for each in snapshots:
        each.close()


def _snapshots(made: list[Snapshots], opened: _Opened, keep: int = 4) -> Snapshots:
    made.append(Snapshots(opened, keep=keep))
    return made[-1]


class _Opened:
    """A ``Snapshots`` connect function that counts the connections it opens."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.count = engine, 0

    def __call__(self) -> psycopg.Connection[Any]:
        self.count += 1
        url = self.engine.url.set(drivername="postgresql")
        return psycopg.connect(
            url.render_as_string(hide_password=False), application_name=APPLICATION, autocommit=True
        )


def _commit(engine: Engine) -> None:
    """A commit that takes a transaction id, from a connection of its own."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_current_xact_id()"))


def _backends(engine: Engine, expected: int) -> int:
    """How many of this test's backends the server lists, waiting up to 5 s for ``expected``
    (a backend leaves the list a moment after its client closed the connection)."""
    deadline = time.monotonic() + 5
    while True:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": APPLICATION},
            ).scalar_one()
        if found == expected or time.monotonic() > deadline:
            return int(found)
        time.sleep(0.05)


def test_an_answer_changes_exactly_when_a_commit_finished_before_the_question(
    engine: Engine, made: list[Snapshots]
) -> None:
    snapshots = _snapshots(made, _Opened(engine))
    first = snapshots.ask()
    assert first is not None
    before = first.answer()
    again = snapshots.ask()
    assert again is not None and again.answer() == before  # nothing committed between
    _commit(engine)
    after = snapshots.ask()
    assert after is not None
    assert after.answer() not in (None, before)


def test_a_question_sent_before_a_commit_does_not_see_it(
    engine: Engine, made: list[Snapshots]
) -> None:
    """The answer is the snapshot when the question arrived, however late it is read."""
    snapshots = _snapshots(made, _Opened(engine))
    settled = snapshots.ask()
    assert settled is not None
    before = settled.answer()
    asked = snapshots.ask()
    assert asked is not None
    _commit(engine)
    assert asked.answer() == before


def test_a_connection_is_kept_for_the_next_question_and_at_most_keep_are_out(
    engine: Engine, made: list[Snapshots]
) -> None:
    opened = _Opened(engine)
    snapshots = _snapshots(made, opened, keep=2)
    out = [snapshots.ask(), snapshots.ask()]
    assert all(out) and opened.count == 2
    assert snapshots.ask() is None  # both out: the reads ask themselves
    for asked in out:
        assert asked is not None and asked.answer()
    for _ in range(5):
        asked = snapshots.ask()
        assert asked is not None and asked.answer()
    assert opened.count == 2


def test_a_spent_question_answers_none_and_still_gives_its_connection_back(
    engine: Engine, made: list[Snapshots]
) -> None:
    opened = _Opened(engine)
    snapshots = _snapshots(made, opened, keep=1)
    asked = snapshots.ask()
    assert asked is not None
    asked.spend()
    assert asked.answer() is None
    asked.settle()
    again = snapshots.ask()
    assert again is not None and again.answer() and opened.count == 1


def test_close_closes_idle_connections_and_those_out_as_they_come_back(
    engine: Engine, made: list[Snapshots]
) -> None:
    snapshots = _snapshots(made, _Opened(engine))
    idle = snapshots.ask()
    out = snapshots.ask()
    assert idle is not None and out is not None
    idle.settle()
    assert _backends(engine, 2) == 2
    snapshots.close()
    assert _backends(engine, 1) == 1  # the one still out asking
    assert out.answer()
    assert _backends(engine, 0) == 0


def test_a_dropped_connection_answers_none_and_the_next_question_opens_another(
    engine: Engine, made: list[Snapshots]
) -> None:
    opened = _Opened(engine)
    snapshots = _snapshots(made, opened)
    first = snapshots.ask()
    assert first is not None and first.answer()
    with engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": APPLICATION},
        )
    dropped = snapshots.ask()  # sending may still succeed: the loss shows in the answer
    assert dropped is None or dropped.answer() is None
    fresh = snapshots.ask()
    assert fresh is not None and fresh.answer() and opened.count == 2


def test_a_forked_child_closing_leaves_the_parents_connections_working(
    engine: Engine, made: list[Snapshots]
) -> None:
    """A child that disposes of what it inherited (``engine.dispose(close=False)`` fires
    ``close``) must not end its parent's sessions: the sockets are shared."""
    opened = _Opened(engine)
    snapshots = _snapshots(made, opened, keep=1)
    asked = snapshots.ask()
    assert asked is not None and asked.answer()  # one idle connection, the parent's
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's exit status is asserted below
        snapshots.close()
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    again = snapshots.ask()
    assert again is not None and again.answer() and opened.count == 1
