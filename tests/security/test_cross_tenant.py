"""Tenant isolation: tenant B can reach none of tenant A's objects, whatever id it presents.

Every Plaid endpoint whose request schema (Plaid's own document, the one the sandbox
serves) takes an ``access_token`` is probed with A's token and B's keys; the list is
read from the document, and a guard test keeps the document and the app's routes equal,
so a new endpoint is probed without editing this file. Each probe first shows that the
body is valid (A's own keys get a 200 after B's refusal), so a refusal can only come
from the tenant check. Control API probes use B's keys on A's rule and event ids.

Checked by removing each tenant check in turn (``Bank.item``, the public and link token
look-ups, ``Bank.item_by_id``, the signing key, the webhook event and fault rule queries):
every probe tied to it fails, and no other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from sandbox.core import tenants
from sandbox.extensions import db
from sandbox.openapi import document
from tests.conftest import FROZEN_NOW, PlaidClient

HOOK = "http://127.0.0.1:9/hook"
# A valid value for each field Plaid's schemas mark required (beside access_token). A new
# endpoint with a new required field fails here with a KeyError naming it.
REQUIRED_VALUES: dict[str, Any] = {
    "start_date": "2026-01-01",
    "end_date": "2026-03-16",
    "webhook": HOOK,
    "webhook_code": "SYNC_UPDATES_AVAILABLE",
    "transactions": [
        {
            "amount": 12.5,
            "date_posted": "2026-03-15",
            "date_transacted": "2026-03-15",
            "description": "cross-tenant probe",
        }
    ],
    "client_name": "Probe",
    "language": "en",
    "country_codes": ["US"],
    "processor": "dwolla",
    "client_transaction_id": "cross-tenant-probe",
    "amount": 5.0,
    "verification_status": "automatically_verified",
    "reason_code": "OTHER",
}
# Fields the sandbox needs beyond Plaid's required list, as Plaid's service does.
EXTRA_VALUES: dict[str, dict[str, Any]] = {
    "/link/token/create": {"user": {"client_user_id": "probe"}},
}


def _request_schema(path: str) -> dict[str, Any]:
    plaid = document.plaid_document()
    ref = plaid["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema: dict[str, Any] = plaid["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return schema


def _token_paths() -> list[str]:
    """Every documented Plaid path whose request takes an ``access_token``."""
    paths = document.plaid_document()["paths"]
    return sorted(p for p in paths if "access_token" in _request_schema(p).get("properties", {}))


def _body(path: str, token: str, **owned: str) -> dict[str, Any]:
    """A body the owner of ``token`` may send to ``path``: every required field filled
    (``owned``: ids of the token's own objects, ``account_id`` and ``statement_id``)."""
    required = _request_schema(path).get("required", [])
    values = {**REQUIRED_VALUES, **owned}
    body = {name: values[name] for name in required if name != "access_token"}
    return {**body, **EXTRA_VALUES.get(path, {}), "access_token": token}


@dataclass
class Tenants:
    """Tenant A (the victim) and tenant B (the prober), each with one linked item."""

    a: PlaidClient
    b: PlaidClient
    a_token: str
    b_token: str
    a_item: dict[str, Any]

    def a_secrets(self) -> list[str]:
        """Strings that identify A's data: its token, item id and account ids."""
        accounts = self.a.ok("/accounts/get", access_token=self.a_token)["accounts"]
        return [self.a_token, self.a_item["item_id"], *(a["account_id"] for a in accounts)]

    def a_token_for(self, path: str) -> str:
        """A's token for ``path``: Investments needs investment accounts (``user_good``'s),
        the micro-deposit endpoint an account waiting for its automated deposits."""
        if path.startswith("/investments/"):
            return self.a.link_item(products=("investments",), webhook=HOOK)
        if path == "/sandbox/item/set_verification_status":
            return self.a.link_item(
                products=("auth",),
                webhook=HOOK,
                override_username="user_good",
                override_password="microdeposits_good",
            )
        return self.a_token


def _tenant(app: Flask, name: str, seed: int) -> PlaidClient:
    tenant, keys = tenants.create(db.session(), name, seed)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    return PlaidClient(app.test_client(), keys.client_id, keys.secret)


def _pair(app: Flask, plaid: PlaidClient, b_seed: int) -> Tenants:
    other = _tenant(app, "other", b_seed)
    products = ("transactions", "auth", "identity", "liabilities")
    user = {"override_username": "user_transactions_dynamic", "override_password": "pass_good"}
    a_token = plaid.link_item(products=products, webhook=HOOK, **user)
    b_token = other.link_item(products=products, webhook=HOOK, **user)
    item = plaid.ok("/item/get", access_token=a_token)["item"]
    return Tenants(plaid, other, a_token, b_token, item)


@pytest.fixture
def pair(app: Flask, plaid: PlaidClient) -> Tenants:
    """A and B with different seeds, so none of A's ids can appear in B's own data."""
    return _pair(app, plaid, b_seed=8)


def _refused(reply: Any, code: str, secrets: list[str]) -> None:
    """A 4xx with the provider's error ``code`` and none of A's identifiers."""
    text = reply.get_data(as_text=True)
    assert 400 <= reply.status_code < 500, (reply.status_code, text)
    body = reply.get_json()
    found = body.get("error_code") or body.get("error", {}).get("code")
    assert found == code, text
    assert not [s for s in secrets if s in text], text


def test_every_plaid_route_is_in_the_document_the_probes_are_read_from(app: Flask) -> None:
    served = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("plaid.")}
    assert served == set(document.plaid_document()["paths"])
    assert len(_token_paths()) >= 15  # the enumeration found the item endpoints


