"""Every Data API failure in TrueLayer's envelope and status: the mock users' ``error.<code>``
connections, tokens and consent, scopes, the unattended quota, and fault rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask

from sandbox.core import errors, tenants
from sandbox.core.faults import ratelimits
from sandbox.extensions import db
from tests.api.truelayer.conftest import MOCK_BANK, TrueLayerData
from tests.unit import test_error_table as error_table

# TrueLayer's mock users (truelayer.md §6) plus the sandbox's own two, and what every data
# call of their connections answers.
MOCK_USER_ERRORS = {
    "account_permanently_locked": 403,
    "account_temporarily_locked": 403,
    "internal_error": 500,
    "provider_error": 503,
    "user_input_required": 403,
    "wrong_credentials": 401,
    "sca_exceeded": 403,
    "provider_too_many_requests": 429,
}
DATA_PATHS = ("/info", "/accounts", "/cards")


@pytest.mark.parametrize(("code", "status"), sorted(MOCK_USER_ERRORS.items()))
def test_an_error_user_signs_in_then_every_data_call_fails_with_its_code(
    truelayer: TrueLayerData, code: str, status: int
) -> None:
    token = truelayer.connect(f"error.{code}", "error")
    for path in DATA_PATHS:
        body = truelayer.error(path, token, status, code)
        assert body["error_description"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_a_missing_or_unknown_token_is_invalid_token(
    truelayer: TrueLayerData, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = truelayer.http.get("/data/v1/accounts", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert "X-Credentials-Id" not in response.headers
    assert response.headers["X-TL-Correlation-Id"]


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Token abc"])
def test_a_call_without_a_bearer_token_is_told_how_to_send_one(
    truelayer: TrueLayerData, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for path in ("/data/v1/accounts", "/data/v1/me"):  # the Data API words it as /me does
        body = truelayer.http.get(path, headers=headers).get_json()
        assert body["error"] == "invalid_token"
        assert "Authorization: Bearer" in body["error_description"], (path, body)


def _advance(truelayer: TrueLayerData, delta: dt.timedelta) -> None:
    truelayer.bank().move_clock(advance=delta)
    db.session.commit()


def test_an_access_token_past_its_hour_is_invalid_token_saying_when(
    truelayer: TrueLayerData, token: str
) -> None:
    _advance(truelayer, dt.timedelta(minutes=61))
    body = truelayer.error("/accounts", token, 401, "invalid_token")
    assert body["error_description"] == "The token expired at '2026-03-16 16:30:00Z'"


def test_a_consent_past_its_ninety_days_is_access_denied(truelayer: TrueLayerData) -> None:
    token = truelayer.connect()
    _advance(truelayer, dt.timedelta(days=90, minutes=1))
    truelayer.error("/accounts", token, 403, "access_denied")


def test_a_deleted_connection_is_invalid_token(truelayer: TrueLayerData, token: str) -> None:
    truelayer.bank().grants.revoke(truelayer.grant_of(token).consent_id)
    db.session.commit()
    truelayer.error("/accounts", token, 401, "invalid_token")


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/info", "info"),
        ("/cards", "cards"),
        ("/accounts/{account}/balance", "balance"),
        ("/accounts/{account}/transactions", "transactions"),
        ("/accounts/{account}/transactions/pending", "transactions"),
        ("/accounts/{account}/standing_orders", "standing_orders"),
        ("/accounts/{account}/direct_debits", "direct_debits"),
    ],
)
def test_an_endpoint_outside_the_consent_is_access_denied_naming_the_scope(
    truelayer: TrueLayerData, path: str, scope: str
) -> None:
    token = truelayer.connect(scopes=("accounts",))
    account = truelayer.results("/accounts", token)[0]["account_id"]
    body = truelayer.error(path.format(account=account), token, 403, "access_denied")
    assert scope in body["error_description"]


def test_a_refusal_for_scope_names_the_connection(truelayer: TrueLayerData) -> None:
    # the first request of the test: the test client's requests share one ``g`` otherwise
    token = truelayer.connect(scopes=("accounts",))
    refused = truelayer.get("/cards", token)
    assert refused.status_code == 403
    assert refused.headers["X-Credentials-Id"] == truelayer.grant_of(token).credentials_id


def test_cards_alone_do_not_open_accounts(truelayer: TrueLayerData) -> None:
    token = truelayer.connect(scopes=("cards", "balance", "transactions"))
    card = truelayer.results("/cards", token)[0]["account_id"]
    truelayer.results(f"/cards/{card}/balance", token)
    truelayer.error("/accounts", token, 403, "access_denied")


def test_the_fifth_unattended_call_in_a_day_is_provider_request_limit_exceeded(
    truelayer: TrueLayerData, token: str
) -> None:
    for _ in range(4):
        assert truelayer.get("/accounts", token, present=False).status_code == 200
    response = truelayer.get("/accounts", token, present=False)
    assert response.status_code == 429
    assert response.get_json()["error"] == "provider_request_limit_exceeded"
    assert truelayer.get("/accounts", token).status_code == 200  # X-PSU-IP: the user is there
    other = truelayer.connect()  # the quota is per connection
    assert truelayer.get("/accounts", other, present=False).status_code == 200


def test_switching_the_tenants_limits_off_lifts_the_quota(
    truelayer: TrueLayerData, token: str
) -> None:
    truelayer.bank().faults.configure_limits(False, {})
    db.session.commit()
    for _ in range(6):
        assert truelayer.get("/accounts", token, present=False).status_code == 200


def test_the_quota_does_not_hang_on_another_dialects_rate_limits(
    truelayer: TrueLayerData, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quota is on while the tenant's limits are, whether or not any dialect (Plaid) gave
    its endpoints limits."""
    monkeypatch.setattr(ratelimits, "_every", {})
    for _ in range(4):
        assert truelayer.get("/accounts", token, present=False).status_code == 200
    assert truelayer.get("/accounts", token, present=False).status_code == 429


