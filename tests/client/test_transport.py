"""Transport: headers, typed errors, retries with backoff, Retry-After, no secrets leaked."""

from __future__ import annotations

import re
from typing import Any

import pytest

from client.api import errors
from client.api.plaid import PlaidClient
from tests.client.helpers import Reply, plaid_error, scripted_app, serve


def _client(url: str, sleeps: list[float], max_retries: int = 2) -> PlaidClient:
    return PlaidClient(
        url,
        "cid-123",
        "very-secret",
        timeout=5,
        max_retries=max_retries,
        sleep=sleeps.append,
        jitter=lambda d: d,
    )


def _run(
    replies: list[Reply], call: str = "item_get", max_retries: int = 2
) -> tuple[Any, list[float], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    sleeps: list[float] = []
    with serve(scripted_app(replies, seen)) as url:
        client = _client(url, sleeps, max_retries)
        try:
            if call == "exchange":
                result: Any = client.item_public_token_exchange("public-x")
            else:
                result = client.item_get("access-sandbox-abc")
        except errors.ClientError as exc:
            result = exc
        finally:
            client.close()
    return result, sleeps, seen


def test_transport_sends_plaid_headers() -> None:
    result, _, seen = _run([(200, {"item": {}, "request_id": "R1"}, {})])
    assert result["request_id"] == "R1"
    headers = seen[0]["headers"]
    assert headers["Plaid-Version"] == "2020-09-14"
    assert headers["Plaid-Client-Id"] == "cid-123"
    assert headers["Plaid-Secret"] == "very-secret"
    assert seen[0]["json"] == {"access_token": "access-sandbox-abc"}


def test_transport_rate_limit_retries_honouring_retry_after() -> None:
    replies = [
        plaid_error("RATE_LIMIT_EXCEEDED", "ITEM_GET_LIMIT", 429, **{"Retry-After": "7"}),
        plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR", 500),
        (200, {"item": {}, "request_id": "OK"}, {}),
    ]
    result, sleeps, seen = _run(replies)
    assert result["request_id"] == "OK"
    assert sleeps == [7.0, 1.0]  # Retry-After wins over 0.5 s; then 0.5 * 2**1
    assert len(seen) == 3


def test_transport_retry_after_60_is_slept_as_60_seconds() -> None:
    replies = [
        plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT", 429, **{"Retry-After": "60"}),
        (200, {"item": {}, "request_id": "OK"}, {}),
    ]
    result, sleeps, seen = _run(replies)
    assert result["request_id"] == "OK" and len(seen) == 2
    assert sleeps == [60.0]  # not clipped to the 30 s backoff ceiling


def test_transport_retry_after_beyond_budget_raises_instead_of_blocking() -> None:
    replies = [plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT", 429, **{"Retry-After": "3600"})]
    result, sleeps, seen = _run(replies)
    assert isinstance(result, errors.RateLimitError) and result.retry_after == 3600.0
    assert sleeps == [] and len(seen) == 1


def test_transport_gives_up_after_max_retries() -> None:
    replies = [plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR", 500)] * 3
    result, sleeps, seen = _run(replies)
    assert isinstance(result, errors.ApiError)
    assert result.request_id == "REQINTER" and result.http_status == 500
    assert len(seen) == 3 and sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("error_type", "code", "cls"),
    [
        ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED", errors.LoginRequiredError),
        ("INVALID_INPUT", "INVALID_ACCESS_TOKEN", errors.InvalidInputError),
        ("INVALID_REQUEST", "MISSING_FIELDS", errors.InvalidRequestError),
        ("INSTITUTION_ERROR", "INSTITUTION_NO_LONGER_SUPPORTED", errors.InstitutionError),
        (
            "TRANSACTIONS_ERROR",
            "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
            errors.MutationDuringPaginationError,
        ),
    ],
)
def test_transport_non_retryable_errors_raise_once(
    error_type: str, code: str, cls: type[errors.PlaidError]
) -> None:
    result, sleeps, seen = _run([plaid_error(error_type, code, 400)])
    assert type(result) is cls and result.error_code == code
    assert len(seen) == 1 and sleeps == []


def test_transport_institution_down_is_retried() -> None:
    replies = [
        plaid_error("INSTITUTION_ERROR", "INSTITUTION_DOWN", 400),
        (200, {"item": {}, "request_id": "OK"}, {}),
    ]
    result, sleeps, _ = _run(replies)
    assert result["request_id"] == "OK" and sleeps == [0.5]


def test_transport_connection_refused_is_retried_then_raised() -> None:
    sleeps: list[float] = []
    client = _client("http://127.0.0.1:9", sleeps, max_retries=1)
    with pytest.raises(errors.APIConnectionError) as info:
        client.item_get("access-sandbox-abc")
    client.close()
    assert len(sleeps) == 1
    assert "very-secret" not in str(info.value) and "access-sandbox" not in str(info.value)


def test_transport_refused_connection_is_safe_to_retry_even_for_exchange() -> None:
    sleeps: list[float] = []
    client = _client("http://127.0.0.1:9", sleeps, max_retries=1)
    refused = (
        "could not connect to http://127.0.0.1:9/item/public_token/exchange: Connection refused"
    )
    with pytest.raises(errors.APIConnectionError, match=f"^{re.escape(refused)}$") as info:
        client.item_public_token_exchange("public-sandbox-x")
    client.close()
    assert info.value.should_retry and len(sleeps) == 1  # nothing was sent, so resending is safe


def test_transport_non_json_5xx_is_retried() -> None:
    seen: list[dict[str, Any]] = []
    from flask import Flask

    app = Flask("html")
    calls: list[int] = []

    @app.post("/item/get")
    def html() -> tuple[str, int]:
        calls.append(1)
        return ("<html>bad gateway</html>", 502) if len(calls) == 1 else ('{"request_id":"J"}', 200)

    sleeps: list[float] = []
    with serve(app) as url:
        client = _client(url, sleeps)
        assert client.item_get("access-x")["request_id"] == "J"
        client.close()
    assert sleeps == [0.5] and not seen


def test_secrets_never_in_repr_or_errors() -> None:
    result, _, _ = _run([plaid_error("INVALID_INPUT", "INVALID_API_KEYS", 400)])
    client = PlaidClient("http://h", "cid-123", "very-secret")
    for text in (repr(client), repr(client.transport), str(result), repr(result)):
        assert "very-secret" not in text
    client.close()


def test_audit_observer_sees_each_attempt() -> None:
    records: list[Any] = []
    seen: list[dict[str, Any]] = []
    replies = [
        plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT", 429),
        (200, {"request_id": "OK"}, {}),
    ]
    with serve(scripted_app(replies, seen)) as url:
        base = _client(url, [])
        base.observed(records.append).item_get("access-x")
        base.close()
    assert [(r.endpoint, r.status, r.error_code, r.attempt) for r in records] == [
        ("/item/get", 429, "RATE_LIMIT", 0),
        ("/item/get", 200, None, 1),
    ]


def test_transport_error_reply_that_is_no_plaid_error_names_the_url() -> None:
    """A base URL pointing at another server (a worker's health port answers 404 with its own
    JSON) failed as "Error: /:  (request None)", naming neither the call nor the server."""
    result, sleeps, _ = _run([(404, {"error": "not found: try /healthz"}, {})])
    assert isinstance(result, errors.APIConnectionError) and not result.should_retry
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/item/get answered HTTP 404 without a Plaid error object: "
        r"is http://127\.0\.0\.1:\d+ a Plaid API\?",
        str(result),
    ), str(result)
    assert sleeps == []


def test_transport_reply_without_an_expected_field_names_the_field_and_url() -> None:
    """A server answering 200 with JSON of its own made `exchange` fail as a bare KeyError,
    which the CLI showed as "Error: 'access_token'"."""
    reply, _, _ = _run([(200, {"ok": True}, {})], call="exchange")
    assert reply == {"ok": True} and reply.get("access_token") is None
    with pytest.raises(errors.APIConnectionError) as info:
        reply["access_token"]
    assert not info.value.should_retry
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/item/public_token/exchange replied without 'access_token': "
        r"is http://127\.0\.0\.1:\d+ a Plaid API\?",
        str(info.value),
    ), str(info.value)


def test_transport_non_json_reply_names_the_url() -> None:
    """ "non-JSON reply with HTTP 501" said neither which call nor which server."""
    from flask import Flask

    app = Flask("html")

    @app.post("/item/get")
    def html() -> tuple[str, int]:
        return "<html>not implemented</html>", 501

    with serve(app) as url:
        client = _client(url, [])
        with pytest.raises(errors.APIConnectionError) as info:
            client.item_get("access-x")
        client.close()
    assert str(info.value) == f"non-JSON reply with HTTP 501 from {url}/item/get"
