"""``?async=true`` on the Data API: 202 with a task, the reply kept at its results URI for the
same connection, errors as the task's result, and the signed webhook TrueLayer sends."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from werkzeug.test import TestResponse

from sandbox.core.webhooks.dispatch import Dispatcher
from sandbox.extensions import db

from . import tl_signature
from .auth_helpers import AuthDialog
from .auth_helpers import tl_auth as tl_auth  # the fixture
from .conftest import TrueLayerData

HOOK = "https://receiver.test/truelayer/hook"
TIMESTAMP = "X-Tl-Webhook-Timestamp"


def _queued(response: TestResponse) -> dict[str, Any]:
    """Assert TrueLayer's 202 body and return it."""
    body: dict[str, Any] = response.get_json()
    assert response.status_code == 202, body
    assert set(body) == {"results_uri", "status", "task_id"} and body["status"] == "Queued"
    assert urlsplit(body["results_uri"]).path == f"/data/v1/results/{body['task_id']}"
    return body


def _fetch(truelayer: TrueLayerData, token: str, queued: dict[str, Any]) -> TestResponse:
    """GET the task's results URI with the bearer token."""
    path = urlsplit(queued["results_uri"]).path
    return truelayer.http.get(path, headers={"Authorization": f"Bearer {token}"})


def _ids(truelayer: TrueLayerData, token: str) -> dict[str, str]:
    return {
        "account": truelayer.results("/accounts", token)[0]["account_id"],
        "card": truelayer.results("/cards", token)[0]["account_id"],
    }


@pytest.mark.parametrize(
    "path",
    [
        "/accounts",
        "/accounts/{account}",
        "/accounts/{account}/balance",
        "/accounts/{account}/transactions",
        "/accounts/{account}/transactions/pending",
        "/accounts/{account}/standing_orders",
        "/accounts/{account}/direct_debits",
        "/cards",
        "/cards/{card}",
        "/cards/{card}/balance",
        "/cards/{card}/transactions",
        "/cards/{card}/transactions/pending",
    ],
)
def test_an_async_call_answers_202_and_its_results_uri_the_synchronous_reply(
    truelayer: TrueLayerData, token: str, path: str
) -> None:
    path = path.format(**_ids(truelayer, token))
    synchronous = truelayer.get(path, token)
    queued = _queued(truelayer.get(path, token, **{"async": "true"}))
    fetched = _fetch(truelayer, token, queued)
    assert fetched.status_code == 200
    assert fetched.get_json() == synchronous.get_json()
    assert fetched.headers["Content-Type"] == "application/json; charset=utf-8"
    assert fetched.headers["X-Credentials-Id"] == truelayer.grant_of(token).credentials_id


def test_another_connections_token_cannot_read_the_results(
    truelayer: TrueLayerData, token: str
) -> None:
    queued = _queued(truelayer.get("/accounts", token, **{"async": "true"}))
    other = truelayer.connect("john", "doe")  # the same user, another connection
    refused = _fetch(truelayer, other, queued)
    body = refused.get_json()
    assert (refused.status_code, body["error"]) == (404, "not_found")
    assert body["error_details"] == {"parameter": "task_id"}
    assert _fetch(truelayer, token, queued).status_code == 200
    unknown = truelayer.get("/results/6f1b0d9e-0000-4000-8000-000000000000", token)
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "not_found")


