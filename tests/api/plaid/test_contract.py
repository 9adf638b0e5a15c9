"""Contract: every Plaid endpoint's real reply satisfies the OpenAPI schema and the SDK.

Each test links one kind of item, calls every endpoint that works on it, and checks
each reply twice: against the response schema in Plaid's OpenAPI file, and through
plaid-python's own deserializer with type checking on (a missing required key or a
date where a timestamp belongs fails there).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from sandbox.core.webhooks import signing
from sandbox.extensions import db
from tests.api.plaid import contract
from tests.conftest import FROZEN_NOW, PlaidClient

CUSTOM_PASSWORD = json.dumps(
    {
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 1500,
                "meta": {"name": "Custom Checking"},
                "transactions": [
                    {
                        "date_transacted": "2026-03-10",
                        "date_posted": "2026-03-11",
                        "amount": 12.5,
                        "description": "Coffee",
                    },
                    {
                        "date_transacted": "2026-03-15",
                        "date_posted": "2026-03-18",
                        "amount": 40,
                        "description": "Pending groceries",
                    },
                ],
            },
            {"type": "credit", "subtype": "credit card", "starting_balance": 300},
        ]
    }
)

ITEM_KINDS = {
    "user_good_us": ("ins_109508", "user_good", "pass_good"),
    "gb_bank": ("ins_117650", "user_good", "pass_good"),
    "ca_bank": ("ins_43", "user_good", "pass_good"),
    "dynamic": ("ins_109508", "user_transactions_dynamic", "any"),
    "custom": ("ins_109508", "user_custom", CUSTOM_PASSWORD),
}
ITEM_ENDPOINTS = {
    "/item/get",
    "/accounts/get",
    "/accounts/balance/get",
    "/auth/get",
    "/liabilities/get",
    "/statements/list",
    "/statements/download",
    "/statements/refresh",
    "/identity/get",
    "/transactions/sync",
    "/transactions/get",
    "/transactions/recurring/get",
    "/transactions/refresh",
    "/item/webhook/update",
    "/sandbox/item/fire_webhook",
    "/sandbox/item/reset_login",
    "/item/access_token/invalidate",
    "/item/remove",
}
OTHER_ENDPOINTS = {
    "/sandbox/public_token/create",
    "/item/public_token/exchange",
    "/item/import",
    "/sandbox/transactions/create",
    "/categories/get",
    "/institutions/get",
    "/institutions/get_by_id",
    "/institutions/search",
    "/link/token/create",
    "/link/token/get",
    "/webhook_verification_key/get",
}


class Checker:
    """Calls endpoints and collects every contract violation instead of stopping at one."""

    def __init__(self, plaid: PlaidClient) -> None:
        self.plaid = plaid
        self.problems: list[str] = []
        self.checked: set[str] = set()

    def call(self, path: str, **body: Any) -> dict[str, Any]:
        reply = self.plaid.ok(path, **body)
        self.check(path, reply)
        return reply

    def check(self, path: str, reply: dict[str, Any]) -> None:
        self.checked.add(path)
        reply = contract.sample(reply)
        self.problems += [f"{path} openapi {e}" for e in contract.openapi_errors(path, reply)]
        try:
            contract.sdk_deserialize(path, reply)
        except Exception as exc:  # the SDK raises TypeError, ApiTypeError, ApiValueError...
            self.problems.append(f"{path} sdk {type(exc).__name__}: {exc}")


def _link(plaid: PlaidClient, institution: str, username: str, password: str) -> str:
    products = ["transactions"] if institution != "ins_109508" else ["transactions", "auth"]
    checker = Checker(plaid)
    public = checker.call(
        "/sandbox/public_token/create",
        institution_id=institution,
        initial_products=products,
        options={"override_username": username, "override_password": password},
    )["public_token"]
    token: str = checker.call("/item/public_token/exchange", public_token=public)["access_token"]
    assert not checker.problems, checker.problems
    return token


def _sweep_item(checker: Checker, token: str) -> None:
    """Every item endpoint, ending with the calls that break or remove the item."""
    checker.call("/item/get", access_token=token)
    checker.call("/accounts/get", access_token=token)
    checker.call("/accounts/balance/get", access_token=token)
    if checker.plaid.post("/auth/get", access_token=token).status_code == 200:
        checker.call("/auth/get", access_token=token)
    if checker.plaid.post("/liabilities/get", access_token=token).status_code == 200:
        checker.call("/liabilities/get", access_token=token)
    checker.call("/identity/get", access_token=token)
    _sweep_statements(checker, token)
    cursor, more = "", True
    while more:
        page = checker.call("/transactions/sync", access_token=token, cursor=cursor, count=500)
        cursor, more = page["next_cursor"], page["has_more"]
    checker.call(
        "/transactions/get",
        access_token=token,
        start_date="2025-01-01",
        end_date="2026-03-16",
        options={"count": 500, "include_original_description": True},
    )
    checker.call("/transactions/recurring/get", access_token=token)
    checker.call("/transactions/refresh", access_token=token)
    checker.call("/transactions/sync", access_token=token, cursor=cursor)
    checker.call("/item/webhook/update", access_token=token, webhook="https://example.com/hook")
    checker.call("/sandbox/item/fire_webhook", access_token=token, webhook_code="DEFAULT_UPDATE")
    checker.call("/sandbox/item/reset_login", access_token=token)
    checker.call("/item/get", access_token=token)  # now with item.error set
    token = checker.call("/item/access_token/invalidate", access_token=token)["new_access_token"]
    checker.call("/item/remove", access_token=token)


def _sweep_statements(checker: Checker, token: str) -> None:
    """Statements where the bank offers them: the list (JSON), one PDF, and a refresh."""
    if checker.plaid.post("/statements/list", access_token=token).status_code != 200:
        return
    listed = checker.call("/statements/list", access_token=token)
    first = next(s for a in listed["accounts"] for s in a["statements"])
    pdf = checker.plaid.post(
        "/statements/download", access_token=token, statement_id=first["statement_id"]
    )
    if pdf.mimetype != "application/pdf" or not pdf.data.startswith(b"%PDF-"):
        checker.problems.append(f"/statements/download sent {pdf.mimetype}")
    checker.checked.add("/statements/download")
    checker.call(
        "/statements/refresh", access_token=token, start_date="2026-01-01", end_date="2026-03-01"
    )


STATEMENT_ENDPOINTS = {"/statements/list", "/statements/download", "/statements/refresh"}


@pytest.mark.parametrize("kind", sorted(ITEM_KINDS))
def test_item_endpoints_replies_match_openapi_and_sdk(plaid: PlaidClient, kind: str) -> None:
    token = _link(plaid, *ITEM_KINDS[kind])
    checker = Checker(plaid)
    _sweep_item(checker, token)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert (
        checker.checked >= ITEM_ENDPOINTS - {"/auth/get", "/liabilities/get"} - STATEMENT_ENDPOINTS
    )
    if ITEM_KINDS[kind][0] == "ins_109508":
        assert checker.checked >= STATEMENT_ENDPOINTS


def test_catalogue_link_and_sandbox_endpoints_replies_match_openapi_and_sdk(
    app: Flask, plaid: PlaidClient
) -> None:
    checker = Checker(plaid)
    for institution in ("ins_109508", "ins_117650", "ins_43"):
        public = checker.call(
            "/sandbox/public_token/create",
            institution_id=institution,
            initial_products=["transactions"],
        )["public_token"]
        checker.call("/item/public_token/exchange", public_token=public)
    checker.call(
        "/item/import",
        products=["transactions"],
        user_auth={"user_id": "user_good", "auth_token": "pass_good"},
    )
    dynamic = _link(plaid, "ins_109508", "user_transactions_dynamic", "x")
    checker.call(
        "/sandbox/transactions/create",
        access_token=dynamic,
        transactions=[
            {
                "date_transacted": "2026-03-14",
                "date_posted": "2026-03-15",
                "amount": 9.99,
                "description": "Contract test",
            }
        ],
    )
    checker.check("/categories/get", plaid.client.post("/categories/get", json={}).get_json())
    for options in ({}, {"include_optional_metadata": True}, {"products": ["auth"]}):
        checker.call("/institutions/get", count=10, offset=0, country_codes=["US"], options=options)
    checker.call("/institutions/get", count=5, offset=0, country_codes=["GB", "CA"])
    for institution, country in (("ins_109508", "US"), ("ins_117650", "GB"), ("ins_43", "CA")):
        checker.call(
            "/institutions/get_by_id",
            institution_id=institution,
            country_codes=[country],
            options={"include_optional_metadata": True, "include_status": True},
        )
        checker.call("/institutions/get_by_id", institution_id=institution, country_codes=[country])
    checker.call("/institutions/search", query="Platypus", country_codes=["US"])
    checker.call(
        "/institutions/search",
        query="Plaid",
        country_codes=["GB"],
        products=["transactions"],
        options={"include_optional_metadata": True},
    )
    link = {
        "client_name": "Contract",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "user-1"},
    }
    plain = checker.call("/link/token/create", products=["transactions"], **link)
    hosted = checker.call(
        "/link/token/create",
        products=["auth"],
        hosted_link={},
        redirect_uri="https://example.com/oauth",
        webhook="https://example.com/hook",
        **link,
    )
    checker.call("/link/token/create", access_token=dynamic, **link)
    checker.call("/link/token/get", link_token=plain["link_token"])
    checker.call("/link/token/get", link_token=hosted["link_token"])
    tenant = plaid_tenant(plaid)
    key = signing.current_key(db.session, tenant, FROZEN_NOW)
    checker.call("/webhook_verification_key/get", key_id=key.kid)
    assert not checker.problems, "\n".join(checker.problems[:20])
    assert checker.checked == OTHER_ENDPOINTS


def plaid_tenant(plaid: PlaidClient) -> Any:
    """The tenant behind the test client's keys."""
    from sandbox.core import tenants

    return tenants.authenticate(db.session, plaid.client_id, plaid.secret)


def test_every_plaid_endpoint_has_a_contract_sweep(app: Flask) -> None:
    routes = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("plaid.")}
    assert routes == ITEM_ENDPOINTS | OTHER_ENDPOINTS


def test_contract_checker_rejects_missing_key_and_date_only_timestamp() -> None:
    good = {"new_access_token": "access-sandbox-x", "request_id": "r"}
    assert contract.openapi_errors("/item/access_token/invalidate", good) == []
    contract.sdk_deserialize("/item/access_token/invalidate", good)
    missing = {"request_id": "r"}
    assert contract.openapi_errors("/item/access_token/invalidate", missing)
    with pytest.raises(Exception, match="new_access_token"):
        contract.sdk_deserialize("/item/access_token/invalidate", missing)
    date_only = {"link_token": "l", "expiration": "2026-03-16", "request_id": "r"}
    assert contract.openapi_errors("/link/token/create", date_only)
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises ApiValueError/TypeError
        contract.sdk_deserialize("/link/token/create", date_only)