@pytest.mark.parametrize("path", _token_paths())
def test_a_access_token_with_b_keys_is_refused(pair: Tenants, path: str) -> None:
    token = pair.a_token_for(path)
    owned_ids = pair.a_secrets()
    statements = pair.a.ok("/statements/list", access_token=pair.a_token)["accounts"]
    first = pair.a.ok("/accounts/get", access_token=token)["accounts"][0]["account_id"]
    owned = {
        "account_id": first,  # the first account of A's item: its checking
        "statement_id": statements[0]["statements"][0]["statement_id"],
    }
    secrets = [token, *owned_ids]
    body = _body(path, token, **owned)
    _refused(pair.b.post(path, **body), "INVALID_ACCESS_TOKEN", secrets)
    # The same body is valid for A: the refusal above is the tenant check, nothing else.
    owner = pair.a.post(path, **body)
    assert owner.status_code == 200, owner.get_json()


def test_a_public_token_exchanged_by_b_is_refused(pair: Tenants) -> None:
    public = pair.a.ok(
        "/sandbox/public_token/create", institution_id="ins_109508", initial_products=["auth"]
    )["public_token"]
    reply = pair.b.post("/item/public_token/exchange", public_token=public)
    _refused(reply, "INVALID_PUBLIC_TOKEN", [public, *pair.a_secrets()])
    assert pair.a.post("/item/public_token/exchange", public_token=public).status_code == 200


def test_a_link_token_read_by_b_is_refused(pair: Tenants) -> None:
    link = pair.a.ok(
        "/link/token/create", **_body("/link/token/create", pair.a_token), products=None
    )["link_token"]
    _refused(pair.b.post("/link/token/get", link_token=link), "INVALID_LINK_TOKEN", [link])
    assert pair.a.post("/link/token/get", link_token=link).status_code == 200


def test_a_asset_report_and_its_audit_copy_read_by_b_are_refused(pair: Tenants) -> None:
    token = pair.a.link_item(products=("assets",))
    report = pair.a.ok("/asset_report/create", access_tokens=[token], days_requested=10)
    report_token = report["asset_report_token"]
    copy = pair.a.ok("/asset_report/audit_copy/create", asset_report_token=report_token)
    secrets = [report_token, report["asset_report_id"], copy["audit_copy_token"]]
    for path in ("/asset_report/get", "/asset_report/refresh", "/asset_report/remove"):
        reply = pair.b.post(path, asset_report_token=report_token)
        _refused(reply, "INVALID_ASSET_REPORT_TOKEN", secrets)
    reply = pair.b.post("/asset_report/audit_copy/get", audit_copy_token=copy["audit_copy_token"])
    _refused(reply, "INVALID_AUDIT_COPY_TOKEN", secrets)
    reply = pair.b.post("/asset_report/create", access_tokens=[token], days_requested=10)
    _refused(reply, "INVALID_ACCESS_TOKEN", secrets)
    assert pair.a.post("/asset_report/get", asset_report_token=report_token).status_code == 200


def test_a_webhook_signing_key_fetched_by_b_is_refused(pair: Tenants) -> None:
    key = _control(pair.a, "POST", "/webhook-keys/rotate").get_json()["key"]
    reply = pair.b.post("/webhook_verification_key/get", key_id=key["kid"])
    _refused(reply, "INVALID_WEBHOOK_VERIFICATION_KEY_ID", [key["x"]])
    assert pair.a.post("/webhook_verification_key/get", key_id=key["kid"]).status_code == 200


def _control(client: PlaidClient, method: str, path: str, **body: Any) -> Any:
    """A control API call with ``client``'s keys."""
    keys = {"PLAID-CLIENT-ID": client.client_id, "PLAID-SECRET": client.secret}
    return client.client.open(
        f"/control{path}", method=method, headers=keys, json=body if body else None
    )