def test_results_are_kept_seven_days_on_the_tenants_clock(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    queued = _queued(tl_auth.bearer("GET", "/data/v1/cards?async=true", tokens["access_token"]))
    path = urlsplit(queued["results_uri"]).path
    for age, status in ((dt.timedelta(days=7, seconds=-1), 200), (dt.timedelta(days=7), 404)):
        tl_auth.advance(age)  # the access token is an hour old by then: refresh it
        refreshed = tl_auth.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        tokens = refreshed.get_json()
        assert tl_auth.bearer("GET", path, tokens["access_token"]).status_code == status


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"async": "yes"}, "async"),
        ({"async": "true", "webhook_uri": "not a uri"}, "webhook_uri"),
        ({"async": "true", "webhook_uri": "ftp://receiver.test/hook"}, "webhook_uri"),
        # Unparseable: an unclosed IPv6 literal, a port past 65535 (no 500, no undeliverable task)
        ({"async": "true", "webhook_uri": "http://[::1/hook"}, "webhook_uri"),
        ({"async": "true", "webhook_uri": "http://receiver.test:99999/hook"}, "webhook_uri"),
        # An address the sandbox never calls, refused at once as Plaid's dialect does
        ({"async": "true", "webhook_uri": "http://169.254.169.254/latest"}, "webhook_uri"),
    ],
)
def test_a_bad_async_parameter_is_refused_at_once_naming_it(
    truelayer: TrueLayerData, token: str, params: dict[str, str], parameter: str
) -> None:
    body = truelayer.error("/accounts", token, 400, "validation_error", **params)
    assert body["error_details"]["parameter"] == parameter


def test_only_what_reaches_the_bank_is_a_task(truelayer: TrueLayerData) -> None:
    """A bad token or a scope the consent lacks is refused at once (no task is made), and
    ``/info``, which TrueLayer's OpenAPI file gives no ``async`` parameter, answers at once."""
    narrow = truelayer.connect(scopes=("accounts", "info"))
    _queued(truelayer.get("/accounts", narrow, **{"async": "true"}))
    truelayer.error("/accounts", "not-a-token", 401, "invalid_token", **{"async": "true"})
    truelayer.error("/cards", narrow, 403, "access_denied", **{"async": "true"})
    assert truelayer.get("/info", narrow, **{"async": "true"}).status_code == 200
    assert truelayer.get("/accounts", narrow, **{"async": "false"}).status_code == 200


def _failed(
    truelayer: TrueLayerData,
    token: str,
    path: str,
    status: int,
    code: str,
    *,
    present: bool = True,
    **params: Any,
) -> None:
    """The async call is accepted and its result is the synchronous error, ``Failed``."""
    call = truelayer.get(path, token, present=present, **{"async": "true"}, **params)
    queued = _queued(call)
    fetched = _fetch(truelayer, token, queued)
    body = fetched.get_json()
    assert (fetched.status_code, body["error"], body["status"]) == (status, code, "Failed")
    assert set(body) == {"error", "error_description", "error_details", "status"}


def test_what_the_bank_answers_is_the_tasks_result(truelayer: TrueLayerData) -> None:
    locked = truelayer.connect("error.account_temporarily_locked", "error")
    _failed(truelayer, locked, "/accounts", 403, "account_temporarily_locked")
    token = truelayer.connect()
    _failed(truelayer, token, "/accounts/nope/balance", 404, "account_not_found")
    account = truelayer.results("/accounts", token)[0]["account_id"]
    path = f"/accounts/{account}/transactions"
    _failed(
        truelayer,
        token,
        path,
        400,
        "invalid_date_range",
        **{"from": "2026-03-10", "to": "2026-03-01"},
    )


def test_the_unattended_quota_counts_async_calls_and_fails_their_task(
    truelayer: TrueLayerData, token: str
) -> None:
    for _ in range(4):
        _queued(truelayer.get("/accounts", token, present=False, **{"async": "true"}))
    _failed(truelayer, token, "/accounts", 429, "provider_request_limit_exceeded", present=False)
    assert truelayer.get("/accounts", token).status_code == 200  # X-PSU-IP sent: no quota


def test_a_fault_rules_error_is_the_tasks_result_a_raw_status_the_reply(
    truelayer: TrueLayerData, token: str
) -> None:
    bank = truelayer.bank()
    bank.faults.add_rule(
        {"dialect": "truelayer", "endpoint": "/data/v1/cards", "error_code": "SCA_EXCEEDED"},
        bank.now(),
    )
    bank.faults.add_rule(
        {"dialect": "truelayer", "endpoint": "/data/v1/accounts", "http_status": 503}, bank.now()
    )
    db.session.commit()
    _failed(truelayer, token, "/cards", 403, "sca_exceeded")
    truelayer.error("/accounts", token, 503, "temporarily_unavailable", **{"async": "true"})


