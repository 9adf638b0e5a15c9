"""``GET /openapi.json``: a valid OpenAPI 3.1 document of every Plaid and control route.

The Plaid part must be Plaid's own document (the trimmed copy) converted to 3.1; the
control part must describe what the views really accept and return, so every control
endpoint is called once with good input and its reply checked against the document.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from flask import Flask
from marshmallow import RAISE, Schema, fields, validate
from openapi_spec_validator import OpenAPIV31SpecValidator

from sandbox.openapi import convert, document, trim
from sandbox.openapi.from_marshmallow import object_schema
from tests.api.plaid.contract import FORMATS
from tests.conftest import PlaidClient

DOCUMENTED_BLUEPRINTS = ("plaid", "control", "openapi")
HTTP_METHODS = {"get", "post", "put", "delete", "patch"}


def _openapi_path(rule: str) -> str:
    """Flask's ``/faults/<int:rule_id>`` as OpenAPI's ``/faults/{rule_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _served(app: Flask) -> set[tuple[str, str]]:
    return {
        (method.lower(), _openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in DOCUMENTED_BLUEPRINTS
        for method in rule.methods or ()
        if method.lower() in HTTP_METHODS
    }


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.fixture
def doc(app: Flask) -> dict[str, Any]:
    reply = app.test_client().get("/openapi.json", base_url="http://sandbox.test:8080")
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    served: dict[str, Any] = reply.get_json()
    return served


def test_openapi_documents_every_plaid_and_control_route_and_no_other(
    app: Flask, doc: dict[str, Any]
) -> None:
    served, documented = _served(app), _documented(doc)
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"
    assert len(documented) > 50


def test_openapi_is_valid_3_1_with_the_asking_host_as_server(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "http://sandbox.test:8080", "description": "this sandbox"}]
    errors = [str(e).splitlines()[0] for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert errors == []
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_openapi_plaid_paths_are_plaids_own_converted(doc: dict[str, Any]) -> None:
    plaid = document.plaid_document()
    for path, item in plaid["paths"].items():
        assert doc["paths"][path] == convert.paths({path: item})[path]
        assert doc["paths"][path]["post"]["tags"] == ["plaid"]
    for name, schema in plaid["components"]["schemas"].items():
        assert doc["components"]["schemas"][name] == convert.schema(schema)
    assert doc["security"] == plaid["security"]
    assert "2020-09-14" in doc["info"]["description"]


def test_openapi_trimmed_copy_keeps_only_served_paths_and_their_components(app: Flask) -> None:
    plaid = document.plaid_document()
    served = {p for m, p in _served(app) if not p.startswith(("/control", "/openapi"))}
    assert set(plaid["paths"]) == served
    reachable = trim.referenced_components(plaid, plaid["paths"].values())
    assert reachable["schemas"].keys() == plaid["components"]["schemas"].keys()
    assert plaid["info"]["termsOfService"] == "https://plaid.com/legal/"


def test_trim_follows_references_transitively_and_drops_the_rest() -> None:
    source = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "security": [{"key": []}],
        "paths": {
            "/kept": {"post": {"responses": {"200": {"$ref": "#/components/schemas/A"}}}},
            "/dropped": {"post": {"responses": {"200": {"$ref": "#/components/schemas/C"}}}},
        },
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "K"}},
            "schemas": {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"items": {"$ref": "#/components/schemas/A"}},
                "C": {"type": "string"},
            },
        },
    }
    trimmed = trim.trim(source, ["/kept"])
    assert list(trimmed["paths"]) == ["/kept"]
    assert list(trimmed["components"]["schemas"]) == ["A", "B"]
    assert trimmed["components"]["securitySchemes"] == source["components"]["securitySchemes"]
    with pytest.raises(SystemExit, match="/missing"):
        trim.trim(source, ["/kept", "/missing"])


