"""Determinism: the same seed and the same calls give byte-identical ids and data.

Regardless of other tenants (even with the same seed), of what the database held before, of
SQLite or PostgreSQL, and of test order; another seed gives other ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from sandbox import create_app
from sandbox.core import tenants
from sandbox.extensions import db
from tests.conftest import DATABASES, FROZEN_NOW, PlaidClient


def _strip_request_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_request_ids(v) for k, v in value.items() if k != "request_id"}
    if isinstance(value, list):
        return [_strip_request_ids(v) for v in value]
    return value


def _sync_pages(plaid: PlaidClient, token: str) -> list[Any]:
    pages, cursor, more = [], "", True
    while more:
        page = plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=250)
        pages.append(page)
        cursor, more = page["next_cursor"], page["has_more"]
    return pages


def _snapshot(plaid: PlaidClient) -> bytes:
    """A sequence of calls (two links, a refresh, a clock advance) and every reply, as bytes."""
    token = plaid.link_item(products=("transactions", "auth"))
    dynamic = plaid.link_item(
        override_username="user_transactions_dynamic", override_password="pass_good"
    )
    replies: list[Any] = [plaid.ok("/accounts/get", access_token=token)]
    replies += _sync_pages(plaid, dynamic)
    plaid.ok("/transactions/refresh", access_token=dynamic)
    clock = plaid.client.post(
        "/control/clock",
        json={"advance_days": 3},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert clock.status_code == 200, clock.get_json()
    replies += _sync_pages(plaid, token) + _sync_pages(plaid, dynamic)
    replies.append(plaid.ok("/accounts/get", access_token=dynamic))
    return json.dumps(_strip_request_ids(replies), sort_keys=True).encode()


def _tenant_snapshot(app: Flask, seed: int) -> bytes:
    """The snapshot of a new tenant of ``seed`` (frozen clock) in ``app``'s database."""
    tenant, keys = tenants.create(db.session, "det", seed)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    return _snapshot(PlaidClient(app.test_client(), keys.client_id, keys.secret))


@contextmanager
def _app_on(url: str, *, create: bool) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "determinism"})
    with app.app_context():
        if create:
            db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            if create:
                db.drop_all()
            db.engine.dispose()


def _fresh_snapshot(seed: int) -> bytes:
    """A snapshot taken in a brand-new in-memory SQLite database."""
    with _app_on("sqlite://", create=True) as app:
        return _tenant_snapshot(app, seed)


def _transaction_ids(snapshot: bytes) -> set[str]:
    replies = json.loads(snapshot)
    return {t["transaction_id"] for r in replies for t in r.get("added", [])}


def test_snapshot_same_seed_fresh_databases_is_byte_identical() -> None:
    first, second = _fresh_snapshot(7), _fresh_snapshot(7)
    assert len(first) > 10_000
    assert first == second


def test_snapshot_two_tenants_same_seed_one_database_identical_without_collision(
    app: Flask,
) -> None:
    _tenant_snapshot(app, 99)  # history in the database: other tenants, other items
    first = _tenant_snapshot(app, 7)
    second = _tenant_snapshot(app, 7)  # same seed, same ids, stored side by side
    assert first == second
    assert first == _fresh_snapshot(7)
    assert len(_transaction_ids(first)) > 100


def test_snapshot_reused_postgresql_matches_fresh_sqlite(request: pytest.FixtureRequest) -> None:
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SANDBOX_TEST_DATABASES")
    with _app_on(request.getfixturevalue("postgres_url"), create=False) as app:
        _tenant_snapshot(app, 7)  # a reused database: the seed's ids are there already
        reused = _tenant_snapshot(app, 7)
    assert reused == _fresh_snapshot(7)


def test_snapshot_different_seed_gives_different_ids_and_data() -> None:
    seven, eight = _fresh_snapshot(7), _fresh_snapshot(8)
    assert _transaction_ids(seven).isdisjoint(_transaction_ids(eight))
    accounts = lambda snap: {a["account_id"] for a in json.loads(snap)[0]["accounts"]}  # noqa: E731
    assert accounts(seven).isdisjoint(accounts(eight))
    names = lambda snap: [t["name"] for r in json.loads(snap) for t in r.get("added", [])]  # noqa: E731
    assert names(seven) != names(eight)
