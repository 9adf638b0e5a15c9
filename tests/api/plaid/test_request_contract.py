"""Contract of requests: what Plaid's OpenAPI document lets a client send, the sandbox takes.

plaid-python sends a field set to ``None`` as JSON ``null`` and the Node SDK sends what it is
given, so an option Plaid's document marks ``nullable`` that the sandbox refuses breaks a
client that works against Plaid, and so does a documented field the sandbox does not know
(``UNKNOWN_FIELDS``) or types differently (a value of the wrong type must be ``INVALID_FIELD``
naming it, never taken as is). Each route's request schema is the one its view loads (caught where
``views.load`` makes it), walked beside the route's request component in the trimmed copy of
Plaid's document. Fields Plaid hides from its docs (``x-hidden-from-docs``) are not checked,
and the sandbox may be more lenient than Plaid (null where Plaid wants a value).
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema, fields

from sandbox.openapi import document
from sandbox.plaid import views
from tests.conftest import PlaidClient

KEYS = {"client_id", "secret"}  # read from the headers or the body before the schema loads


def _resolved(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with ``$ref`` followed and ``allOf`` parts merged (properties and nullable)."""
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[1]
        return _resolved(document.plaid_document()["components"]["schemas"][name])
    merged = {k: v for k, v in spec.items() if k != "allOf"}
    for part in map(_resolved, spec.get("allOf", ())):
        merged = {
            **part,
            **merged,
            "properties": {**part.get("properties", {}), **merged.get("properties", {})},
        }
    return merged


JSON_TYPES = (  # most specific first: an Integer is a Number
    ("boolean", (fields.Boolean,)),
    ("integer", (fields.Integer,)),
    ("number", (fields.Number,)),
    ("string", (fields.String, fields.Date, fields.DateTime)),
    ("array", (fields.List,)),
    ("object", (fields.Nested, fields.Dict)),
)


def _json_type(field: fields.Field[Any]) -> str:
    """The JSON type ``field`` takes (``any`` for a field that takes every value)."""
    return next((kind for kind, classes in JSON_TYPES if isinstance(field, classes)), "any")


def _nested_schema(field: fields.Field[Any]) -> Schema | None:
    """The schema an object field (or a list of objects) loads its value with."""
    if isinstance(field, fields.List):
        field = field.inner
    return field.schema if isinstance(field, fields.Nested) else None


def _mismatches(spec: dict[str, Any], schema: Schema, prefix: str = "") -> list[str]:
    """Each documented property ``schema`` refuses, and each nullable one it refuses null for."""
    spec = _resolved(spec)
    if spec.get("type") == "array":
        spec = _resolved(spec["items"])
    found = []
    for name, prop in spec.get("properties", {}).items():
        if name in KEYS or prop.get("x-hidden-from-docs"):
            continue
        field = schema.fields.get(name)
        if field is None:
            found.append(f"{prefix}{name}: documented, refused as unknown")
            continue
        resolved = _resolved(prop)
        if (prop.get("nullable") or resolved.get("nullable")) and not field.allow_none:
            found.append(f"{prefix}{name}: nullable in Plaid's document, null refused")
        documented = resolved.get("type", "object" if "properties" in resolved else None)
        if documented is not None and _json_type(field) != documented:
            found.append(f"{prefix}{name}: {documented} in Plaid's document, {_json_type(field)}")
        nested = _nested_schema(field)
        if nested is not None:
            found += _mismatches(prop, nested, f"{prefix}{name}.")
    return found


def _request_schemas(plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, Schema]:
    """Each path of Plaid's document the sandbox serves, with the schema its view loads."""
    loaded: dict[str, Schema] = {}
    path = ""
    real = views._instance

    def spy(schema: type[Schema]) -> Schema:
        instance = real(schema)
        loaded.setdefault(path, instance)
        return instance

    monkeypatch.setattr(views, "_instance", spy)
    for path in document.plaid_document()["paths"]:  # ``spy`` reads the path being posted
        plaid.post(path)
    return loaded


def test_every_served_path_loads_its_body_with_a_schema(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(_request_schemas(plaid, monkeypatch)) == set(document.plaid_document()["paths"])


def test_request_schemas_take_every_documented_field_typed_and_null_where_plaid_does(
    plaid: PlaidClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = []
    for path, schema in sorted(_request_schemas(plaid, monkeypatch).items()):
        operation = document.plaid_document()["paths"][path]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        problems += [f"{path} {problem}" for problem in _mismatches(body, schema)]
    assert not problems, "\n".join(problems)


def test_null_options_an_sdk_sends_are_taken_as_absent(plaid: PlaidClient) -> None:
    public = plaid.ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"transactions": None, "statements": None},
    )["public_token"]
    token = plaid.ok("/item/public_token/exchange", public_token=public)["access_token"]
    removed = plaid.ok("/item/remove", access_token=token, reason_code=None, reason_note=None)
    assert removed["request_id"]
    assert plaid.error("/item/get", access_token=token)["error_code"] == "ITEM_NOT_FOUND"
