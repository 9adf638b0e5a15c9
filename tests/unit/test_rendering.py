"""Replies rendered by orjson (``sandbox.rendering``) are the JSON Flask's provider wrote."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import orjson
import pytest
from flask import Flask

from sandbox import create_app
from sandbox.inputs import StrictJSONProvider
from sandbox.plaid.responses import RenderedAccount, account_json, accounts_array
from sandbox.rendering import OrjsonProvider, json_column

REPLY = {
    "accounts": [{"account_id": "a1", "balances": {"current": 1096.0, "limit": None}}],
    "when": dt.datetime(2026, 11, 26, 1, 2, 3, tzinfo=dt.UTC),
    "day": dt.date(2026, 11, 26),
    "amount": decimal.Decimal("12.30"),
    "zebra": True,
    "alpha": [1, -2, 3.5, "x"],
    "request_id": "abc",
}


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "r"})


def test_the_app_renders_replies_with_orjson(app: Flask) -> None:
    assert isinstance(app.json, OrjsonProvider)


def test_ascii_replies_are_byte_for_byte_what_flask_wrote(app: Flask) -> None:
    flask_provider = StrictJSONProvider(app)
    flask_provider.sort_keys = app.json.sort_keys  # type: ignore[attr-defined]
    with app.app_context():
        assert app.json.response(REPLY).data == flask_provider.response(REPLY).data
        assert app.json.response(REPLY).mimetype == "application/json"


def test_non_ascii_and_huge_integers_read_back_the_same(app: Flask) -> None:
    reply = {"name": "Café Zürich 東京", "big": 2**70}  # orjson refuses the integer
    with app.app_context():
        rendered = app.json.response(reply).data
    assert json.loads(rendered) == reply


def test_json_columns_read_back_as_the_standard_library_wrote_them() -> None:
    for value in ({"a": [1, 2.5, None], "b": "é"}, {"int64": 2**63 - 1, "neg": -(2**63)}):
        assert json_column(json.dumps(value)) == value
    nan = json_column(json.dumps({"x": float("nan")}))["x"]  # orjson refuses NaN
    assert nan != nan


def test_debug_mode_replies_are_indented_and_embedded_fragments_written() -> None:
    """In debug mode replies are indented; parts rendered ahead (``orjson.Fragment``: a sync
    page's transactions, a reply's accounts) go into them as they are, never a 500."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "r"})
    app.debug = True
    reply = {"added": orjson.Fragment(b'[{"a":1}]'), "request_id": "abc"}
    with app.app_context():
        rendered = app.json.response(reply).data
    assert rendered.startswith(b'{\n  "added": [{"a":1}],\n  "request_id"')
    assert json.loads(rendered) == {"added": [{"a": 1}], "request_id": "abc"}


def _shown(
    current_minor: int, status: str | None = None, name: str | None = None
) -> RenderedAccount:
    return RenderedAccount(
        id="acc-1",
        type="depository",
        subtype="checking",
        name="Plaid Checking",
        official_name=None,
        mask="0000",
        currency="USD",
        current_minor=current_minor,
        available_minor=None,
        limit_minor=None,
        verification_status=status,
        verification_name=name,
    )


def test_accounts_arrays_are_the_json_of_each_account_and_follow_their_values() -> None:
    rows = [_shown(110_00), _shown(110_00), _shown(4_321_07)]
    assert orjson.dumps(accounts_array(rows)) == orjson.dumps([account_json(r) for r in rows])
    moved = json.loads(orjson.dumps(accounts_array([_shown(99_99)])))
    assert moved[0]["balances"]["current"] == 99.99  # a row's values are its rendering's key
    verified = [_shown(1, "database_insights_pass", n) for n in ("John Smith", "Jane Doe")]
    scores = [a["verification_insights"]["name_match_score"] for a in _array(verified)]
    assert scores == [100, 0]  # the typed name is part of the key too
    assert "verification_insights" not in _array([_shown(1, "manually_verified", "Jo")])[0]


def _array(rows: list[RenderedAccount]) -> list[dict[str, object]]:
    return json.loads(orjson.dumps(accounts_array(rows)))  # type: ignore[no-any-return]
