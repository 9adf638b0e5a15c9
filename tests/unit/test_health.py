"""``/control/health`` is a readiness check: 503 with the reason when data calls would fail.

The bug it guards against: an install without its seed catalogue answered ``ok`` while
every data call answered 500, so CI readiness checks passed and tests failed later.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from sandbox import create_app
from sandbox.core import institutions


@pytest.fixture
def app() -> Iterator[Flask]:
    """The sandbox on an in-memory database (health needs no schema)."""
    yield create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


@pytest.fixture
def without_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The seed folder of a broken install: present as a name, empty on disk."""
    monkeypatch.setattr(institutions, "SEEDS_DIR", tmp_path)
    institutions.catalogue.cache_clear()
    yield
    institutions.catalogue.cache_clear()


def test_health_is_ok_with_the_catalogue(app: Flask) -> None:
    reply = app.test_client().get("/control/health")
    assert reply.status_code == 200 and reply.get_json() == {"status": "ok"}


@pytest.mark.usefixtures("without_catalogue")
def test_health_fails_without_the_catalogue(app: Flask) -> None:
    reply = app.test_client().get("/control/health")
    assert reply.status_code == 503
    body = reply.get_json()
    assert body["status"] == "error" and "institutions.json" in body["error"]


def test_health_fails_when_a_logo_is_missing(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in institutions.SEED_FILES:
        (tmp_path / name).write_text((institutions.SEEDS_DIR / name).read_text(encoding="utf-8"))
    monkeypatch.setattr(institutions, "SEEDS_DIR", tmp_path)
    institutions.catalogue.cache_clear()
    try:
        reply = app.test_client().get("/control/health")
    finally:
        institutions.catalogue.cache_clear()
    assert reply.status_code == 503 and "logos" in reply.get_json()["error"]


def test_health_fails_when_the_database_is_unreachable() -> None:
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"})
    reply = app.test_client().get("/control/health")
    assert reply.status_code == 503
    assert reply.get_json()["error"].startswith("database unreachable")
