"""Faults on the auth server: the token endpoint passes the fault gate (rules and the
``Sandbox-Fault`` header); a TrueLayer rule that no gated call could match is refused."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from sandbox.truelayer import data_access, data_routes, fault_gate

from .auth_helpers import AuthDialog
from .auth_helpers import tl_auth as tl_auth  # the fixture


def add_rule(tl_auth: AuthDialog, **rule: Any) -> TestResponse:
    """POST /control/faults with the tenant's keys."""
    headers = {"PLAID-CLIENT-ID": tl_auth.keys.client_id, "PLAID-SECRET": tl_auth.keys.secret}
    return tl_auth.client.post("/control/faults", json=rule, headers=headers)


def refresh(tl_auth: AuthDialog, refresh_token: str, **headers: str) -> TestResponse:
    """A refresh at the token endpoint (form body, the client's credentials)."""
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": tl_auth.keys.client_id,
        "client_secret": tl_auth.keys.secret,
    }
    return tl_auth.client.post("/connect/token", data=body, headers=headers)


def test_a_token_endpoint_rule_fires_in_the_auth_servers_envelope(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    added = add_rule(
        tl_auth,
        dialect="truelayer",
        endpoint="/connect/token",
        error_code="INTERNAL_SERVER_ERROR",
        trigger="next",
        n=1,
    )
    assert added.status_code == 201, added.get_json()
    failed = refresh(tl_auth, tokens["refresh_token"])
    body = failed.get_json()
    assert (failed.status_code, body["error"]) == (500, "internal_server_error"), body
    assert set(body) == {"error", "error_description", "error_details"}
    retried = refresh(tl_auth, tokens["refresh_token"])  # the fault came first: still unused
    assert retried.status_code == 200, retried.get_json()
    headers = {"PLAID-CLIENT-ID": tl_auth.keys.client_id, "PLAID-SECRET": tl_auth.keys.secret}
    [entry] = tl_auth.client.get("/control/faults/log", headers=headers).get_json()["requests"]
    assert (entry["endpoint"], entry["status"], entry["source"]) == ("/connect/token", 500, "rule")


@pytest.mark.parametrize(
    ("fault", "status", "error"),
    [
        ("status=503", 503, "temporarily_unavailable"),
        ("status=400", 400, "invalid_request"),  # the auth server's wording, not the Data API's
        ("code=PROVIDER_ERROR", 503, "provider_error"),
    ],
)
def test_the_fault_header_works_at_the_token_endpoint(
    tl_auth: AuthDialog, fault: str, status: int, error: str
) -> None:
    tokens = tl_auth.tokens()
    response = refresh(tl_auth, tokens["refresh_token"], **{"Sandbox-Fault": fault})
    body = response.get_json()
    assert (response.status_code, body["error"]) == (status, error), body


def test_a_fault_header_naming_an_unknown_item_is_refused_at_the_token_endpoint(
    tl_auth: AuthDialog,
) -> None:
    """In the auth server's words, and the refresh token is left unused."""
    tokens = tl_auth.tokens()
    header = "code=PROVIDER_ERROR, item_id=item-nope"
    response = refresh(tl_auth, tokens["refresh_token"], **{"Sandbox-Fault": header})
    body = response.get_json()
    assert (response.status_code, body["error"]) == (400, "invalid_request"), body
    assert body["error_description"].startswith("unknown Sandbox-Fault.item_id item-nope")
    assert refresh(tl_auth, tokens["refresh_token"]).status_code == 200


def test_a_token_endpoint_fault_needs_the_clients_credentials(tl_auth: AuthDialog) -> None:
    """The gate runs once the client is known (its tenant owns the rules): bad credentials are
    still ``invalid_client``, as without a fault."""
    response = tl_auth.client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": "r", "client_id": "nobody"},
        headers={"Sandbox-Fault": "status=503"},
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "invalid_client")


MALFORMED_TOKEN_CALLS = pytest.mark.parametrize(
    "fields",
    [
        {"grant_type": "authorization_code", "redirect_uri": "https://example.com/cb"},
        {"grant_type": "authorization_code", "code": "c"},
        {"grant_type": "authorization_code", "code": 7, "redirect_uri": "https://example.com/cb"},
        {"grant_type": "refresh_token"},
        {"grant_type": "refresh_token", "refresh_token": ["r"]},
    ],
    ids=["no_code", "no_redirect_uri", "code_not_text", "no_refresh_token", "refresh_not_text"],
)


