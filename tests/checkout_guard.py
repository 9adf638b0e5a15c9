"""Tests never write into the checkout: its ``instance/`` folder ends a run as it began.

``instance/`` holds what ``make run`` keeps between starts (keys, secret key, database);
a test that rewrote it would change the keys a developer was promised. Loaded from
``tests/conftest.py``; the whole session is the unit, so the failure is a teardown error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTANCE = Path(__file__).resolve().parents[1] / "instance"


def snapshot(folder: Path) -> dict[str, str]:
    """Each file's digest; databases by name only (a running ``make run`` may touch them)."""
    if not folder.is_dir():
        return {}
    return {
        str(path.relative_to(folder)): (
            "database"
            if path.suffix in {".db", ".db-journal", ".db-wal", ".db-shm"}
            else hashlib.sha256(path.read_bytes()).hexdigest()
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def checkout_instance_untouched() -> Iterator[None]:
    """Fail the session if any test created or changed a file in the checkout's instance/."""
    before = snapshot(INSTANCE)
    yield
    after = snapshot(INSTANCE)
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, f"tests wrote into the checkout's {INSTANCE}: {changed}"
