"""Contract: every served TrueLayer endpoint's replies satisfy TrueLayer's OpenAPI documents.

The sweep connects a mock user through the auth dialog and calls every endpoint of the
dialect's two blueprints once for a success and once for a representative error, checking
each reply's status, media type and body against the document's response for that
path, method and status (``contract.reply_errors``). A route added to either blueprint
fails ``test_every_served_route_is_swept_or_listed`` until the sweep calls it or
``NOT_IN_DOCUMENT`` says why it cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.test import TestResponse

from sandbox.truelayer import bp, data_bp

from . import contract
from .auth_helpers import REDIRECT, AuthDialog
from .auth_helpers import tl_auth as tl_auth  # the fixture
from .conftest import USER_PRESENT

# Served routes TrueLayer's documents do not describe, each with the reason.
NOT_IN_DOCUMENT = {
    "GET /api/providers/{provider_id}/logo": "the logo image `logo_url` points at (TrueLayer "
    "serves logos from its asset CDN)",
    "GET /api/webhooks/{client_id}/jwks": "the key set async webhooks are signed with "
    "(TrueLayer's is at webhooks.truelayer.com, outside both documents)",
    "GET /data/v1/results/{task_id}": "an async call's results URI: the document gives only "
    "the 202 naming it",
    "GET /data/v1/batch/results/{task_id}": "the batch results URI the 202 and webhook name "
    "(the document has `?task_id=`, swept as GET /data/v1/batch/results)",
    "GET /dialog": "the auth dialog's HTML pages, not an API",
    "GET /dialog/{dialog_id}": "the auth dialog's HTML pages, not an API",
    "POST /dialog/{dialog_id}/{action}": "the auth dialog's HTML forms, not an API",
    "GET /dialog/oauth-callback": "where a bank's OAuth page returns to the dialog, not an API",
    **{
        f"{method} /data/v1/{{unknown}}": "the Data API's 404 for any other path, not an endpoint"
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
}
# Documented operations with no error reply the sandbox can give, each with the reason.
NO_ERROR_REPLY = {
    "GET /api/providers": "public and infallible: its only documented error is a 500",
}
SWEPT = {
    "POST /connect/token",
    "POST /v1/authuri",
    "POST /v1/reauthuri",
    "POST /api/debug",
    "DELETE /api/delete",
    "GET /api/providers",
    "GET /data/v1/me",
    "GET /data/v1/info",
    "GET /data/v1/accounts",
    "GET /data/v1/accounts/{account_id}",
    "GET /data/v1/accounts/{account_id}/balance",
    "GET /data/v1/accounts/{account_id}/transactions",
    "GET /data/v1/accounts/{account_id}/transactions/pending",
    "GET /data/v1/accounts/{account_id}/standing_orders",
    "GET /data/v1/accounts/{account_id}/direct_debits",
    "GET /data/v1/cards",
    "GET /data/v1/cards/{account_id}",
    "GET /data/v1/cards/{account_id}/balance",
    "GET /data/v1/cards/{account_id}/transactions",
    "GET /data/v1/cards/{account_id}/transactions/pending",
    "POST /data/v1/batch/transactions",
    "GET /data/v1/batch/results",
    "POST /data/v1/connections/extend",
}
UNKNOWN_ID = "0" * 32


def _key(method: str, rule: str) -> str:
    return f"{method} {rule.replace('<', '{').replace('>', '}')}"


def _served(app: Flask) -> Iterator[str]:
    """``METHOD /path`` of every route of the dialect's blueprints (HEAD and OPTIONS aside)."""
    blueprints = (f"{bp.name}.", f"{data_bp.name}.")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(blueprints):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield _key(method, _plain(rule.rule))


def _plain(rule: str) -> str:
    """A Flask rule without converters: ``<path:unknown>`` is ``<unknown>``."""
    parts = rule.split("<")
    return parts[0] + "".join("<" + p.split(":")[-1] for p in parts[1:])


