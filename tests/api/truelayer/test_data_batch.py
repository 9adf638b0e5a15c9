"""``POST /data/v1/batch/transactions`` and its results: every account and card of the
connection in one asynchronous call, each part as its single-account endpoint answers it; bad
fields refused at once naming them; scopes, the quota and faults as for the other reads."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from sandbox.core import tenants
from sandbox.core.models import AsyncTask
from sandbox.extensions import db
from tests.conftest import FROZEN_NOW

from .conftest import USER_PRESENT, TrueLayerData
from .test_data_async import HOOK, Receiver, _deliver

WINDOW = {"from": "2026-02-01", "to": "2026-03-16"}
PATH = "/data/v1/batch/transactions"


def _post(
    truelayer: TrueLayerData, token: str, body: Any = None, *, present: bool = True, **kw: Any
) -> TestResponse:
    """POST a batch with the bearer token (user present by default); ``body`` as JSON."""
    headers = {"Authorization": f"Bearer {token}", **(USER_PRESENT if present else {})}
    return truelayer.http.post(PATH, headers=headers, json=body, **kw)


def _queued(response: TestResponse) -> dict[str, Any]:
    """Assert TrueLayer's 202 for a batch (its results URI under ``/batch/results``)."""
    body: dict[str, Any] = response.get_json()
    assert response.status_code == 202, body
    assert set(body) == {"results_uri", "status", "task_id"} and body["status"] == "Queued"
    assert urlsplit(body["results_uri"]).path == f"/data/v1/batch/results/{body['task_id']}"
    return body


def _fetched(truelayer: TrueLayerData, token: str, queued: dict[str, Any]) -> TestResponse:
    path = urlsplit(queued["results_uri"]).path
    return truelayer.http.get(path, headers={"Authorization": f"Bearer {token}"})


def _batch(truelayer: TrueLayerData, token: str, body: Any) -> dict[str, Any]:
    """Run a batch and return its results, asserting TrueLayer's ``BatchResults`` frame."""
    queued = _queued(_post(truelayer, token, body))
    fetched = _fetched(truelayer, token, queued)
    assert fetched.status_code == 200, fetched.get_json()
    found: dict[str, Any] = fetched.get_json()
    assert set(found) == {"status", "task_id", "request", "results"}
    assert (found["status"], found["task_id"]) == ("Succeeded", queued["task_id"])
    assert set(found["results"]) == {"accounts", "cards"}
    return found


def _ids(truelayer: TrueLayerData, token: str, kind: str) -> list[str]:
    return [r["account_id"] for r in truelayer.results(f"/{kind}", token)]


def test_a_batch_holds_every_account_and_card_as_their_own_endpoints_render_them(
    truelayer: TrueLayerData, token: str
) -> None:
    found = _batch(truelayer, token, {**WINDOW, "pending": True, "balance": True})
    assert found["request"] == {
        "from": "2026-02-01T00:00:00+00:00",
        "to": "2026-03-16T00:00:00+00:00",
    }
    seen = {"transactions": 0, "pending_transactions": 0}
    for kind in ("accounts", "cards"):
        items = found["results"][kind]
        assert items and [i["account_id"] for i in items] == _ids(truelayer, token, kind)
        for item in items:
            base = f"/{kind}/{item['account_id']}"
            assert set(item) == {"account_id", "transactions", "pending_transactions", "balance"}
            settled = truelayer.results(f"{base}/transactions", token, **WINDOW)
            pending = truelayer.results(f"{base}/transactions/pending", token, **WINDOW)
            assert (item["transactions"], item["pending_transactions"]) == (settled, pending)
            assert [item["balance"]] == truelayer.results(f"{base}/balance", token)
            seen = {k: n + len(item[k]) for k, n in seen.items()}
    assert all(seen.values()), seen  # the comparisons above compared rows


def test_without_the_flags_a_batch_holds_settled_transactions_only(
    truelayer: TrueLayerData, token: str
) -> None:
    found = _batch(truelayer, token, WINDOW)
    for item in found["results"]["accounts"] + found["results"]["cards"]:
        assert set(item) == {"account_id", "transactions"}
    pending_only = _batch(truelayer, token, {**WINDOW, "pending": True, "balance": False})
    for item in pending_only["results"]["accounts"]:
        assert set(item) == {"account_id", "transactions", "pending_transactions"}


def test_without_from_and_to_a_batch_reads_the_whole_history_up_to_today(
    truelayer: TrueLayerData, token: str
) -> None:
    found = _batch(truelayer, token, {})
    assert found["request"]["to"] == "2026-03-16T00:00:00+00:00"
    [first, *_] = found["results"]["accounts"]
    path = f"/accounts/{first['account_id']}/transactions"
    assert first["transactions"] == truelayer.results(path, token)


def test_the_whitelist_keeps_only_the_accounts_and_cards_it_names(
    truelayer: TrueLayerData, token: str
) -> None:
    account = _ids(truelayer, token, "accounts")[1]
    card = _ids(truelayer, token, "cards")[0]
    body = {**WINDOW, "account_ids_whitelist": [account, card, "not-an-account-of-this-one"]}
    found = _batch(truelayer, token, body)
    assert [i["account_id"] for i in found["results"]["accounts"]] == [account]
    assert [i["account_id"] for i in found["results"]["cards"]] == [card]
    everything = _batch(truelayer, token, {**WINDOW, "account_ids_whitelist": []})
    assert len(everything["results"]["accounts"]) == len(_ids(truelayer, token, "accounts"))


