"""Contract checks: a TrueLayer reply must satisfy TrueLayer's own OpenAPI documents.

The documents are TrueLayer's, vendored whole as test data (``tests/fixtures/truelayer-openapi/
auth-api.json`` and ``data-api-v1.json``, see PROVENANCE.md there). A
served path belongs to the Data API's document when it starts with ``/data/v1`` (that
document's server URL), else to the auth server's. Schemas are read as OpenAPI 3.1
(``sandbox.openapi.convert``: ``nullable`` is a ``null`` alternative), with formats
``date`` and ``date-time`` checked strictly, as the Plaid sweep does.

Where a document contradicts its own examples, ``OVERRIDES`` replaces the one schema node
at fault, each with the reason; nothing else is loosened.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from sandbox.openapi import convert
from tests.api.plaid.contract import FORMATS

DATA_PREFIX = "/data/v1"
DOCUMENTS = {"auth": "auth-api.json", "data": "data-api-v1.json"}
FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "truelayer-openapi"
PROVIDERS = "/paths/~1api~1providers/get/responses/200/content/application~1json/schema"
PROVIDER = "/components/schemas/GetProvidersResponse/properties"
SCOPES = (
    "info",
    "accounts",
    "balance",
    "transactions",
    "cards",
    "direct_debits",
    "standing_orders",
    "offline_access",
)
AVAILABILITY = {
    "type": "object",
    "required": ["recommended_status", "updated_at"],
    "properties": {
        "recommended_status": {"type": "string"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


@dataclass(frozen=True)
class Override:
    """One schema node of a document replaced: where, by what, and why."""

    document: str
    pointer: str  # JSON Pointer into the document
    schema: Any  # the replacement; a callable gets the node it replaces
    reason: str


OVERRIDES = (
    Override(
        "auth",
        PROVIDERS,
        {"type": "array", "items": {"$ref": "#/components/schemas/GetProvidersResponse"}},
        "the schema is one provider; the example (and TrueLayer's API) is a list of them",
    ),
    Override(
        "auth",
        f"{PROVIDER}/scopes",
        lambda node: {"type": "array", "items": node},
        "`scopes` is typed as one scope; every example lists several",
    ),
    Override(
        "auth",
        f"{PROVIDER}/country/enum",
        lambda _node: _parameter_enum("country"),
        "the reply's `country` enum lacks countries (`nl`) the `country` filter accepts",
    ),
    Override(
        "auth",
        f"{PROVIDER}/availability",
        AVAILABILITY,
        "every example has `availability` {recommended_status, updated_at}; the schema, "
        "closed with additionalProperties false, omits it",
    ),
    Override(
        "auth",
        "/components/schemas/Error/properties/error/enum",
        lambda node: [*node, "invalid_authorization_code", "invalid_client", "invalid_token"],
        "the enum omits codes TrueLayer's error reference gives the auth server: a bad code "
        "(`invalid_authorization_code`), bad client credentials, a bad bearer token",
    ),
    Override(
        "auth",
        "/paths/~1api~1delete/delete/responses/401",
        {"$ref": "#/components/responses/401"},
        "the path is bearer-authenticated (its `security`) but documents no 401 for a bad "
        "token; the document's own 401 reply is the one every other path gives",
    ),
    Override(
        "data",
        "/components/schemas/Me/properties/scopes/items/enum",
        list(SCOPES),
        "the enum lacks `direct_debits` and `standing_orders`, scopes a connection holds "
        "(the auth document's `/api/providers` lists all eight)",
    ),
    Override(
        "data",
        "/components/schemas/Problem/properties/errors",
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "typed an array; the example (and the sandbox) map each field to its messages",
    ),
    Override(
        "data",
        "/components/schemas/CardBalance/properties/available",
        {"type": "number"},
        "`available` is typed string; the example and every other amount are numbers",
    ),
    *(
        Override(
            "data",
            f"/components/schemas/AccountStandingOrder/properties/{amount}",
            {"type": "number"},
            f"`{amount}` is typed string; the example's amounts are numbers",
        )
        for amount in ("next_payment_amount", "first_payment_amount", "final_payment_amount")
    ),
)


def raw(name: str) -> dict[str, Any]:
    text = (FOLDER / DOCUMENTS[name]).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _parameter_enum(name: str) -> list[str]:
    """The enum of ``/api/providers``' query parameter ``name``."""
    parameters = raw("auth")["paths"]["/api/providers"]["get"]["parameters"]
    [found] = [p for p in parameters if p["name"] == name]
    enum: list[str] = found["schema"]["items"]["enum"]
    return enum


def parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


@functools.cache
def patched(name: str) -> dict[str, Any]:
    """The document ``auth`` or ``data`` (OpenAPI 3.0) with ``OVERRIDES`` applied."""
    found = copy.deepcopy(raw(name))
    for override in (o for o in OVERRIDES if o.document == name):
        *parents, last = parts(override.pointer)
        node = found
        for part in parents:
            node = node[part]
        schema = override.schema
        node[last] = schema(node.get(last)) if callable(schema) else schema
    return found


@functools.cache
def document(name: str) -> dict[str, Any]:
    """The patched document as OpenAPI 3.1 (JSON Schema 2020-12 schemas)."""
    found = dict(patched(name))
    found["components"] = convert.components(found["components"])
    found["paths"] = convert.paths(found["paths"])
    return found


def node_at(tree: dict[str, Any], pointer: str) -> Any:
    """The node at a JSON Pointer (None where the document has none)."""
    node: Any = tree
    for part in parts(pointer):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def locate(rule: str) -> tuple[str, str]:
    """Which document holds a served Flask rule, and its path there
    (``/data/v1/accounts/<account_id>`` is the Data API's ``/accounts/{account_id}``)."""
    path = rule.replace("<", "{").replace(">", "}")
    if path.startswith(f"{DATA_PREFIX}/"):
        return "data", path.removeprefix(DATA_PREFIX)
    return "auth", path


def operation(rule: str, method: str) -> dict[str, Any] | None:
    """The document's operation for a served rule and method (None: not in the document)."""
    name, path = locate(rule)
    found: dict[str, Any] | None = document(name)["paths"].get(path, {}).get(method.lower())
    return found


def _resolve(name: str, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document(name)
        for part in parts(node["$ref"][1:]):
            target = target[part]
        node = target
    return node


def reply_errors(
    rule: str, method: str, status: int, content_type: str | None, body: bytes
) -> list[str]:
    """Every way a reply breaks the document's response for ``rule``/``method``/``status``:
    an undocumented status, another media type, or a body its schema refuses."""
    name, _path = locate(rule)
    found = operation(rule, method)
    assert found is not None, f"{method} {rule} is not in TrueLayer's {name} document"
    declared = found["responses"].get(str(status))
    if declared is None:
        return [f"status {status} is not documented (only {', '.join(found['responses'])})"]
    content = _resolve(name, declared).get("content")
    if not content:
        return [] if not body else [f"documented without a body, got {body[:80]!r}"]
    media = (content_type or "").split(";")[0].strip()
    if media not in content:
        return [f"content type {media!r}, documented {', '.join(content)}"]
    schema = {**content[media]["schema"], "components": document(name)["components"]}
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(json.loads(body))
    ]