def test_a_tenants_rate_limit_on_a_data_endpoint_is_provider_too_many_requests(
    truelayer: TrueLayerData, token: str
) -> None:
    truelayer.bank().faults.configure_limits(True, {"/data/v1/accounts": {"per_item": 2}})
    db.session.commit()
    assert [truelayer.get("/accounts", token).status_code for _ in range(2)] == [200, 200]
    response = truelayer.get("/accounts", token)
    assert response.status_code == 429
    assert response.get_json()["error"] == "provider_too_many_requests"
    assert int(response.headers["Retry-After"]) > 0
    truelayer.results("/cards", token)  # other endpoints keep their own budget


def test_a_call_refused_for_its_scope_costs_no_quota(truelayer: TrueLayerData) -> None:
    token = truelayer.connect(scopes=("accounts",))
    for _ in range(6):
        assert truelayer.get("/info", token, present=False).status_code == 403
    assert truelayer.get("/accounts", token, present=False).status_code == 200


# Dates the Data API refuses before the call reaches the bank: unreadable, ``from`` after
# ``to``, ``from`` after today (the clock is frozen at 2026-03-16).
REFUSED_DATES = (
    {"from": "yesterday"},
    {"from": "2026-03-10", "to": "2026-03-01"},
    {"from": "2026-04-01"},
)


def test_a_call_refused_for_its_dates_costs_no_rate_limit(
    truelayer: TrueLayerData, token: str
) -> None:
    """As Plaid's dialect counts only well-formed calls: ``invalid_date_range`` is answered
    even past the budget, and the budget is still there for a good call."""
    account = truelayer.results("/accounts", token)[0]["account_id"]
    path = f"/accounts/{account}/transactions"
    truelayer.bank().faults.configure_limits(True, {f"/data/v1{path}": {"per_item": 1}})
    db.session.commit()
    for dates in REFUSED_DATES * 2:
        truelayer.error(path, token, 400, "invalid_date_range", **dates)
    truelayer.results(path, token, **{"from": "2026-03-01", "to": "2026-03-10"})
    truelayer.error(path, token, 429, "provider_too_many_requests")


def test_a_call_refused_for_its_dates_costs_no_unattended_call(
    truelayer: TrueLayerData, token: str
) -> None:
    """The quota counts reads of the bank: a refused range reads nothing."""
    account = truelayer.results("/accounts", token)[0]["account_id"]
    path = f"/accounts/{account}/transactions/pending"
    for dates in REFUSED_DATES * 2:
        response = truelayer.get(path, token, present=False, **dates)
        assert response.get_json()["error"] == "invalid_date_range"
    for _ in range(4):
        assert truelayer.get(path, token, present=False).status_code == 200
    truelayer.error(path, token, 429, "provider_request_limit_exceeded", present=False)