def test_every_served_route_is_swept_or_listed(app: Flask) -> None:
    served = set(_served(app))
    assert served - SWEPT - set(NOT_IN_DOCUMENT) == set(), "join the sweep or say why not"
    assert (SWEPT | set(NOT_IN_DOCUMENT)) - served == set(), "listed but no longer served"
    assert not SWEPT & set(NOT_IN_DOCUMENT)
    for key in SWEPT:
        method, rule = key.split(" ")
        assert contract.operation(rule, method) is not None, f"{key} is not in the document"
    for key in NOT_IN_DOCUMENT:
        method, rule = key.split(" ")
        assert contract.operation(rule, method) is None, f"{key} is in the document: sweep it"
    assert set(NO_ERROR_REPLY) <= SWEPT


def test_each_override_changes_the_document() -> None:
    """An override that no longer changes anything (TrueLayer fixed its document) goes."""
    for override in contract.OVERRIDES:
        before = contract.node_at(contract.raw(override.document), override.pointer)
        after = contract.node_at(contract.patched(override.document), override.pointer)
        assert after is not None and before != after, f"{override.pointer}: {override.reason}"


class Sweep:
    """Calls endpoints and collects every contract violation instead of stopping at one."""

    def __init__(self, tl_auth: AuthDialog) -> None:
        self.tl_auth = tl_auth
        self.problems: list[str] = []
        self.replied: dict[str, set[str]] = {}

    def check(self, key: str, response: TestResponse, outcome: str) -> TestResponse:
        """Validate ``response`` of operation ``key`` (``METHOD /rule``) as a success or an
        error, as ``outcome`` says it must be."""
        method, rule = key.split(" ")
        failed = response.status_code >= 400
        if failed != (outcome == "error"):
            self.problems.append(f"{key}: expected {outcome}, got {response.status_code}")
        self.replied.setdefault(key, set()).add(outcome)
        found = contract.reply_errors(
            rule, method, response.status_code, response.content_type, response.data
        )
        self.problems += [f"{key} {response.status_code}: {problem}" for problem in found]
        return response

    def data(self, key: str, url: str, token: str, outcome: str, **params: Any) -> TestResponse:
        """GET a Data API URL with the bearer token, user present."""
        headers = {"Authorization": f"Bearer {token}", **USER_PRESENT}
        response = self.tl_auth.client.get(url, headers=headers, query_string=params)
        return self.check(key, response, outcome)


def _sweep_auth(sweep: Sweep, tokens: dict[str, Any]) -> dict[str, Any]:
    """The auth server's endpoints; returns the token set a refresh rotated ``tokens`` to."""
    tl = sweep.tl_auth
    sweep.check("POST /connect/token", tl.exchange("no-such-code"), "error")
    refreshed = tl.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    tokens = sweep.check("POST /connect/token", refreshed, "success").get_json()
    sweep.check("POST /v1/authuri", tl.authuri(), "success")
    sweep.check("POST /v1/authuri", tl.authuri(provider_id="ob-nowhere"), "error")
    sweep.check("POST /v1/authuri", tl.authuri(client_id="no-such-client"), "error")
    reauth = {"response_type": "code", "redirect_uri": REDIRECT}
    ok = tl.client.post("/v1/reauthuri", json={**reauth, "refresh_token": tokens["refresh_token"]})
    sweep.check("POST /v1/reauthuri", ok, "success")
    bad = tl.client.post("/v1/reauthuri", json={**reauth, "refresh_token": "nope"})
    sweep.check("POST /v1/reauthuri", bad, "error")
    debug = tl.client.post("/api/debug", json={"access_token": tokens["access_token"]})
    sweep.check("POST /api/debug", debug, "success")
    sweep.check("POST /api/debug", tl.client.post("/api/debug", json={}), "error")
    sweep.check("GET /api/providers", tl.client.get("/api/providers"), "success")
    dutch = tl.client.get("/api/providers", query_string={"country": "nl"})
    sweep.check("GET /api/providers", dutch, "success")
    return tokens


