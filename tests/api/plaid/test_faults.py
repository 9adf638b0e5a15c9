"""Fault injection through HTTP: control API, Sandbox-Fault header, health, rate limits, log."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from flask import Flask

from sandbox.core import tenants
from sandbox.core.faults import ratelimits
from sandbox.core.models import FaultRule, Tenant
from sandbox.extensions import db
from tests.conftest import PlaidClient
from tests.unit import test_error_table as error_table


def control(plaid: PlaidClient, method: str, path: str, body: Any = None) -> Any:
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    return plaid.client.open(f"/control{path}", method=method, json=body, headers=headers)


def add_rule(plaid: PlaidClient, **fields: Any) -> dict[str, Any]:
    response = control(plaid, "POST", "/faults", fields)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def with_fault_header(plaid: PlaidClient, path: str, token: str, header: str) -> Any:
    """POST ``path`` for ``token`` with a one-off ``Sandbox-Fault`` header."""
    return plaid.client.post(
        path,
        json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": token},
        headers={"Sandbox-Fault": header},
    )


def test_faults_error_rule_renders_plaid_error_and_is_logged(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    rule = add_rule(plaid, endpoint="/accounts/*", error_code="ITEM_LOCKED", trigger="nth", n=2)
    plaid.ok("/accounts/get", access_token=token)
    error = plaid.error("/accounts/get", access_token=token)
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "ITEM_ERROR",
        "ITEM_LOCKED",
        400,
    )
    plaid.ok("/accounts/get", access_token=token)
    [entry] = control(plaid, "GET", "/faults/log").get_json()["requests"]
    assert entry["rule_id"] == rule["id"]
    assert (entry["endpoint"], entry["status"], entry["error_code"]) == (
        "/accounts/get",
        400,
        "ITEM_LOCKED",
    )
    listed = control(plaid, "GET", "/faults").get_json()["rules"]
    assert (listed[0]["matched"], listed[0]["fired"]) == (3, 1)


@pytest.mark.parametrize(
    ("dialect", "code"),
    [("plaid", "TOTALLY_BOGUS"), ("plaid", "PROVIDER_TIMEOUT"), ("*", "PROVIDER_TIMEOUT")],
)
def test_faults_a_code_the_dialect_does_not_know_is_refused_naming_error_code(
    plaid: PlaidClient, dialect: str, code: str
) -> None:
    """Stored, it failed every matching call with a 500 ``injected fault`` and a documentation
    link to no page; TrueLayer's own codes are TrueLayer's only (Plaid has no words for them)."""
    response = control(plaid, "POST", "/faults", {"dialect": dialect, "error_code": code})
    error = response.get_json()["error"]
    assert (response.status_code, error["code"], error["field"]) == (
        400,
        "INVALID_FIELD",
        "error_code",
    )
    assert f"error_code {code} is not an error code" in error["message"]
    assert "README's error table" in error["message"]
    assert control(plaid, "GET", "/faults").get_json()["rules"] == []


@pytest.mark.parametrize(
    ("dialect", "words"),
    [
        ("plaid", "Plaid knows: use one of the README's error table (Errors you can trigger)"),
        ("*", "every dialect knows: use one of the README's error table (Errors you can trigger)"),
        (
            "truelayer",
            "TrueLayer knows: use one of the README's error table (Errors you can trigger) or "
            "TrueLayer's own in upper case (docs/truelayer-data.md)",
        ),
    ],
)
def test_faults_a_refused_code_names_the_dialect_and_where_its_codes_are_listed(
    plaid: PlaidClient, dialect: str, words: str
) -> None:
    """The refusal says whose codes were asked for and where they are listed: the README's
    table for every dialect, TrueLayer's own on its docs page (each dialect's words, as it
    registered them with the core)."""
    response = control(plaid, "POST", "/faults", {"dialect": dialect, "error_code": "NOT_A_CODE"})
    assert response.get_json()["error"]["message"] == (
        f"error_code NOT_A_CODE is not an error code {words}, such as ITEM_LOCKED"
    )


def test_faults_a_header_code_the_sandbox_does_not_know_is_a_400_naming_the_header(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    response = with_fault_header(plaid, "/item/get", token, "code=NOT_A_CODE")
    error = response.get_json()
    assert (response.status_code, error["error_code"]) == (400, "INVALID_FIELD"), error
    assert error["error_message"].startswith(
        "Sandbox-Fault.error_code NOT_A_CODE is not an error code Plaid knows"
    )
    plaid.ok("/item/get", access_token=token)


def test_faults_a_rule_stored_with_an_unknown_code_fails_with_the_documented_generic_error(
    plaid: PlaidClient,
) -> None:
    """Rules stored before codes were checked: the table's ``INTERNAL_SERVER_ERROR``, whose
    documentation exists, not a 500 carrying the unknown code."""
    tenant = db.session.query(Tenant).filter_by(client_id=plaid.client_id).one()
    spec = {"endpoint": "/institutions/*", "dialect": "plaid", "trigger": "always"}
    db.session.add(
        FaultRule(
            tenant_id=tenant.id,
            spec={**spec, "error_code": "BRAND_NEW_CODE"},
            matched=0,
            fired=0,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    tenant.fault_rule_count += 1
    db.session.commit()
    error = plaid.error("/institutions/get", count=1, offset=0, country_codes=["US"])
    assert (error["error_type"], error["error_code"], error["http_status"]) == (
        "API_ERROR",
        "INTERNAL_SERVER_ERROR",
        500,
    )
    assert error["error_message"] == "an unexpected error occurred"
    assert error["documentation_url"].endswith("/#internal_server_error")


def test_faults_raw_http_status(plaid: PlaidClient) -> None:
    add_rule(plaid, endpoint="/item/get", http_status=502, trigger="next", n=1)
    token = plaid.link_item()
    response = plaid.post("/item/get", access_token=token)
    assert response.status_code == 502
    assert response.get_data(as_text=True).startswith("502 Bad Gateway")
    plaid.ok("/item/get", access_token=token)


def test_faults_informational_status_names_the_field(plaid: PlaidClient) -> None:
    """A 1xx status is no final reply: the server dropped the connection without one."""
    response = control(plaid, "POST", "/faults", {"endpoint": "/item/get", "http_status": 101})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "http_status"
    token = plaid.link_item()
    response = with_fault_header(plaid, "/item/get", token, "status=100")
    error = response.get_json()
    assert (response.status_code, error["error_code"]) == (400, "INVALID_FIELD"), error
    assert "http_status" in error["error_message"]


def test_faults_latency_goes_through_the_injectable_sleep(app: Flask, plaid: PlaidClient) -> None:
    slept: list[float] = []
    app.config["FAULT_SLEEP"] = slept.append
    add_rule(plaid, endpoint="/categories/*", latency_ms=5)  # unauthenticated: never gated
    add_rule(
        plaid,
        endpoint="/institutions/get_by_id",
        latency={"distribution": "exponential", "mean_ms": 300},
    )
    plaid.ok("/institutions/get_by_id", institution_id="ins_109508", country_codes=["US"])
    assert len(slept) == 1 and slept[0] > 0  # the seeded exponential draw, once


def test_faults_truncated_body_declares_the_full_length(plaid: PlaidClient) -> None:
    add_rule(plaid, endpoint="/institutions/get_by_id", truncate=True)
    response = plaid.post(
        "/institutions/get_by_id", institution_id="ins_109508", country_codes=["US"]
    )
    body = response.get_data()
    assert (
        int(response.headers["Content-Length"]) == 2 * len(body)
        or int(response.headers["Content-Length"]) == 2 * len(body) + 1
    )
    with pytest.raises(ValueError):
        json.loads(body)


def test_faults_dropped_connection_without_a_socket_is_an_empty_500(plaid: PlaidClient) -> None:
    add_rule(plaid, endpoint="/item/get", drop=True)
    token = plaid.link_item()
    response = plaid.post("/item/get", access_token=token)
    assert (response.status_code, response.get_data()) == (500, b"")
    [entry] = control(plaid, "GET", "/faults/log").get_json()["requests"]
    assert (entry["action"], entry["status"]) == ("drop", None)


def test_faults_window_trigger_follows_control_clock(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    add_rule(plaid, error_code="INSTITUTION_DOWN", trigger="window", start="2026-03-18T00:00:00Z")
    plaid.ok("/item/get", access_token=token)
    control(plaid, "POST", "/clock", {"advance_days": 2})
    assert plaid.error("/item/get", access_token=token)["error_code"] == "INSTITUTION_DOWN"


def test_faults_header_one_off(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    response = plaid.client.post(
        "/transactions/sync",
        json={"access_token": token},
        headers={
            "PLAID-CLIENT-ID": plaid.client_id,
            "PLAID-SECRET": plaid.secret,
            "Sandbox-Fault": "code=INSTITUTION_NOT_RESPONDING",
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error_type"] == "INSTITUTION_ERROR"
    plaid.ok("/transactions/sync", access_token=token)
    [entry] = control(plaid, "GET", "/faults/log").get_json()["requests"]
    assert (entry["source"], entry["rule_id"]) == ("header", None)


def test_faults_bad_rule_names_the_field(plaid: PlaidClient) -> None:
    response = control(plaid, "POST", "/faults", {"http_status": "abc"})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "http_status"


def test_faults_error_code_too_long_once_upper_cased_names_the_field(plaid: PlaidClient) -> None:
    """``ß`` upper-cases to ``SS``: 40 of them passed the 64-character check, then the 80-character
    code was the reply's, and the request log's column refused it on PostgreSQL (a 500)."""
    token = plaid.link_item()
    code = "ß" * 40
    rule = {"endpoint": "/item/get", "error_code": code, "trigger": "next", "n": 1}
    response = control(plaid, "POST", "/faults", rule)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "error_code"
    header = {"Sandbox-Fault": f"code={code}"}
    response = plaid.client.post(
        "/item/get",
        json={"client_id": plaid.client_id, "secret": plaid.secret, "access_token": token},
        headers=header,
    )
    error = response.get_json()
    assert (response.status_code, error["error_code"]) == (400, "INVALID_FIELD"), error
    assert "error_code" in error["error_message"]
    plaid.ok("/item/get", access_token=token)


def test_faults_delete_and_clear(plaid: PlaidClient) -> None:
    first = add_rule(plaid, drop=True)
    add_rule(plaid, drop=True)
    assert control(plaid, "DELETE", f"/faults/{first['id']}").status_code == 200
    assert control(plaid, "DELETE", "/faults").get_json() == {"removed": 1}
    assert control(plaid, "GET", "/faults").get_json() == {"rules": []}


def test_institution_down_fails_items_and_shows_in_get_by_id(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    response = control(plaid, "PUT", "/institutions/ins_109508/health", {"status": "DOWN"})
    assert response.status_code == 200
    error = plaid.error("/accounts/get", access_token=token)
    assert (error["error_type"], error["error_code"]) == ("INSTITUTION_ERROR", "INSTITUTION_DOWN")
    plaid.ok("/item/get", access_token=token)
    found = plaid.ok(
        "/institutions/get_by_id",
        institution_id="ins_109508",
        country_codes=["US"],
        options={"include_status": True},
    )
    assert found["institution"]["status"]["item_logins"]["status"] == "DOWN"
    creation = plaid.error(
        "/sandbox/public_token/create", institution_id="ins_109508", initial_products=["auth"]
    )
    assert creation["error_code"] == "INSTITUTION_DOWN"
    control(plaid, "DELETE", "/institutions/ins_109508/health")
    plaid.ok("/accounts/get", access_token=token)


def test_institution_degraded_fails_some_calls(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    control(
        plaid, "PUT", "/institutions/ins_109508/health", {"status": "DEGRADED", "failure_rate": 0.5}
    )
    codes = [plaid.post("/accounts/get", access_token=token).status_code for _ in range(12)]
    assert set(codes) == {200, 400}


def test_rate_limit_429_with_retry_after(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    response = control(plaid, "PUT", "/rate-limits", {"limits": {"/item/get": {"per_item": 2}}})
    assert response.get_json()["limits"]["/item/get"]["per_item"] == 2
    plaid.ok("/item/get", access_token=token)
    plaid.ok("/item/get", access_token=token)
    response = plaid.post("/item/get", access_token=token)
    assert response.status_code == 429
    body = response.get_json()
    assert (body["error_type"], body["error_code"]) == ("RATE_LIMIT_EXCEEDED", "ITEM_GET_LIMIT")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    "malformed",
    [{"bogus": 1}, {"access_token": 7}, {"access_token": None}],
    ids=["unknown_field", "mistyped_field", "missing_field"],
)
def test_calls_refused_for_their_fields_do_not_count_against_rate_limits(
    plaid: PlaidClient, malformed: dict[str, Any]
) -> None:
    """Plaid counts the calls it accepts: an ``INVALID_REQUEST`` costs nothing, and a malformed
    call answers so even over the limit; the limit then refuses well-formed calls alone."""
    token = plaid.link_item()
    limits = {"/item/get": {"per_item": 2, "per_client": 2}}
    control(plaid, "PUT", "/rate-limits", {"limits": limits})
    body = {"access_token": token, **malformed}
    for _ in range(3):
        assert plaid.error("/item/get", **body)["error_type"] == "INVALID_REQUEST"
    plaid.ok("/item/get", access_token=token)
    plaid.ok("/item/get", access_token=token)
    over = plaid.post("/item/get", access_token=token)
    assert (over.status_code, over.get_json()["error_code"]) == (429, "ITEM_GET_LIMIT")
    assert plaid.error("/item/get", **body)["error_type"] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "endpoint", ["/transactions/get", "/investments/transactions/get"], ids=lambda e: e
)
def test_dates_out_of_order_are_refused_before_the_call_counts(
    plaid: PlaidClient, endpoint: str
) -> None:
    """An ``end_date`` before ``start_date`` is the schema's ``INVALID_FIELD`` naming
    ``end_date``: it costs nothing and answers so even over the limit."""
    token = plaid.link_item()
    control(plaid, "PUT", "/rate-limits", {"limits": {endpoint: {"per_item": 1}}})
    backwards = {"access_token": token, "start_date": "2026-03-10", "end_date": "2026-03-01"}
    for _ in range(2):
        refused = plaid.error(endpoint, **backwards)
        assert (refused["error_code"], refused["error_message"]) == (
            "INVALID_FIELD",
            "end_date: must not be before start_date",
        )
    in_order = {**backwards, "start_date": "2026-02-01"}
    assert plaid.post(endpoint, **in_order).status_code != 429
    assert plaid.post(endpoint, **in_order).status_code == 429
    assert plaid.error(endpoint, **backwards)["error_code"] == "INVALID_FIELD"


@pytest.mark.parametrize(
    ("start_date", "end_date", "field"),
    [("2026-03-10", "2026-03-01", "end_date"), ("2023-12-31", "2026-01-01", "start_date")],
    ids=["reversed", "over_two_years"],
)
def test_statements_refresh_dates_are_refused_before_the_call_counts(
    plaid: PlaidClient, start_date: str, end_date: str, field: str
) -> None:
    """``/statements/refresh`` dates out of order or over two years apart (the core's rule for
    every Statements range) are ``INVALID_FIELD`` naming the field: they cost nothing and
    answer so even over the limit, while a well-formed refresh counts."""
    token = plaid.link_item("ins_109508")
    limits = {"/statements/refresh": {"per_item": 1, "per_client": 1}}
    control(plaid, "PUT", "/rate-limits", {"limits": limits})
    refused_dates = {"access_token": token, "start_date": start_date, "end_date": end_date}
    for _ in range(2):
        refused = plaid.error("/statements/refresh", **refused_dates)
        assert refused["error_code"] == "INVALID_FIELD"
        assert refused["error_message"].startswith(f"{field} "), refused["error_message"]
    good = {"access_token": token, "start_date": "2026-01-01", "end_date": "2026-03-01"}
    plaid.ok("/statements/refresh", **good)
    assert plaid.post("/statements/refresh", **good).status_code == 429
    assert plaid.error("/statements/refresh", **refused_dates)["error_code"] == "INVALID_FIELD"


def test_well_formed_calls_count_whatever_they_answer(plaid: PlaidClient) -> None:
    """A well-formed call Plaid then refuses (an unknown access token) still counts against
    the per-client limit; a malformed one does not."""
    token = plaid.link_item()
    control(plaid, "PUT", "/rate-limits", {"limits": {"/item/get": {"per_client": 2}}})
    plaid.error("/item/get", access_token=token, bogus=1)
    refused = plaid.error("/item/get", access_token="access-sandbox-unknown")
    assert refused["error_code"] == "INVALID_ACCESS_TOKEN"
    plaid.ok("/item/get", access_token=token)
    over = plaid.post("/item/get", access_token=token)
    assert (over.status_code, over.get_json()["error_code"]) == (429, "ITEM_GET_LIMIT")


def test_rate_limits_can_be_switched_off(plaid: PlaidClient) -> None:
    control(plaid, "PUT", "/rate-limits", {"enabled": False})
    assert control(plaid, "GET", "/rate-limits").get_json() == {"enabled": False, "limits": {}}
    for _ in range(12):  # /institutions/get allows 10 per client per minute when on
        plaid.ok("/institutions/get", count=1, offset=0, country_codes=["US"])


def test_login_required_persists_in_the_database(app: Flask, plaid: PlaidClient) -> None:
    token = plaid.link_item()
    plaid.ok("/sandbox/item/reset_login", access_token=token)
    db.session.remove()  # a new session, as after a restart
    assert plaid.error("/accounts/get", access_token=token)["error_code"] == "ITEM_LOGIN_REQUIRED"


def _item_id(plaid: PlaidClient, token: str) -> str:
    item_id: str = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    return item_id


def _refusal(plaid: PlaidClient, **rule: Any) -> tuple[int, str, str, str]:
    response = control(plaid, "POST", "/faults", {"error_code": "ITEM_LOCKED", **rule})
    error = response.get_json()["error"]
    return response.status_code, error["code"], error["field"], error["message"]


def test_a_rule_for_an_unknown_institution_is_refused_naming_it(plaid: PlaidClient) -> None:
    """Stored, it matched no call and never fired, with nothing saying why."""
    status, code, field, message = _refusal(plaid, institution_id="ins_nope")
    assert (status, code, field) == (400, "INVALID_FIELD", "institution_id")
    assert message.startswith("unknown institution_id ins_nope")
    assert control(plaid, "GET", "/faults").get_json()["rules"] == []


def _items_the_tenant_lacks(app: Flask, plaid: PlaidClient) -> tuple[str, str, str]:
    """Item ids ``plaid``'s tenant has no live item for: one nobody has, another tenant's
    (ids are per tenant) and one of its own it removed."""
    _, keys = tenants.create(db.session, "other", 8)
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    theirs = _item_id(other, other.link_item())
    gone = plaid.link_item()
    removed = _item_id(plaid, gone)
    plaid.ok("/item/remove", access_token=gone)
    return "item-nope", theirs, removed


def test_a_rule_for_an_item_the_tenant_lacks_is_refused_naming_it(
    app: Flask, plaid: PlaidClient
) -> None:
    """An unknown id, another tenant's item (ids are per tenant) and a removed item alike."""
    for item_id in _items_the_tenant_lacks(app, plaid):
        status, code, field, message = _refusal(plaid, item_id=item_id)
        assert (status, code, field) == (400, "INVALID_FIELD", "item_id")
        assert message.startswith(f"unknown item_id {item_id}")
    assert control(plaid, "GET", "/faults").get_json()["rules"] == []


