"""Contract checks: a reply must satisfy Plaid's OpenAPI schema and the SDK's deserializer.

The schemas are Plaid's own, from the trimmed copy of Plaid's document that ships with
the sandbox (``sandbox/openapi/plaid-2020-09-14.json``, see its PROVENANCE.md), as the
3.1 conversion that ``/openapi.json`` serves: ``nullable: true`` is a ``null``
alternative and ``exclusiveMinimum``/``exclusiveMaximum`` are numbers. Formats ``date``
and ``date-time`` are checked strictly, because the SDK rejects a date where a timestamp
belongs.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import re
from typing import Any

import jsonschema

from sandbox.openapi import document

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_TIME.match(value):
        raise ValueError(f"{value!r} is not a full RFC 3339 timestamp")
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        dt.date.fromisoformat(value)
        if len(value) != 10:
            raise ValueError(f"{value!r} is not YYYY-MM-DD")
    return True


def response_schema_name(path: str) -> str:
    """The component name of ``path``'s 200 reply, e.g. ``AccountsGetResponse``."""
    reply = document.plaid_document()["paths"][path]["post"]["responses"]["200"]
    ref = reply["content"]["application/json"]["schema"]["$ref"]
    return str(ref.rsplit("/", 1)[1])


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document.plaid_components()}
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


def openapi_errors(path: str, body: dict[str, Any]) -> list[str]:
    """Every way ``body`` breaks the OpenAPI schema of ``path``'s reply."""
    validator = _validator(response_schema_name(path))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


def _shape(value: Any) -> Any:
    """Which keys are present and which are null, recursively: one shape per variant."""
    if isinstance(value, dict):
        return tuple(sorted((key, _shape(v)) for key, v in value.items()))
    if isinstance(value, list):
        return tuple(sorted({_shape(v) for v in value}, key=repr))
    return type(value).__name__


def sample(body: Any, keep: int = 3) -> Any:
    """``body`` with long arrays cut to a few items of each distinct shape.

    Validating hundreds of transactions through the SDK takes seconds; every shape
    (pending or posted, with or without merchant, location, counterparties...) is
    still checked.
    """
    if isinstance(body, dict):
        return {key: sample(value, keep) for key, value in body.items()}
    if not isinstance(body, list):
        return body
    seen: dict[Any, int] = {}
    kept = []
    for value in body:
        shape = _shape(value)
        if seen.get(shape, 0) < keep:
            seen[shape] = seen.get(shape, 0) + 1
            kept.append(sample(value, keep))
    return kept


def _snake(name: str) -> str:
    """plaid-python's module name of a model: ``HostedMMDVerificationWebhook`` is
    ``hosted_mmd_verification_webhook`` (an acronym is one word)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def sdk_model(name: str) -> type:
    """The plaid-python model class generated for component ``name``."""
    module = importlib.import_module(f"plaid.model.{_snake(name)}")
    model: type = getattr(module, name)
    return model


class FakeResponse:
    """Just enough of urllib3's response for ``ApiClient.deserialize``."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.data = json.dumps(body).encode()

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return default


def sdk_deserialize(path: str, body: dict[str, Any]) -> Any:
    """Deserialize ``body`` as the SDK does for ``path`` (type checking on)."""
    import plaid

    client = plaid.ApiClient(plaid.Configuration())
    model = sdk_model(response_schema_name(path))
    return client.deserialize(FakeResponse(body), (model,), True)


def sdk_model_errors(name: str, body: dict[str, Any]) -> list[str]:
    """How ``body`` fails plaid-python's model ``name`` (webhook bodies have no path)."""
    import plaid

    client = plaid.ApiClient(plaid.Configuration())
    try:
        client.deserialize(FakeResponse(body), (sdk_model(name),), True)
    except Exception as exc:  # the SDK raises TypeError, ApiTypeError, ApiValueError...
        return [f"sdk {type(exc).__name__}: {exc}"]
    return []


def error_errors(body: dict[str, Any]) -> list[str]:
    """Every way an error reply breaks Plaid's ``PlaidError`` schema or the SDK's model."""
    import plaid

    validator = _validator("PlaidError")
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]
    client = plaid.ApiClient(plaid.Configuration())
    try:
        client.deserialize(FakeResponse(body), (sdk_model("PlaidError"),), True)
    except Exception as exc:  # the SDK raises TypeError, ApiTypeError, ApiValueError...
        problems.append(f"sdk {type(exc).__name__}: {exc}")
    return problems


def example_key_gaps(path: str, body: dict[str, Any]) -> list[str]:
    """The keys of Plaid's own example replies of ``path`` (in its OpenAPI document) that
    ``body`` lacks, in every object both have: Plaid sends those keys, null when unknown,
    and plaid-python raises on reading an optional key a reply left out."""
    content = document.plaid_document()["paths"][path]["post"]["responses"]["200"]["content"]
    gaps: set[str] = set()
    for example in content["application/json"].get("examples", {}).values():
        _key_gaps(example["value"], body, "", gaps)
    return sorted(gaps)


def _key_gaps(example: Any, body: Any, prefix: str, gaps: set[str]) -> None:
    if isinstance(example, dict) and isinstance(body, dict):
        for key, value in example.items():
            if key not in body:
                gaps.add(f"{prefix}{key}")
            else:
                _key_gaps(value, body[key], f"{prefix}{key}.", gaps)
    elif isinstance(example, list) and example and isinstance(body, list):
        for item in body:  # Plaid's first item stands for every item of ours
            _key_gaps(example[0], item, f"{prefix}[].", gaps)