@MALFORMED_TOKEN_CALLS
def test_token_calls_refused_for_their_fields_do_not_count_against_rate_limits(
    tl_auth: AuthDialog, fields: dict[str, Any]
) -> None:
    """A token call missing or malforming a field its grant type requires is
    ``invalid_request`` before it counts (and answers so even over the limit); a well-formed
    call with a refresh token the server does not know reached it: ``invalid_grant``, counted."""
    headers = {"PLAID-CLIENT-ID": tl_auth.keys.client_id, "PLAID-SECRET": tl_auth.keys.secret}
    limits = {"limits": {"/connect/token": {"per_client": 1}}}
    set_limits = tl_auth.client.put("/control/rate-limits", json=limits, headers=headers)
    assert set_limits.status_code == 200, set_limits.get_json()
    credentials = {"client_id": tl_auth.keys.client_id, "client_secret": tl_auth.keys.secret}
    malformed = {**credentials, **fields}
    for _ in range(3):
        refused = tl_auth.client.post("/connect/token", json=malformed)
        assert (refused.status_code, refused.get_json()["error"]) == (400, "invalid_request")
    unknown = {**credentials, "grant_type": "refresh_token", "refresh_token": "not-a-token"}
    counted = tl_auth.client.post("/connect/token", json=unknown)
    assert (counted.status_code, counted.get_json()["error"]) == (400, "invalid_grant")
    assert tl_auth.client.post("/connect/token", json=unknown).status_code == 429
    refused = tl_auth.client.post("/connect/token", json=malformed)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"endpoint": "/api/delete"}, "endpoint"),
        ({"endpoint": "/api/*"}, "endpoint"),
        ({"endpoint": "/dialog/*"}, "endpoint"),
        ({"endpoint": "/data/v1/me"}, "endpoint"),
        ({"endpoint": "/data/v1/connections/extend"}, "endpoint"),
        ({"endpoint": "/data/v1/connections/*"}, "endpoint"),  # only extension is there
        ({"endpoint": "/data/v1/m?"}, "endpoint"),
        ({"endpoint": "/data/v1/unknown"}, "endpoint"),  # an unknown path's 404 is not gated
        ({"endpoint": "/data/v1/accounts/"}, "endpoint"),  # a segment is never empty
        ({"endpoint": "/connect/token", "item_id": "item-1"}, "item_id"),
        ({"endpoint": "/connect/*", "institution_id": "ins_200001"}, "institution_id"),
    ],
)
def test_a_truelayer_rule_that_could_never_fire_is_refused_naming_the_field(
    tl_auth: AuthDialog, rule: dict[str, str], field: str
) -> None:
    response = add_rule(tl_auth, dialect="truelayer", http_status=500, **rule)
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["field"] == field, body


@pytest.mark.parametrize(
    "endpoint",
    [
        "*",
        "/data/*",
        "/data/v1/accounts/*",
        "/data/v1/*/balance",
        "/data/v1/*/extend",  # /data/v1/accounts/extend: an account id may be "extend"
        "/data/v1/cards/[!x]*/transactions/pending",
        "/data/v1/info",
        "/connect/token",
        "/connect/*",
    ],
)
def test_a_truelayer_rule_that_can_match_a_gated_call_is_accepted(
    tl_auth: AuthDialog, endpoint: str
) -> None:
    response = add_rule(tl_auth, dialect="truelayer", endpoint=endpoint, http_status=500)
    assert response.status_code == 201, response.get_json()


def test_the_paths_declared_gated_are_the_routes_the_gate_runs_on(app: Flask) -> None:
    """The core judges rules by the dialect's list: it must be the Data API's routes that
    pass the gate (every one but the unknown path's and the results URI's, which serves a
    reply kept earlier) and the token endpoint's."""
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    gated = {
        path
        for endpoint, path in rules.items()
        if endpoint.startswith(f"{data_routes.data_bp.name}.")
        and not getattr(app.view_functions[endpoint], data_access.OPEN, False)
        and not getattr(app.view_functions[endpoint], data_access.KEPT, False)
    }
    assert set(fault_gate.DATA_PATHS) == gated
    assert rules["truelayer.connect_token"] == fault_gate.TOKEN_PATH
