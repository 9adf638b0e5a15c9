"""The OpenAPI 3.1 document of the sandbox: Plaid's dialect, the control API and itself.

The Plaid part is Plaid's own document (the trimmed copy beside this module) converted
to 3.1, so an SDK generated from either agrees on every shape; the control part is
written from the control views (``control.py``, ``control_schemas.py``).
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import control, control_schemas, control_transactions, convert

PLAID_DOCUMENT = "plaid-2020-09-14.json"
OPENAPI_PATH = "/openapi.json"


@functools.cache
def plaid_document() -> dict[str, Any]:
    """Plaid's published document (3.0), trimmed to the paths the sandbox serves."""
    text = resources.files(__package__).joinpath(PLAID_DOCUMENT).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def plaid_components() -> dict[str, Any]:
    """Plaid's components as 3.1 (JSON Schema 2020-12)."""
    converted: dict[str, Any] = convert.components(plaid_document()["components"])
    return converted


def _self_path() -> dict[str, Any]:
    return {
        OPENAPI_PATH: {
            "get": {
                "tags": ["meta"],
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    }


def _info(plaid: dict[str, Any]) -> dict[str, Any]:
    try:
        ours = version("bank-sandbox")
    except PackageNotFoundError:  # a source checkout that was never installed
        ours = "0+unknown"
    return {
        "title": "Bank sandbox",
        "version": ours,
        "description": (
            "A local stand-in for bank-data aggregators. Paths tagged `plaid` are a subset of "
            f"Plaid's own document ({plaid['info']['title']}, version {plaid['info']['version']},"
            " converted from OpenAPI 3.0 to 3.1); paths tagged `control` are the sandbox's own "
            "API for tenants, the clock, faults and webhooks. A body larger than the server's "
            "MAX_CONTENT_LENGTH is refused with 413 on every path."
        ),
        "license": {"name": "MIT", "identifier": "MIT"},
    }


@functools.cache
def _document() -> dict[str, Any]:
    plaid = plaid_document()
    components = plaid_components()
    return {
        "openapi": "3.1.0",
        "info": _info(plaid),
        "tags": [
            {"name": "plaid", "description": "Plaid API 2020-09-14 (a subset)"},
            {"name": "control", "description": "The sandbox's own API"},
            {"name": "meta", "description": "About the server"},
        ],
        "security": plaid["security"],
        "paths": {
            **convert.paths(plaid["paths"]),
            **control.paths(),
            **control_transactions.paths(),
            **_self_path(),
        },
        "components": {
            **components,
            "securitySchemes": {
                **components["securitySchemes"],
                **control.security_schemes(),
            },
            "schemas": {
                **components["schemas"],
                **control_schemas.schemas(),
                **control_transactions.schemas(),
            },
        },
    }


def document(base_url: str) -> dict[str, Any]:
    """The whole document, with its one server at ``base_url`` (the host that was asked)."""
    found = copy.copy(_document())
    found["servers"] = [{"url": base_url, "description": "this sandbox"}]
    return found