def test_a_rule_for_an_item_at_another_institution_is_refused(plaid: PlaidClient) -> None:
    item_id = _item_id(plaid, plaid.link_item(institution_id="ins_109508"))
    status, code, field, message = _refusal(plaid, item_id=item_id, institution_id="ins_109509")
    assert (status, code, field) == (400, "INVALID_FIELD", "institution_id")
    assert message.startswith(f"item {item_id} is at ins_109508, not institution_id ins_109509")


def test_a_rule_for_a_live_item_and_its_institution_fires_on_its_calls(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item()
    item_id = _item_id(plaid, token)
    add_rule(plaid, item_id=item_id, institution_id="ins_109508", error_code="ITEM_LOCKED")
    assert plaid.error("/accounts/get", access_token=token)["error_code"] == "ITEM_LOCKED"


def test_cli_faults_add_for_an_unknown_item_is_one_line(app: Flask, plaid: PlaidClient) -> None:
    runner = app.test_cli_runner()
    args = ["faults", "add", "--client-id", plaid.client_id, "--code", "ITEM_LOCKED"]
    for option, value in (("--item-id", "item-nope"), ("--institution-id", "ins_nope")):
        result = runner.invoke(args=[*args, option, value])
        assert result.exit_code == 1 and result.exception is not None
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.output.startswith(f"Error: unknown {option} {value}:"), result.output
        assert "Traceback" not in result.output


def test_cli_faults_add_list_clear(app: Flask, plaid: PlaidClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "faults",
            "add",
            "--client-id",
            plaid.client_id,
            "--endpoint",
            "/item/*",
            "--status",
            "503",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["http_status"] == 503
    listed = runner.invoke(args=["faults", "list", "--client-id", plaid.client_id])
    assert json.loads(listed.output.splitlines()[0])["endpoint"] == "/item/*"
    bad = runner.invoke(args=["faults", "add", "--client-id", plaid.client_id, "--n", "2"])
    assert bad.exit_code != 0 and "needs an action: --code, --status" in bad.output
    cleared = runner.invoke(args=["faults", "clear", "--client-id", plaid.client_id])
    assert cleared.output.strip() == "removed 1 rule(s)"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"n": 3}, "n"),
        ({"trigger": "next", "n": 1, "probability": 0.5}, "probability"),
        ({"trigger": "probability", "probability": 0.5, "end": "2030-01-01T00:00:00Z"}, "end"),
        ({"trigger": "window", "start": "2030-01-01T00:00:00Z", "n": 2}, "n"),
    ],
)
def test_a_field_the_trigger_does_not_read_is_refused_naming_it(
    plaid: PlaidClient, spec: dict[str, Any], field: str
) -> None:
    """``{"n": 3}`` without ``trigger: nth`` was stored as an ``always`` rule: every call
    failed where the third was meant to."""
    response = control(plaid, "POST", "/faults", {"error_code": "ITEM_LOCKED", **spec})
    error = response.get_json()["error"]
    assert response.status_code == 400, error
    assert (error["code"], error["field"]) == ("INVALID_FIELD", field)
    assert control(plaid, "GET", "/faults").get_json()["rules"] == []