@pytest.mark.parametrize(
    ("schema_30", "schema_31"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        (
            {"type": "string", "enum": ["a"], "nullable": True},
            {"type": ["string", "null"], "enum": ["a", None]},
        ),
        (
            {"description": "d", "allOf": [{"$ref": "#/x"}], "nullable": True},
            {"description": "d", "anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]},
        ),
        (
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            {"type": "number", "exclusiveMinimum": 0},
        ),
        (
            {"type": "number", "maximum": 1, "exclusiveMaximum": False},
            {"type": "number", "maximum": 1},
        ),
        ({"type": "string", "example": "x"}, {"type": "string", "examples": ["x"]}),
        (
            {"type": "object", "properties": {"a": {"type": "integer", "nullable": True}}},
            {"type": "object", "properties": {"a": {"type": ["integer", "null"]}}},
        ),
        (
            {"type": "array", "items": {"type": "string", "nullable": True, "example": "e"}},
            {"type": "array", "items": {"type": ["string", "null"], "examples": ["e"]}},
        ),
    ],
)
def test_convert_schema_30_to_31(schema_30: dict[str, Any], schema_31: dict[str, Any]) -> None:
    assert convert.schema(schema_30) == schema_31


def test_convert_leaves_media_type_examples_and_example_values_alone() -> None:
    operation = {
        "responses": {
            "200": {
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "example": {"nullable": True}},
                        "example": {"nullable": True},
                    }
                }
            }
        }
    }
    media = convert.operation(operation)["responses"]["200"]["content"]["application/json"]
    assert media["example"] == {"nullable": True}
    assert media["schema"] == {"type": "object", "examples": [{"nullable": True}]}


class _Sample(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(1, 5))
    count = fields.Integer(validate=validate.Range(min=0, max=9, max_inclusive=False))
    kind = fields.String(data_key="type", validate=validate.OneOf(["a", "b"]))
    when = fields.AwareDateTime(allow_none=True)
    tags = fields.List(fields.String())


def test_object_schema_from_marshmallow_keeps_names_bounds_and_strictness() -> None:
    assert object_schema(_Sample()) == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "count": {"type": "integer", "minimum": 0, "exclusiveMaximum": 9},
            "type": {"type": "string", "enum": ["a", "b"]},
            "when": {"type": ["string", "null"], "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
    with pytest.raises(TypeError, match="Raw"):
        object_schema(Schema.from_dict({"anything": fields.Raw()})())


# -- the control API's replies match what the document says ------------------------------


class ControlChecker:
    """Calls control endpoints and checks each reply against the documented schema."""

    def __init__(self, app: Flask, plaid: PlaidClient, doc: dict[str, Any]) -> None:
        self.client, self.doc = app.test_client(), doc
        self.headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
        self.checked: set[tuple[str, str]] = set()

    def call(self, method: str, template: str, status: int = 200, **kwargs: Any) -> Any:
        """``method`` on ``template`` filled from ``path``; asserts status and schema."""
        path = template.format(**kwargs.pop("path", {}))
        headers = {**self.headers, **kwargs.pop("headers", {})}
        reply = self.client.open(path, method=method.upper(), headers=headers, **kwargs)
        assert reply.status_code == status, reply.get_json()
        operation = self.doc["paths"][template][method]
        content = operation["responses"][str(status)]["content"]
        if "application/json" not in content:  # a file (statements): the documented type
            assert reply.mimetype in content, f"{method} {path}: {reply.mimetype}"
            self.checked.add((method, template))
            return reply.data
        media = content["application/json"]
        root = {"allOf": [media["schema"]], "components": self.doc["components"]}
        validator = jsonschema.Draft202012Validator(root, format_checker=FORMATS)
        problems = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(reply.get_json())]
        assert problems == [], f"{method} {path}: {problems}"
        self.checked.add((method, template))
        return reply.get_json()


def _sweep_tenant_and_clock(check: ControlChecker, plaid: PlaidClient) -> None:
    check.call("get", "/control/health")
    check.call("post", "/control/tenants", 201, json={"name": "other", "seed": 3})
    check.call("get", "/control/clock")
    check.call("post", "/control/clock", json={"advance_days": 1})
    token = plaid.link_item(webhook="https://example.com/hook")
    item_id = plaid.ok("/item/get", access_token=token)["item"]["item_id"]
    check.call("get", "/control/items/{item_id}/balances", path={"item_id": item_id})
    check.call("get", "/control/transactions", query_string={"limit": 3, "sort": "amount"})
    check.call("post", "/control/clock", 400, json={})
    plaid.ok("/sandbox/item/fire_webhook", access_token=token, webhook_code="DEFAULT_UPDATE")


def _sweep_statements(check: ControlChecker, plaid: PlaidClient) -> None:
    token = plaid.link_item("ins_56")
    item = {"item_id": plaid.ok("/item/get", access_token=token)["item"]["item_id"]}
    listed = check.call("get", "/control/items/{item_id}/statements", path=item)
    account = listed["accounts"][0]
    one = {**item, "statement_id": account["statements"][0]["statement_id"]}
    check.call("get", "/control/items/{item_id}/statements/{statement_id}", path=one)
    export = "/control/items/{item_id}/accounts/{account_id}/export"
    for kind in listed["formats"]:
        path = {**item, "account_id": account["account_id"]}
        check.call("get", export, path=path, query_string={"format": kind})
    check.call("get", export, 400, path=path, query_string={"start": "1999-01-01"})


