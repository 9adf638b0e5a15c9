"""``ReadCache`` and a SQLite file's ``Watcher``: rows handed out again only while no commit
has reached the database, whichever connection or process made it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.core.read_cache import ReadCache, Watcher


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A WAL database file with one table, as the sandbox keeps its data."""
    path = tmp_path / "cache.db"
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("CREATE TABLE t (n INTEGER)")
    writer.close()
    yield path


def _watcher(path: Path) -> Watcher:
    return Watcher(lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False))


def _commit(path: Path, n: int) -> None:
    with sqlite3.connect(path, isolation_level=None) as writer:
        writer.execute("INSERT INTO t VALUES (?)", (n,))
    writer.close()


def _read_through(cache: ReadCache, watcher: Watcher, key: str, rows: list[Any]) -> list[Any]:
    """What a reader does: the version first, then the kept rows, or ``rows`` read afresh."""
    version = watcher.version()
    kept = cache.get(key, version)
    if kept is not None:
        return kept
    cache.put(key, version, rows)
    return rows


def test_rows_are_handed_out_again_while_nothing_commits(database: Path) -> None:
    watcher, cache = _watcher(database), ReadCache()
    assert _read_through(cache, watcher, "key", [(1,)]) == [(1,)]
    kept = _read_through(cache, watcher, "key", [("fresh",)])
    assert kept == [(1,)]
    kept.append((2,))  # a caller's list is its own
    assert cache.get("key", watcher.version()) == [(1,)]


def test_a_commit_by_another_connection_of_this_process_changes_the_version(
    database: Path,
) -> None:
    watcher, cache = _watcher(database), ReadCache()
    _read_through(cache, watcher, "key", [(1,)])
    before = watcher.version()
    _commit(database, 1)
    assert watcher.version() != before
    assert _read_through(cache, watcher, "key", [("fresh",)]) == [("fresh",)]


def test_a_commit_by_another_process_changes_the_version(database: Path) -> None:
    watcher = _watcher(database)
    before = watcher.version()
    script = (
        "import sqlite3, sys\n"
        "connection = sqlite3.connect(sys.argv[1])\n"
        "connection.execute('INSERT INTO t VALUES (1)')\n"
        "connection.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(database)], check=True, timeout=60)
    assert watcher.version() != before


def test_reads_and_their_rows_without_a_commit_keep_the_version(database: Path) -> None:
    watcher = _watcher(database)
    before = watcher.version()
    with sqlite3.connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    reader.close()
    assert watcher.version() == before


def test_rows_kept_under_one_version_are_never_handed_out_under_another() -> None:
    cache = ReadCache()
    cache.put("slow", "v1", [("old",)])  # a read begun before a commit
    assert cache.get("slow", "v2") is None
    cache.put("fast", "v2", [("new",)])
    assert cache.get("fast", "v2") == [("new",)] and cache.get("slow", "v2") is None
    cache.put("slow", "v1", [("old",)])  # ends after a read under the newer version
    assert cache.get("fast", "v2") is None and cache.get("slow", "v2") is None


def test_the_oldest_reads_go_when_the_rows_kept_would_pass_the_capacity() -> None:
    cache = ReadCache(capacity=4)
    cache.put("first", "v", [(1,), (2,)])
    cache.put("second", "v", [(3,)])
    cache.put("third", "v", [(4,), (5,)])  # five rows: the first read goes
    assert cache.get("first", "v") is None
    assert cache.get("second", "v") == [(3,)]
    assert cache.get("third", "v") == [(4,), (5,)]
    cache.put("huge", "v", [(n,) for n in range(5)])  # more than the capacity: not kept
    assert cache.get("huge", "v") is None and cache.get("third", "v") == [(4,), (5,)]


def test_a_reopened_watchers_versions_never_equal_the_closed_ones(database: Path) -> None:
    """Two connections' counts are not comparable: the same count from a new connection is
    another version."""
    watcher = _watcher(database)
    before = watcher.version()
    watcher.close()
    after = watcher.version()
    assert after != before and after[1] == before[1]