INSTANTS_OUT_OF_RANGE = [
    {"trigger": "window", "start": "0001-01-01T00:00:00+05:00"},
    {"trigger": "window", "end": "9999-12-31T23:59:59-05:00"},
]


@pytest.mark.parametrize("spec", INSTANTS_OUT_OF_RANGE)
def test_faults_rule_instants_out_of_range_name_the_field(
    plaid: PlaidClient, spec: dict[str, Any]
) -> None:
    """Instants whose UTC moment leaves years 1-9999 overflowed while the rule was checked:
    a 500 (both databases)."""
    response = control(plaid, "POST", "/faults", {"error_code": "ITEM_LOCKED", **spec})
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["field"] in spec, body


@pytest.mark.parametrize(
    "header",
    [
        '{"code": "ITEM_LOCKED", "trigger": "window", "start": "0001-01-01T00:00:00+05:00"}',
        "code=ITEM_LOCKED,trigger=window,end=9999-12-31T23:59:59-01:00",
        '{"code": "ITEM_LOCKED", "trigger": "nth", "n": 1e400}',
        '{"code": "ITEM_LOCKED", "trigger": "probability", "probability": 0.5, "seed": 1e400}',
        '{"a": ' + "[" * 30_000 + "]" * 30_000 + "}",  # was a 500 (RecursionError)
    ],
)
def test_fault_header_values_out_of_range_are_invalid_field(
    plaid: PlaidClient, header: str
) -> None:
    """The header is parsed apart from the body (its JSON may hold 1e400, infinity, or nest
    deeper than the parser recurses)."""
    token = plaid.link_item()
    response = with_fault_header(plaid, "/accounts/get", token, header)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error_code"] == "INVALID_FIELD"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_clock_set_outside_the_calendar_in_utc_names_the_field(
    plaid: PlaidClient, moment: str
) -> None:
    response = control(plaid, "POST", "/clock", {"set": moment})
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["field"] == "set", body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"advance_days": 0.5}, "advance_days"),  # was read as 0: a 200 that moved nothing
        ({"advance_seconds": 1.5}, "advance_seconds"),
        ({"advance_days": "1"}, "advance_days"),
        ({"freeze": "yes"}, "freeze"),
    ],
)
def test_clock_change_that_is_not_a_whole_number_or_a_boolean_names_the_field(
    plaid: PlaidClient, change: dict[str, object], field: str
) -> None:
    before = control(plaid, "GET", "/clock").get_json()["now"]
    response = control(plaid, "POST", "/clock", change)
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["field"] == field, body
    assert control(plaid, "GET", "/clock").get_json()["now"] == before