def _sweep_accounts(sweep: Sweep, token: str) -> None:
    base = "/data/v1/accounts"
    sweep.data("GET /data/v1/accounts", base, token, "success")
    sweep.data("GET /data/v1/accounts", base, "not-a-token", "error")
    account = sweep.tl_auth.client.get(base, headers={"Authorization": f"Bearer {token}"})
    account_id = account.get_json()["results"][0]["account_id"]
    for suffix in ("", "/balance", "/transactions", "/transactions/pending"):
        _sweep_one(sweep, f"{base}/{{account_id}}{suffix}", account_id, token)
    for suffix in ("/standing_orders", "/direct_debits"):
        _sweep_one(sweep, f"{base}/{{account_id}}{suffix}", account_id, token)
    key = "GET /data/v1/accounts/{account_id}/transactions"
    url = f"{base}/{account_id}/transactions"
    sweep.data(key, url, token, "error", **{"from": "yesterday"})
    queued = sweep.data(key, url, token, "success", **{"async": "true"})
    assert queued.status_code == 202, queued.get_json()


def _sweep_cards(sweep: Sweep, token: str) -> None:
    base = "/data/v1/cards"
    sweep.data("GET /data/v1/cards", base, token, "success")
    sweep.data("GET /data/v1/cards", base, "not-a-token", "error")
    card = sweep.tl_auth.client.get(base, headers={"Authorization": f"Bearer {token}"})
    card_id = card.get_json()["results"][0]["account_id"]
    for suffix in ("", "/balance", "/transactions", "/transactions/pending"):
        _sweep_one(sweep, f"{base}/{{account_id}}{suffix}", card_id, token)


def _sweep_one(sweep: Sweep, rule: str, account_id: str, token: str) -> None:
    """One account's (or card's) endpoint: its reply, and the 404 of an unknown id."""
    key = f"GET {rule}"
    sweep.data(key, rule.replace("{account_id}", account_id), token, "success")
    sweep.data(key, rule.replace("{account_id}", UNKNOWN_ID), token, "error")


def _sweep_data(sweep: Sweep, tokens: dict[str, Any]) -> None:
    token = tokens["access_token"]
    for path in ("/me", "/info"):
        sweep.data(f"GET /data/v1{path}", f"/data/v1{path}", token, "success")
        sweep.data(f"GET /data/v1{path}", f"/data/v1{path}", "not-a-token", "error")
    _sweep_accounts(sweep, token)
    _sweep_cards(sweep, token)
    _sweep_batch(sweep, token)


def _sweep_batch(sweep: Sweep, token: str) -> None:
    http = sweep.tl_auth.client
    headers = {"Authorization": f"Bearer {token}", **USER_PRESENT}
    key = "POST /data/v1/batch/transactions"
    queued = sweep.check(key, http.post("/data/v1/batch/transactions", headers=headers), "success")
    refused = http.post("/data/v1/batch/transactions", headers=headers, json={"from": "soon"})
    sweep.check(key, refused, "error")
    task_id = queued.get_json()["task_id"]
    assert urlsplit(queued.get_json()["results_uri"]).path.endswith(task_id)
    results = "/data/v1/batch/results"
    sweep.data(f"GET {results}", results, token, "success", task_id=task_id)
    sweep.data(f"GET {results}", results, token, "error", task_id=UNKNOWN_ID)


def _sweep_extension(sweep: Sweep, tokens: dict[str, Any]) -> None:
    key = "POST /data/v1/connections/extend"
    sweep.check(key, sweep.tl_auth.extend(tokens["refresh_token"]), "success")
    sweep.check(key, sweep.tl_auth.extend("nope"), "error")
    sweep.check(key, sweep.tl_auth.extend(tokens["refresh_token"], state=7), "error")


def test_every_reply_satisfies_truelayers_document(tl_auth: AuthDialog) -> None:
    sweep = Sweep(tl_auth)
    exchanged = tl_auth.exchange(tl_auth.authorize()["code"])
    tokens = _sweep_auth(sweep, sweep.check("POST /connect/token", exchanged, "success").get_json())
    _sweep_data(sweep, tokens)
    _sweep_extension(sweep, tokens)
    key = "DELETE /api/delete"
    sweep.check(key, tl_auth.bearer("DELETE", "/api/delete", tokens["access_token"]), "success")
    sweep.check(key, tl_auth.bearer("DELETE", "/api/delete", "not-a-token"), "error")
    assert sweep.problems == [], "\n".join(sweep.problems)
    for key in SWEPT:
        needed = {"success"} if key in NO_ERROR_REPLY else {"success", "error"}
        assert needed <= sweep.replied.get(key, set()), f"{key}: sweep a success and an error"