def _rule(truelayer: TrueLayerData, **spec: Any) -> None:
    bank = truelayer.bank()
    bank.faults.add_rule(spec, bank.now())
    db.session.commit()


@pytest.mark.parametrize(
    ("error_code", "status", "code"),
    [
        ("SCA_EXCEEDED", 403, "sca_exceeded"),
        ("INSTITUTION_DOWN", 503, "provider_error"),
        ("RATE_LIMIT", 429, "provider_too_many_requests"),
        ("PROVIDER_TIMEOUT", 504, "provider_timeout"),
        ("CONNECTOR_OVERLOAD", 503, "connector_overload"),
        ("INVALID_DATE_RANGE", 400, "invalid_date_range"),
    ],
)
def test_a_truelayer_fault_rule_fires_in_truelayers_format(
    truelayer: TrueLayerData, token: str, error_code: str, status: int, code: str
) -> None:
    _rule(truelayer, dialect="truelayer", endpoint="/data/v1/accounts", error_code=error_code)
    truelayer.error("/accounts", token, status, code)
    truelayer.results("/cards", token)  # another endpoint: no match


def test_a_plaid_rule_leaves_truelayer_calls_alone(truelayer: TrueLayerData, token: str) -> None:
    _rule(truelayer, endpoint="*", error_code="ITEM_LOCKED")  # dialect defaults to plaid
    truelayer.results("/accounts", token)
    _rule(truelayer, dialect="*", endpoint="/data/v1/*", http_status=502)
    truelayer.error("/accounts", token, 502, "internal_server_error")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "validation_error"),
        (401, "unauthorized"),
        (404, "not_found"),
        (418, "validation_error"),  # no TrueLayer meaning: the generic code of its class
        (500, "internal_server_error"),
        (503, "temporarily_unavailable"),
    ],
)
def test_a_raw_status_fault_is_truelayers_envelope_with_that_status(
    truelayer: TrueLayerData, token: str, status: int, code: str
) -> None:
    """Every error under /data is in TrueLayer's format, a raw status included (not the plain
    reason phrase Plaid's raw faults answer), by header and by stored rule alike."""
    headers = {"Authorization": f"Bearer {token}", "Sandbox-Fault": f"status={status}"}
    by_header = truelayer.http.get("/data/v1/accounts", headers=headers)
    _rule(truelayer, dialect="truelayer", endpoint="/data/v1/cards", http_status=status)
    by_rule = truelayer.get("/cards", token)
    for response in (by_header, by_rule):
        body = response.get_json()
        assert (response.status_code, body["error"]) == (status, code), body
        assert set(body) == {"error", "error_description", "error_details"}
        assert body["error_description"].startswith(f"{status} ")
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["X-TL-Correlation-Id"]