def _plaid_shows(code: str, how: str) -> str:
    """The code a Plaid app sees for a README row (``Plaid shows `ITEM_LOCKED```), else its own."""
    shown = re.search(r"Plaid shows (?:it as )?`([A-Z_]+)`", how)
    return shown.group(1) if shown else code


@pytest.mark.parametrize("code", sorted(error_table.table()))
def test_every_code_of_the_error_table_is_injected_as_documented(
    plaid: PlaidClient, code: str
) -> None:
    """A rule and the header both answer a row's code with its type and status, and a rate
    limit of Plaid's table exactly as the natural one does (with ``Retry-After``)."""
    kind, status, how, message = error_table.table()[code]
    add_rule(plaid, endpoint="/institutions/get_by_id", error_code=code)
    by_rule = plaid.post("/institutions/get_by_id", institution_id="ins_1", country_codes=["US"])
    by_header = plaid.client.post(
        "/institutions/get",
        json={"count": 1, "offset": 0, "country_codes": ["US"]},
        headers={
            "PLAID-CLIENT-ID": plaid.client_id,
            "PLAID-SECRET": plaid.secret,
            "Sandbox-Fault": f"code={code}",
        },
    )
    for response in (by_rule, by_header):
        error = response.get_json()
        assert (response.status_code, error["error_type"]) == (status, kind), error
        assert error["error_code"] == _plaid_shows(code, how)
        assert error["error_message"] == message
        assert ("Retry-After" in response.headers) == (code in ratelimits.CODES)