def _tasks(truelayer: TrueLayerData) -> int:
    """The tenant's kept tasks (the PostgreSQL test database holds other tests' too)."""
    tenant_id = truelayer.bank().tenant.id
    query = select(func.count()).where(AsyncTask.tenant_id == tenant_id)
    return db.session.scalar(query) or 0


@pytest.mark.parametrize(
    ("body", "status", "code", "parameter"),
    [
        ({"from": 20260201}, 400, "validation_error", "from"),
        ({"from": "last month"}, 400, "invalid_date_range", "from"),
        ({"to": "2026-02-30"}, 400, "invalid_date_range", "to"),
        ({"from": "9999-12-31T23:00:00-05:00"}, 400, "invalid_date_range", "from"),
        ({"to": {"day": "2026-03-01"}}, 400, "validation_error", "to"),
        ({"pending": "yes"}, 400, "validation_error", "pending"),
        ({"balance": 1}, 400, "validation_error", "balance"),
        ({"webhook_uri": "ftp://receiver.test/hook"}, 400, "validation_error", "webhook_uri"),
        ({"webhook_uri": ["https://receiver.test"]}, 400, "validation_error", "webhook_uri"),
        ({"webhook_uri": "http://[::1/hook"}, 400, "validation_error", "webhook_uri"),
        ({"webhook_uri": "http://receiver.test:99999/"}, 400, "validation_error", "webhook_uri"),
        ({"webhook_uri": "http://169.254.169.254/"}, 400, "validation_error", "webhook_uri"),
        ({"account_ids_whitelist": "acc-1"}, 400, "validation_error", "account_ids_whitelist"),
        ({"account_ids_whitelist": [1, 2]}, 400, "validation_error", "account_ids_whitelist"),
        ({"account_ids_whitelist": [None]}, 400, "validation_error", "account_ids_whitelist"),
        (["from", "to"], 400, "validation_error", "body"),
    ],
)
def test_a_bad_field_is_refused_at_once_naming_it(
    truelayer: TrueLayerData,
    token: str,
    body: Any,
    status: int,
    code: str,
    parameter: str,
) -> None:
    before = _tasks(truelayer)
    response = _post(truelayer, token, body)
    found = response.get_json()
    assert (response.status_code, found["error"]) == (status, code), found
    assert found["error_details"] == {"parameter": parameter}
    assert _tasks(truelayer) == before  # refused before it reached the bank: no task


def test_a_malformed_sandbox_fault_header_is_refused_at_once(
    truelayer: TrueLayerData, token: str
) -> None:
    before = _tasks(truelayer)
    headers = {"Authorization": f"Bearer {token}", "Sandbox-Fault": "http_status=abc"}
    response = truelayer.http.post(PATH, headers={**headers, **USER_PRESENT}, json=WINDOW)
    found = response.get_json()
    assert (response.status_code, found["error"]) == (400, "validation_error"), found
    assert found["error_details"] == {"parameter": "Sandbox-Fault.http_status"}
    assert _tasks(truelayer) == before


def test_a_body_that_is_not_json_is_refused_naming_the_body(
    truelayer: TrueLayerData, token: str
) -> None:
    """(A malformed ``application/json`` body is the app's screen's; this one is the batch's.)"""
    response = _post(truelayer, token, data="from=2026-02-01", content_type="text/plain")
    found = response.get_json()
    assert (response.status_code, found["error"]) == (400, "validation_error")
    assert found["error_details"] == {"parameter": "body"}


def test_a_range_the_bank_refuses_is_the_tasks_result(truelayer: TrueLayerData, token: str) -> None:
    queued = _queued(_post(truelayer, token, {"from": "2026-03-10", "to": "2026-03-01"}))
    fetched = _fetched(truelayer, token, queued)
    found = fetched.get_json()
    assert (fetched.status_code, found["error"], found["status"]) == (
        400,
        "invalid_date_range",
        "Failed",
    )


def test_the_batch_needs_accounts_and_transactions_and_balance_when_asked(
    truelayer: TrueLayerData,
) -> None:
    no_transactions = truelayer.connect(scopes=("accounts", "balance", "cards"))
    refused = _post(truelayer, no_transactions, WINDOW).get_json()
    assert refused["error"] == "access_denied" and "transactions" in refused["error_description"]
    no_balance = truelayer.connect(scopes=("accounts", "cards", "transactions"))
    refused = _post(truelayer, no_balance, {**WINDOW, "balance": True}).get_json()
    assert refused["error"] == "access_denied" and "balance" in refused["error_description"]
    assert _batch(truelayer, no_balance, WINDOW)["results"]["cards"]  # no balance asked: fine