def test_a_raw_success_status_fault_is_no_error_envelope(
    truelayer: TrueLayerData, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Sandbox-Fault": "status=200"}
    response = truelayer.http.get("/data/v1/accounts", headers=headers)
    assert (response.status_code, response.text) == (200, "200 OK\n")


def test_the_fault_header_and_the_request_log(truelayer: TrueLayerData, token: str) -> None:
    response = truelayer.http.get(
        "/data/v1/cards",
        headers={"Authorization": f"Bearer {token}", "Sandbox-Fault": "code=SCA_EXCEEDED"},
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "sca_exceeded")
    [entry] = truelayer.bank().faults.log()
    assert (entry["endpoint"], entry["status"], entry["source"]) == (
        "/data/v1/cards",
        403,
        "header",
    )
    assert entry["item_id"] == truelayer.grant_of(token).item.id


@pytest.mark.parametrize(
    ("header", "status", "error"),
    [
        ("code=PROVIDER_TIMEOUT", 504, "provider_timeout"),
        ("code=provider_timeout", 504, "provider_timeout"),
        ("code=NOT_A_CODE", 400, "validation_error"),
    ],
)
def test_the_fault_header_takes_truelayers_codes_and_refuses_unknown_ones(
    truelayer: TrueLayerData, token: str, header: str, status: int, error: str
) -> None:
    """A code neither table knows was a 500 ``internal_server_error``: a 400 naming the header."""
    response = truelayer.http.get(
        "/data/v1/cards", headers={"Authorization": f"Bearer {token}", "Sandbox-Fault": header}
    )
    body = response.get_json()
    assert (response.status_code, body["error"]) == (status, error), body
    if status == 400:
        assert body["error_details"]["parameter"] == "Sandbox-Fault.error_code"


def test_the_fault_header_naming_what_the_tenant_lacks_is_refused_naming_it(
    app: Flask, truelayer: TrueLayerData, token: str
) -> None:
    """An unknown institution, an unknown item, another tenant's item, a removed one: held to
    a stored rule's check, not a call run silently without its fault."""
    _, keys = tenants.create(db.session, "other", 8)
    db.session.commit()
    theirs = TrueLayerData(app, keys)
    their_item = theirs.grant_of(theirs.connect()).item.id
    gone = truelayer.connect()
    removed = truelayer.grant_of(gone).item.id
    truelayer.bank().grants.revoke(truelayer.grant_of(gone).consent_id)
    db.session.commit()
    refusals = [("institution_id", "ins_nope")] + [
        ("item_id", item_id) for item_id in ("item-nope", their_item, removed)
    ]
    for field, value in refusals:
        header = f"code=PROVIDER_ERROR, {field}={value}"
        response = truelayer.http.get(
            "/data/v1/cards", headers={"Authorization": f"Bearer {token}", "Sandbox-Fault": header}
        )
        body = response.get_json()
        assert (response.status_code, body["error"]) == (400, "validation_error"), body
        assert body["error_details"]["parameter"] == f"Sandbox-Fault.{field}"
        assert body["error_description"].startswith(f"unknown Sandbox-Fault.{field} {value}")
    assert truelayer.bank().faults.log() == []


def test_the_fault_header_naming_the_calls_own_connection_fires(
    truelayer: TrueLayerData, token: str
) -> None:
    item = truelayer.grant_of(token).item
    header = f"code=PROVIDER_ERROR, item_id={item.id}, institution_id={item.institution_id}"
    response = truelayer.http.get(
        "/data/v1/cards", headers={"Authorization": f"Bearer {token}", "Sandbox-Fault": header}
    )
    assert (response.status_code, response.get_json()["error"]) == (503, "provider_error")


def test_a_truelayer_rule_takes_truelayers_codes_and_refuses_unknown_ones(
    truelayer: TrueLayerData,
) -> None:
    bank = truelayer.bank()
    rule = {"dialect": "truelayer", "endpoint": "/data/v1/*"}
    assert bank.faults.add_rule({**rule, "error_code": "connector_timeout"}, bank.now())
    with pytest.raises(errors.InvalidField, match="TrueLayer's own") as refused:
        bank.faults.add_rule({**rule, "error_code": "TOTALLY_BOGUS"}, bank.now())
    assert refused.value.detail["field"] == "error_code"


def test_an_institution_marked_down_is_provider_error(truelayer: TrueLayerData, token: str) -> None:
    bank = truelayer.bank()
    bank.faults.set_health(MOCK_BANK, "DOWN", bank.now())
    db.session.commit()
    truelayer.error("/accounts", token, 503, "provider_error")


def _truelayer_rows() -> list[str]:
    """The README rows that apply to TrueLayer: the rate limits (Plaid's codes) and those naming
    it."""
    rows = error_table.table()
    return sorted(c for c in rows if c in ratelimits.CODES or "TrueLayer" in rows[c][2])


@pytest.mark.parametrize("code", _truelayer_rows())
def test_every_truelayer_code_of_the_error_table_is_injected_by_rule_and_header(
    truelayer: TrueLayerData, token: str, code: str
) -> None:
    """Never TrueLayer's unexpected ``internal_server_error``, and a rate limit of a dialect's
    table as TrueLayer's ``provider_too_many_requests`` with ``Retry-After``."""
    _rule(truelayer, dialect="truelayer", endpoint="/data/v1/accounts", error_code=code)
    by_rule = truelayer.get("/accounts", token)
    headers = {"Authorization": f"Bearer {token}", "Sandbox-Fault": f"code={code}"}
    by_header = truelayer.http.get("/data/v1/cards", headers=headers)
    for response in (by_rule, by_header):
        error = response.get_json()["error"]
        assert error != "internal_server_error"
        if code in ratelimits.CODES:
            assert (response.status_code, error) == (429, "provider_too_many_requests")
            assert response.headers["Retry-After"] == str(ratelimits.WINDOW_SECONDS)
