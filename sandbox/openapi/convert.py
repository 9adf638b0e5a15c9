"""OpenAPI 3.0 schemas to 3.1 (JSON Schema 2020-12), keyword by keyword.

Plaid publishes 3.0. Three of its keywords mean something else, or nothing, in 3.1:
``nullable: true`` becomes a ``null`` alternative, boolean ``exclusiveMinimum`` and
``exclusiveMaximum`` become the numbers they qualify, and ``example`` becomes the
one-item array ``examples``. Only Schema Objects are rewritten: an ``example`` of a
media type stays as it is, and so does every example value.
"""

from __future__ import annotations

from typing import Any

SCHEMA_MAPS = ("properties", "patternProperties", "$defs")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BOUNDS = (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum"))


def schema(node: Any) -> Any:
    """One 3.0 Schema Object (and the schemas inside it) as 3.1."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in SCHEMA_MAPS:
            out[key] = {name: schema(sub) for name, sub in value.items()}
        elif key in SCHEMA_LISTS:
            out[key] = [schema(sub) for sub in value]
        elif key in SCHEMA_ONE:
            out[key] = schema(value)
        elif key == "example":
            out["examples"] = [value]
        elif key != "nullable":
            out[key] = value
    for exclusive, bound in BOUNDS:
        if isinstance(out.get(exclusive), bool) and out.pop(exclusive) and bound in out:
            out[exclusive] = out.pop(bound)
    return _nullable(out) if node.get("nullable") is True else out


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` that also accepts ``null``: in ``type`` when it has one, else as ``anyOf``."""
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    annotations: dict[str, Any] = {k: out.pop(k) for k in ("title", "description") if k in out}
    return {**annotations, "anyOf": [out, {"type": "null"}]}


def _content(content: dict[str, Any]) -> dict[str, Any]:
    return {
        media: {**entry, "schema": schema(entry["schema"])} if "schema" in entry else entry
        for media, entry in content.items()
    }


def operation(op: dict[str, Any]) -> dict[str, Any]:
    """An Operation Object with the schemas of its parameters, body and replies converted."""
    out = dict(op)
    if "parameters" in op:
        out["parameters"] = [
            {**p, "schema": schema(p["schema"])} if "schema" in p else p for p in op["parameters"]
        ]
    if "requestBody" in op and "content" in op["requestBody"]:
        out["requestBody"] = {
            **op["requestBody"],
            "content": _content(op["requestBody"]["content"]),
        }
    out["responses"] = {
        status: {**reply, "content": _content(reply["content"])} if "content" in reply else reply
        for status, reply in op.get("responses", {}).items()
    }
    return out


def components(found: dict[str, Any]) -> dict[str, Any]:
    """Components with every schema converted (security schemes are the same in 3.1)."""
    out = dict(found)
    if "schemas" in found:
        out["schemas"] = {name: schema(value) for name, value in found["schemas"].items()}
    return out


def paths(found: dict[str, Any]) -> dict[str, Any]:
    """Path Items with every operation converted."""
    return {
        path: {method: operation(op) for method, op in item.items()} for path, item in found.items()
    }