def test_cards_are_in_the_batch_only_with_the_cards_scope(truelayer: TrueLayerData) -> None:
    token = truelayer.connect(scopes=("accounts", "transactions"))
    found = _batch(truelayer, token, WINDOW)
    assert found["results"]["cards"] == [] and found["results"]["accounts"]


def test_an_expired_consent_is_refused_at_once(truelayer: TrueLayerData) -> None:
    token = truelayer.connect()
    truelayer.bank().move_clock(advance=dt.timedelta(days=90, minutes=1))
    db.session.commit()
    response = _post(truelayer, token, WINDOW)
    assert (response.status_code, response.get_json()["error"]) == (403, "access_denied")


def test_only_the_connection_that_asked_reads_the_batch(
    truelayer: TrueLayerData, token: str
) -> None:
    queued = _queued(_post(truelayer, token, WINDOW))
    other_client, keys = tenants.create(db.session, "another app", 7)
    other_client.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    for other in (truelayer.connect(), TrueLayerData(truelayer.app, keys).connect()):
        # the same user's other connection, then a connection of another client
        refused = _fetched(truelayer, other, queued).get_json()
        assert (refused["error"], refused["error_details"]) == (
            "not_found",
            {"parameter": "task_id"},
        )
    bearer = {"Authorization": f"Bearer {token}"}
    by_query = truelayer.http.get(
        "/data/v1/batch/results", headers=bearer, query_string={"task_id": queued["task_id"]}
    )
    assert by_query.get_json() == _fetched(truelayer, token, queued).get_json()
    unnamed = truelayer.http.get("/data/v1/batch/results", headers=bearer).get_json()
    assert (unnamed["error"], unnamed["error_details"]) == (
        "validation_error",
        {"parameter": "task_id"},
    )


def test_the_unattended_quota_counts_a_batch_and_fails_its_task(
    truelayer: TrueLayerData, token: str
) -> None:
    for _ in range(4):
        _queued(_post(truelayer, token, WINDOW, present=False))
    queued = _queued(_post(truelayer, token, WINDOW, present=False))
    found = _fetched(truelayer, token, queued).get_json()
    assert (found["error"], found["status"]) == ("provider_request_limit_exceeded", "Failed")


def test_a_mock_users_error_is_the_tasks_result_and_its_webhook_says_failed(
    truelayer: TrueLayerData,
) -> None:
    locked = truelayer.connect("error.account_permanently_locked", "error")
    queued = _queued(_post(truelayer, locked, {**WINDOW, "webhook_uri": HOOK}))
    fetched = _fetched(truelayer, locked, queued)
    assert (fetched.status_code, fetched.get_json()["error"]) == (403, "account_permanently_locked")
    receiver = Receiver()
    _deliver(truelayer, receiver)
    [(_, data, _)] = receiver.calls
    assert json.loads(data)["status"] == "Failed"


def test_fault_rules_and_rate_limits_reach_the_batch(truelayer: TrueLayerData, token: str) -> None:
    bank = truelayer.bank()
    bank.faults.add_rule(
        {"dialect": "truelayer", "endpoint": "/data/v1/batch/*", "error_code": "SCA_EXCEEDED"},
        bank.now(),
    )
    db.session.commit()
    found = _fetched(truelayer, token, _queued(_post(truelayer, token, WINDOW))).get_json()
    assert (found["error"], found["status"]) == ("sca_exceeded", "Failed")
    bank = truelayer.bank()
    bank.faults.clear_rules()
    bank.faults.configure_limits(True, {PATH: {"per_item": 1}})
    db.session.commit()
    _batch(truelayer, token, WINDOW)
    limited = _fetched(truelayer, token, _queued(_post(truelayer, token, WINDOW))).get_json()
    assert limited["error"] == "provider_too_many_requests"


def test_a_batch_refused_for_its_window_costs_no_rate_limit_or_unattended_call(
    truelayer: TrueLayerData, token: str
) -> None:
    """``from`` after ``to`` is the task's result, as for an async read, and costs nothing."""
    truelayer.bank().faults.configure_limits(True, {PATH: {"per_item": 1}})
    db.session.commit()
    backwards = {"from": WINDOW["to"], "to": WINDOW["from"]}
    for _ in range(5):
        queued = _queued(_post(truelayer, token, backwards, present=False))
        found = _fetched(truelayer, token, queued).get_json()
        assert (found["error"], found["status"]) == ("invalid_date_range", "Failed")
    _batch(truelayer, token, WINDOW)  # neither the rate limit nor the quota was used


def test_the_webhook_names_the_batch_and_its_results(truelayer: TrueLayerData, token: str) -> None:
    queued = _queued(_post(truelayer, token, {**WINDOW, "webhook_uri": HOOK}))
    receiver = Receiver()
    assert _deliver(truelayer, receiver) == 1
    [(url, data, headers)] = receiver.calls
    assert url == HOOK and "Tl-Signature" in headers
    assert json.loads(data) == {
        "request_timestamp": "2026-03-16T15:30:00.000000Z",
        "request_uri": f"http://localhost{PATH}",
        "results_uri": queued["results_uri"],
        "credentials_id": truelayer.grant_of(token).credentials_id,
        "task_id": queued["task_id"],
        "status": "Succeeded",
    }