def test_rule_ids_are_not_reused_after_the_rules_are_cleared(plaid: PlaidClient) -> None:
    first = add_rule(plaid, endpoint="/item/get", error_code="ITEM_LOCKED")
    assert control(plaid, "DELETE", "/faults").status_code == 200
    assert add_rule(plaid, endpoint="/item/get", error_code="ITEM_LOCKED")["id"] > first["id"]


@pytest.mark.parametrize(
    ("field", "longest"), [("endpoint", 200), ("item_id", 200), ("error_code", 64)]
)
def test_a_rule_field_too_long_says_how_long_it_may_be(
    plaid: PlaidClient, field: str, longest: int
) -> None:
    rule = {"endpoint": "/item/get", "error_code": "ITEM_LOCKED", field: "A" * (longest + 1)}
    error = control(plaid, "POST", "/faults", rule).get_json()["error"]
    assert (error["field"], error["message"]) == (
        field,
        f"{field} must be at most {longest} characters",
    )


@pytest.mark.parametrize(
    "path",
    ["/data/v1/nonsense", "/item/gett", "/control/nothing", "/control/clock", "/dashboard/faults"],
)
def test_a_rate_limit_for_a_path_nothing_serves_is_refused_naming_it(
    plaid: PlaidClient, path: str
) -> None:
    """A typo, or a path outside the provider APIs, would be stored and limit nothing."""
    response = control(plaid, "PUT", "/rate-limits", {"limits": {path: {"per_item": 2}}})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("INVALID_FIELD", f"limits.{path}")
    assert path in error["message"]
    assert path not in control(plaid, "GET", "/rate-limits").get_json()["limits"]


