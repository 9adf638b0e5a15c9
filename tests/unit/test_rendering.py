"""Replies rendered by orjson (``sandbox.rendering``) are the JSON Flask's provider wrote."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
from flask import Flask

from sandbox import create_app
from sandbox.inputs import StrictJSONProvider
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