@pytest.mark.parametrize(
    "header",
    ["http_status=abc", "code=NOT_A_CODE", "{not json", "code=PROVIDER_ERROR,item_id=nope"],
)
def test_a_malformed_sandbox_fault_header_is_refused_at_once_not_made_a_task(
    truelayer: TrueLayerData, token: str, header: str
) -> None:
    """The sandbox's own header is the caller's mistake, refused before the call reaches the
    bank, as a synchronous call refuses it: no task holds the refusal."""
    headers = {"Authorization": f"Bearer {token}", "X-PSU-IP": "203.0.113.7"}
    response = truelayer.http.get(
        "/data/v1/accounts",
        headers={**headers, "Sandbox-Fault": header},
        query_string={"async": "true"},
    )
    body = response.get_json()
    assert (response.status_code, body["error"]) == (400, "validation_error"), body
    assert body["error_details"]["parameter"].startswith("Sandbox-Fault")


class Receiver:
    """Stands in for ``requests.post`` in the dispatcher: records each webhook, answers 200."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, *, data: bytes, headers: dict[str, str], **_: Any) -> Any:
        self.calls.append((url, data, headers))
        response = requests.Response()
        response.status_code = 200
        response.raw = io.BytesIO(b"")
        return response


def test_the_webhook_names_the_results_and_is_signed_with_tl_signature(
    truelayer: TrueLayerData, token: str
) -> None:
    queued = _queued(truelayer.get("/cards", token, **{"async": "true", "webhook_uri": HOOK}))
    receiver = Receiver()
    assert _deliver(truelayer, receiver) == 1
    [(url, data, headers)] = receiver.calls
    body = json.loads(data)
    assert url == HOOK
    assert body == {
        "request_timestamp": "2026-03-16T15:30:00.000000Z",
        "request_uri": f"http://localhost/data/v1/cards?async=true&webhook_uri={HOOK}",
        "results_uri": queued["results_uri"],
        "credentials_id": truelayer.grant_of(token).credentials_id,
        "task_id": queued["task_id"],
        "status": "Succeeded",
    }
    assert headers["User-Agent"] == "bank-sandbox webhooks"  # not Plaid's "Plaid Verifier"
    signature = headers["Tl-Signature"]
    jose = tl_signature.jose_header(signature)
    assert jose["tl_headers"] == TIMESTAMP and headers[TIMESTAMP].endswith("Z")
    jwks_path = urlsplit(jose["jku"]).path
    assert jwks_path == f"/api/webhooks/{truelayer.client_id}/jwks"
    jwks = truelayer.http.get(jwks_path).get_json()
    tl_signature.verify(signature, url, headers, data, jwks)
    with pytest.raises(InvalidSignature):
        tl_signature.verify(signature, url, headers, data.replace(b"Succeeded", b"Failed"), jwks)
    [event] = truelayer.bank().outbox.events()
    assert (event.webhook_type, event.webhook_code, event.status) == (
        "ASYNC_TASK",
        "SUCCEEDED",
        "delivered",
    )


def test_a_failed_tasks_webhook_says_failed(truelayer: TrueLayerData) -> None:
    locked = truelayer.connect("error.wrong_credentials", "error")
    truelayer.get("/accounts", locked, **{"async": "true", "webhook_uri": HOOK})
    receiver = Receiver()
    _deliver(truelayer, receiver)
    [(_, data, _)] = receiver.calls
    assert json.loads(data)["status"] == "Failed"


def _deliver(truelayer: TrueLayerData, receiver: Receiver) -> int:
    """Deliver this test's tenant's webhooks (the PostgreSQL test database holds other
    tests' too); returns the attempts made."""
    tenant_id = truelayer.bank().tenant.id
    return Dispatcher(post=receiver).deliver_pending(db.session, tenant_id=tenant_id)