def test_a_rate_limit_may_name_any_served_path(plaid: PlaidClient) -> None:
    """Paths with ids (a TrueLayer account's balance) and paths with no default limit."""
    limits = {"/data/v1/accounts/acc-1/balance": {"per_item": 3}, "/institutions/get": {}}
    response = control(plaid, "PUT", "/rate-limits", {"limits": limits})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["limits"]["/data/v1/accounts/acc-1/balance"]["per_item"] == 3


def test_a_fault_header_for_an_unknown_institution_is_refused_naming_it(
    plaid: PlaidClient,
) -> None:
    """Held to a stored rule's check: the call ran without its fault, with nothing saying why."""
    token = plaid.link_item()
    response = with_fault_header(
        plaid, "/accounts/balance/get", token, "code=ITEM_LOCKED, institution_id=ins_nope"
    )
    error = response.get_json()
    assert (response.status_code, error["error_code"]) == (400, "INVALID_FIELD"), error
    assert error["error_message"].startswith("unknown Sandbox-Fault.institution_id ins_nope")
    assert control(plaid, "GET", "/faults/log").get_json()["requests"] == []


def test_a_fault_header_for_an_item_the_tenant_lacks_is_refused_naming_it(
    app: Flask, plaid: PlaidClient
) -> None:
    """An unknown id, another tenant's item and a removed item alike, JSON or key=value."""
    lacked = _items_the_tenant_lacks(app, plaid)
    token = plaid.link_item()
    for item_id in lacked:
        for header in (
            f"code=ITEM_LOCKED, item_id={item_id}",
            json.dumps({"error_code": "ITEM_LOCKED", "item_id": item_id}),
        ):
            error = with_fault_header(plaid, "/accounts/get", token, header).get_json()
            assert error["error_code"] == "INVALID_FIELD", (header, error)
            assert error["error_message"].startswith(f"unknown Sandbox-Fault.item_id {item_id}")
    plaid.ok("/accounts/get", access_token=token)