def _a_rule(pair: Tenants) -> int:
    reply = _control(pair.a, "POST", "/faults", error_code="ITEM_LOCKED")
    assert reply.status_code == 201, reply.get_json()
    rule_id: int = reply.get_json()["id"]
    return rule_id


def _a_event(pair: Tenants) -> int:
    events = _control(pair.a, "GET", "/webhooks").get_json()["webhooks"]
    assert events, "A has no webhook event to probe"
    event_id: int = events[0]["id"]
    return event_id


def _a_rules(pair: Tenants) -> list[int]:
    return [r["id"] for r in _control(pair.a, "GET", "/faults").get_json()["rules"]]


@dataclass(frozen=True)
class ControlProbe:
    """B calls the control API with one of A's ids; A's row must be out of its reach."""

    method: str
    path: str  # ``{id}`` is A's object
    make: Callable[[Tenants], int | str]
    code: str | None  # the refusal, or None for a call on B's own (empty) set
    intact: Callable[[Tenants, int | str], bool]


CONTROL_PROBES = {
    "delete_a_fault_rule": ControlProbe(
        "DELETE", "/faults/{id}", _a_rule, "NOT_FOUND", lambda p, i: i in _a_rules(p)
    ),
    "clear_all_fault_rules": ControlProbe(
        "DELETE", "/faults", _a_rule, None, lambda p, i: i in _a_rules(p)
    ),
    "list_fault_rules": ControlProbe("GET", "/faults", _a_rule, None, lambda p, i: True),
    "read_a_webhook_event": ControlProbe(
        "GET", "/webhooks/{id}", _a_event, "NOT_FOUND", lambda p, i: True
    ),
    "redeliver_a_webhook_event": ControlProbe(
        "POST",
        "/webhooks/{id}/redeliver",
        _a_event,
        "NOT_FOUND",
        lambda p, i: _control(p.a, "GET", f"/webhooks/{i}").status_code == 200,
    ),
    "list_webhook_events": ControlProbe("GET", "/webhooks", _a_event, None, lambda p, i: True),
    "read_a_item_balances": ControlProbe(
        "GET",
        "/items/{id}/balances",
        lambda p: str(p.a_item["item_id"]),
        "NOT_FOUND",
        lambda p, i: True,
    ),
}


@pytest.mark.parametrize("name", sorted(CONTROL_PROBES))
def test_control_api_keeps_b_away_from_a_objects(pair: Tenants, name: str) -> None:
    probe = CONTROL_PROBES[name]
    target = probe.make(pair)
    reply = _control(pair.b, probe.method, probe.path.format(id=target))
    text = reply.get_data(as_text=True)
    if probe.code is None:
        assert reply.status_code == 200, text
        assert not _mentions(reply.get_json(), target), text
    else:
        _refused(reply, probe.code, [pair.a_token])
    assert probe.intact(pair, target), f"B's {probe.method} {probe.path} changed A's object"


def _mentions(body: Any, target: int | str) -> bool:
    """Whether ``target`` appears as an ``id`` anywhere in ``body``."""
    if isinstance(body, dict):
        return body.get("id") == target or any(_mentions(v, target) for v in body.values())
    if isinstance(body, list):
        return any(_mentions(v, target) for v in body)
    return False


def test_the_same_public_ids_resolve_to_each_tenant_own_rows(
    app: Flask, plaid: PlaidClient
) -> None:
    pair = _pair(app, plaid, b_seed=7)  # same seed: identical item and account ids
    b_item = pair.b.ok("/item/get", access_token=pair.b_token)["item"]
    assert b_item["item_id"] == pair.a_item["item_id"]
    balance = {"transactions": [dict(REQUIRED_VALUES["transactions"][0], amount=1000)]}
    pair.a.ok("/sandbox/transactions/create", access_token=pair.a_token, **balance)
    a_sync = pair.a.ok("/transactions/sync", access_token=pair.a_token, count=500)
    b_sync = pair.b.ok("/transactions/sync", access_token=pair.b_token, count=500)
    a_ids = {t["transaction_id"] for t in a_sync["added"]}
    b_ids = {t["transaction_id"] for t in b_sync["added"]}
    assert len(a_ids) == len(b_ids) + 1, "A's new transaction leaked into B's item or got lost"
    item_id = b_item["item_id"]
    a_chart = _control(pair.a, "GET", f"/items/{item_id}/balances").get_json()
    b_chart = _control(pair.b, "GET", f"/items/{item_id}/balances").get_json()
    assert json.dumps(a_chart) != json.dumps(b_chart), "both tenants read the same item row"
