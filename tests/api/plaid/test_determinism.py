"""Determinism: the same seed gives byte-identical data in fresh databases; another differs."""

from __future__ import annotations

import json
from typing import Any

from sandbox import create_app
from sandbox.core import tenants
from sandbox.extensions import db
from tests.conftest import FROZEN_NOW, PlaidClient


def _strip_request_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_request_ids(v) for k, v in value.items() if k != "request_id"}
    if isinstance(value, list):
        return [_strip_request_ids(v) for v in value]
    return value


def _snapshot(plaid: PlaidClient) -> bytes:
    """``/accounts/get`` and the whole ``/transactions/sync`` history, as canonical bytes."""
    token = plaid.link_item(products=("transactions", "auth"))
    replies: list[Any] = [plaid.ok("/accounts/get", access_token=token)]
    cursor, more = "", True
    while more:
        page = plaid.ok("/transactions/sync", access_token=token, cursor=cursor, count=250)
        replies.append(page)
        cursor, more = page["next_cursor"], page["has_more"]
    return json.dumps(_strip_request_ids(replies), sort_keys=True).encode()


def _fresh_snapshot(seed: int) -> bytes:
    """A snapshot taken in a brand-new in-memory database with a tenant of ``seed``."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "SEED": seed, "SECRET_KEY": "determinism"}
    )
    with app.app_context():
        db.create_all()
        tenant, keys = tenants.create(db.session, "det", seed)
        tenant.clock_frozen_at = FROZEN_NOW
        db.session.commit()
        try:
            return _snapshot(PlaidClient(app.test_client(), keys.client_id, keys.secret))
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_accounts_and_sync_same_seed_fresh_databases_are_byte_identical() -> None:
    first, second = _fresh_snapshot(7), _fresh_snapshot(7)
    assert len(first) > 10_000
    assert first == second


def test_accounts_and_sync_different_seed_gives_different_data() -> None:
    seven = json.loads(_fresh_snapshot(7))
    eight = json.loads(_fresh_snapshot(8))
    ids_seven = {a["account_id"] for a in seven[0]["accounts"]}
    ids_eight = {a["account_id"] for a in eight[0]["accounts"]}
    assert ids_seven.isdisjoint(ids_eight)
    names = lambda snap: [t["name"] for page in snap[1:] for t in page["added"]]  # noqa: E731
    assert names(seven) != names(eight)
