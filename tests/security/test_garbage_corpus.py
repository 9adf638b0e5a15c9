"""A corpus of malformed requests against every registered route: never a 5xx.

Routes come from ``app.url_map`` (a new route is covered the day it is added); each gets
every garbage body with a tenant's keys and a signed-in dashboard session, so the
requests get past authentication and CSRF into the parsing of each view.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from sandbox.core import tenants
from sandbox.extensions import db
from sandbox.web import csrf
from sandbox.web.dashboard.session import SESSION_KEY

MAX_BODY = 64 * 1024
JSON_GARBAGE: tuple[bytes, ...] = (
    b"",
    b"{",
    b"[]",
    b"null",
    b'"just a string"',
    b'{"a": "\\ud800"}',
    b'{"\\udfff": 1}',
    b"[" * 3000 + b"]" * 3000,
    b'{"a":' * 600 + b"1" + b"}" * 600,
    b'{"access_token": "a\\u0000b", "name": "\\u0000"}',
    b'{"x": NaN, "y": -Infinity}',
    b'{"x": 1e400}',
    b'{"seed": 1e30, "count": 1e30, "offset": 1e30, "advance_days": 1e30}',
    b'{"count": 123456789012345678901234567890, "offset": -99999999999999999999}',
    b"9" * 5000,
    b"\xff\xfe\x00 not utf-8",
    b'{"access_token": 1, "client_id": [], "secret": {}, "options": "x"}',
    b'{"options": {"count": "abc", "account_ids": [null, 1, {"a": []}]}, "cursor": 7}',
    b'{"webhook": "http://169.254.169.254/latest/meta-data/", "latency_ms": 45000}',
    b'{"status": "DOWN", "failure_rate": 1e308, "limits": {"/x": {"per_item": 1e30}}}',
    b"{" + b" " * (MAX_BODY + 1) + b"}",
)
FORM_GARBAGE: tuple[str, ...] = (
    "count=abc&answer_0=x",
    "count=20000000",
    "days=%C2%B2&change=advance",
    "days=99999999999999999999&change=advance",
    "failure_rate=nan&status=DEGRADED",
    "username=%00&password=x",
    "institution_id=%ff%fe&action=login",
)
GARBAGE_QUERY = "?limit=99999999999999999999&status=%ff&start=2026-13-45&token=%00"
SAMPLE_ARGS: dict[str, tuple[str, ...]] = {
    "int": ("1", str(2**31 - 1), str(2**40)),
    "institution_id": ("ins_56", "x" * 300),
    "action": ("mfa", "credentials", "remove", "login"),
    "change": ("pause", "\u00b2"),
    "name": ("demo", "n" * 200),
    "filename": ("site.css", "../../etc/passwd"),
}


def paths(rule: Rule, item_id: str) -> Iterator[str]:
    """Concrete paths for ``rule``: every sample value of every argument."""
    choices = []
    for arg in rule.arguments:
        converter = type(rule._converters[arg]).__name__  # werkzeug's own map
        samples = SAMPLE_ARGS["int"] if "Integer" in converter else SAMPLE_ARGS.get(arg)
        choices.append(samples or (item_id, "x" * 300))
    for values in product(*choices):
        path = rule.rule
        for arg, value in zip(rule.arguments, values, strict=True):
            path = path.replace(f"<{_spec(rule, arg)}>", value)
        yield path


def _spec(rule: Rule, arg: str) -> str:
    start = rule.rule.index(arg)
    return rule.rule[rule.rule.rindex("<", 0, start) + 1 : rule.rule.index(">", start)]


def requests_for(app: Flask, item_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, keyword arguments of the test client) over the whole corpus."""
    for rule in app.url_map.iter_rules():
        for method, path in product(
            sorted(rule.methods - {"HEAD", "OPTIONS"}), paths(rule, item_id)
        ):
            if method == "GET":
                yield method, path + GARBAGE_QUERY, {}
                yield method, path, {}
                continue
            for body in JSON_GARBAGE:
                yield method, path, {"data": body, "content_type": "application/json"}
            for form in FORM_GARBAGE:
                data = f"{form}&csrf_token=corpus-csrf&token=x"
                yield (
                    method,
                    path,
                    {"data": data, "content_type": "application/x-www-form-urlencoded"},
                )


@pytest.fixture
def corpus_app(app: Flask) -> Flask:
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, FAULT_SLEEP=lambda _seconds: None)
    return app


def signed_in(app: Flask, keys: tenants.Keys) -> FlaskClient:
    """A test client with the tenant's keys, a dashboard session and a known CSRF token."""
    client = app.test_client()
    tenant = tenants.authenticate(db.session, keys.client_id, keys.secret)
    with client.session_transaction() as session:
        session[SESSION_KEY] = {
            "id": tenant.id,
            "client_id": tenant.client_id,
            "generation": tenant.dashboard_generation,
        }
        session[csrf.FIELD] = "corpus-csrf"
    client.environ_base.update(HTTP_PLAID_CLIENT_ID=keys.client_id, HTTP_PLAID_SECRET=keys.secret)
    return client


def _status(client: FlaskClient, method: str, path: str, kwargs: dict[str, Any]) -> int:
    response = client.open(path, method=method, **kwargs)
    response.close()  # static files stream from an open file
    return response.status_code


def test_garbage_corpus_on_every_route_never_answers_5xx(
    corpus_app: Flask, tenant_keys: tenants.Keys, plaid: Any
) -> None:
    token = plaid.link_item("ins_109508", ("transactions",))
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    client = signed_in(corpus_app, tenant_keys)
    failures, sent = [], 0
    for method, path, kwargs in requests_for(corpus_app, item_id):
        status = _status(client, method, path, kwargs)
        sent += 1
        if status >= 500:
            failures.append((method, path[:80], kwargs.get("data", b"")[:60], status))
    print(f"garbage corpus: {sent} requests, {len(failures)} answered 5xx")
    assert sent > 2000
    assert failures == []


def test_garbage_corpus_without_credentials_never_answers_5xx(corpus_app: Flask) -> None:
    client = corpus_app.test_client()
    failures = [
        (method, path[:80], status)
        for method, path, kwargs in requests_for(corpus_app, "item-unknown")
        if (status := _status(client, method, path, kwargs)) >= 500
    ]
    assert failures == []