def _sweep_faults(check: ControlChecker) -> None:
    rule = check.call("post", "/control/faults", 201, json={"error_code": "ITEM_LOCKED"})
    check.call("post", "/control/faults", 201, json={"latency": _UNIFORM, "trigger": "nth", "n": 2})
    check.call("get", "/control/faults")
    check.call("get", "/control/faults/log")
    check.call("delete", "/control/faults/{rule_id}", path={"rule_id": rule["id"]})
    check.call("delete", "/control/faults")
    health = "/control/institutions/{institution_id}/health"
    check.call("put", health, path={"institution_id": "ins_109508"}, json={"status": "DOWN"})
    check.call("get", "/control/institutions/health")
    check.call("delete", health, path={"institution_id": "ins_109508"})
    check.call("put", "/control/rate-limits", json={"limits": {"/accounts/get": {"per_item": 3}}})
    check.call("get", "/control/rate-limits")


_UNIFORM = {"distribution": "uniform", "min_ms": 0, "max_ms": 5}


def _sweep_webhooks(check: ControlChecker) -> None:
    listed = check.call("get", "/control/webhooks", query_string={"limit": 5})
    event = {"event_id": listed["webhooks"][0]["id"]}
    check.call("get", "/control/webhooks/{event_id}", path=event)
    check.call("get", "/control/webhooks/{event_id}", 404, path={"event_id": 999_999})
    check.call("post", "/control/webhooks/{event_id}/redeliver", path=event)
    check.call("post", "/control/webhooks/pause")
    check.call("post", "/control/webhooks/resume")
    check.call("post", "/control/webhooks/deliver")
    check.call("post", "/control/webhook-keys/rotate")
    catcher = {"name": "demo"}
    check.call("post", "/control/webhook-catcher/{name}", path=catcher, data=b"raw body")
    check.call("get", "/control/webhook-catcher/{name}", path=catcher)
    check.call("delete", "/control/webhook-catcher/{name}", path=catcher)
    check.call("post", "/control/reset")


def _sweep_app_clients(check: ControlChecker, plaid: PlaidClient) -> None:
    clients = "/control/truelayer/clients"
    check.call("get", clients)
    made = check.call("post", clients, 201, json={"redirect_uris": ["https://app.example/cb"]})
    change = {"add_redirect_uris": ["http://localhost:8000/cb"], "consent_days": 30}
    check.call(
        "patch", clients + "/{client_id}", path={"client_id": made["client_id"]}, json=change
    )
    check.call(
        "patch",
        clients + "/{client_id}",
        400,
        path={"client_id": plaid.client_id},
        json={"consent_days": 0},
    )


def test_openapi_says_what_null_means_for_an_app_clients_display_name(
    doc: dict[str, Any],
) -> None:
    field = doc["components"]["schemas"]["ControlAppClientChange"]["properties"]["display_name"]
    assert field["type"] == ["string", "null"]
    assert (
        "null clears it" in field["description"]
        and "leaving the field out keeps it" in (field["description"])
    )


def test_control_replies_match_the_document(
    app: Flask, plaid: PlaidClient, doc: dict[str, Any]
) -> None:
    check = ControlChecker(app, plaid, doc)
    _sweep_tenant_and_clock(check, plaid)
    _sweep_statements(check, plaid)
    _sweep_faults(check)
    _sweep_webhooks(check)
    _sweep_app_clients(check, plaid)
    control = {(m, p) for m, p in _documented(doc) if p.startswith("/control")}
    assert control - check.checked == set()


def test_control_shared_mode_refusals_match_the_document(
    app: Flask, plaid: PlaidClient, doc: dict[str, Any]
) -> None:
    # A shared sandbox. Its tenant limit counts every tenant in the database, and the
    # PostgreSQL test database keeps the whole session's: this test is not about the limit.
    app.config.update(ADMIN_TOKEN="admin-token", TENANT_LIMIT=10**9)
    check = ControlChecker(app, plaid, doc)
    catcher = {"name": "shared"}
    check.call("post", "/control/tenants", 401, json={})
    check.call("get", "/control/webhook-catcher/{name}", 401, path=catcher)
    check.call("delete", "/control/webhook-catcher/{name}", 401, path=catcher)
    check.call("post", "/control/webhook-catcher/{name}", 401, path=catcher, data=b"unsigned")
    admin = {"Authorization": "Bearer admin-token"}
    check.call("post", "/control/tenants", 201, json={}, headers=admin)
    check.call("get", "/control/webhook-catcher/{name}", path=catcher, headers=admin)
    security = doc["paths"]["/control/tenants"]["post"]["security"]
    assert {"adminToken": []} in security