def test_a_fault_header_for_an_item_at_another_institution_is_refused(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(institution_id="ins_109508")
    item_id = _item_id(plaid, token)
    header = f"code=ITEM_LOCKED, item_id={item_id}, institution_id=ins_109509"
    error = with_fault_header(plaid, "/accounts/get", token, header).get_json()
    assert error["error_code"] == "INVALID_FIELD", error
    assert error["error_message"].startswith(
        f"item {item_id} is at ins_109508, not Sandbox-Fault.institution_id ins_109509"
    )


def test_a_fault_header_for_the_calls_own_item_and_institution_fires(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(institution_id="ins_109508")
    header = f"code=ITEM_LOCKED, item_id={_item_id(plaid, token)}, institution_id=ins_109508"
    error = with_fault_header(plaid, "/accounts/get", token, header).get_json()
    assert error["error_code"] == "ITEM_LOCKED", error


def test_a_fault_header_fires_only_on_the_calls_it_names(plaid: PlaidClient) -> None:
    """A header sent with every call (an SDK's default headers) fires on the calls its
    endpoint and item name, as a stored rule would, and leaves the others alone."""
    token = plaid.link_item()
    other = plaid.link_item()
    header = json.dumps(
        {"error_code": "ITEM_LOCKED", "endpoint": "/accounts/*", "item_id": _item_id(plaid, token)}
    )
    assert with_fault_header(plaid, "/item/get", token, header).status_code == 200
    assert with_fault_header(plaid, "/accounts/get", other, header).status_code == 200
    error = with_fault_header(plaid, "/accounts/get", token, header).get_json()
    assert error["error_code"] == "ITEM_LOCKED", error


def test_a_fault_header_naming_a_removed_item_troubles_only_the_calls_it_names(
    plaid: PlaidClient,
) -> None:
    """An app's default header naming an item it has since removed: calls of the endpoints
    the header names are refused naming the item (the fault can no longer fire), the others
    answer as usual."""
    gone, token = plaid.link_item(), plaid.link_item()
    header = json.dumps(
        {"error_code": "ITEM_LOCKED", "endpoint": "/accounts/get", "item_id": _item_id(plaid, gone)}
    )
    plaid.ok("/item/remove", access_token=gone)
    assert with_fault_header(plaid, "/item/get", token, header).status_code == 200
    error = with_fault_header(plaid, "/accounts/get", token, header).get_json()
    assert error["error_code"] == "INVALID_FIELD", error
    assert error["error_message"].startswith("unknown Sandbox-Fault.item_id")
