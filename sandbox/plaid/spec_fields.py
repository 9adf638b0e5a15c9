"""Request fields typed by Plaid's own OpenAPI components.

Plaid's requests carry many objects the sandbox stores but does not act on (``cra_options``,
``payment_initiation``, ``user.address``, …). Copying each by hand would drift from Plaid;
instead ``spec_field("LinkTokenCreateRequestAuth")`` builds the marshmallow field from the
component in the trimmed copy of Plaid's document that ships with the sandbox
(``sandbox/openapi/plaid-2020-09-14.json``), so a value of the wrong type is ``INVALID_FIELD``
naming it, never a 500 later. As everywhere in the Plaid dialect, unknown fields are refused
(Plaid's ``additionalProperties: true`` on a few objects is not followed).

Values load as JSON values (dates and timestamps stay strings) because the sandbox keeps
these objects in JSON columns, such as a link token's configuration.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from .requests import PlaidRequest, StrictBoolean, StrictInteger

# Read here rather than through ``sandbox.openapi.document``, which imports the control API.
DOCUMENT = files("sandbox.openapi").joinpath("plaid-2020-09-14.json")


@functools.cache
def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    return schemas


def spec_field(component: str, **kwargs: Any) -> fields.Field[Any]:
    """The field for Plaid's component ``component`` (``required=True`` etc. pass through)."""
    return _field({"$ref": f"#/components/schemas/{component}"}, **kwargs)


def _resolved(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with its ``$ref`` followed and its ``allOf`` parts merged into one schema."""
    if "$ref" in spec:
        return _resolved(_components()[spec["$ref"].rsplit("/", 1)[1]])
    merged = {k: v for k, v in spec.items() if k != "allOf"}
    for part in map(_resolved, spec.get("allOf", ())):
        merged = {
            **part,
            **merged,
            "properties": {**part.get("properties", {}), **merged.get("properties", {})},
            "required": [*part.get("required", ()), *merged.get("required", ())],
        }
    return merged


def _field(spec: dict[str, Any], **kwargs: Any) -> fields.Field[Any]:
    """The marshmallow field of one OpenAPI schema (objects, arrays and JSON scalars)."""
    spec = _resolved(spec)
    kwargs.setdefault("allow_none", bool(spec.get("nullable")))
    kind = spec.get("type", "object" if "properties" in spec else None)
    if kind == "object":
        return fields.Nested(lambda: _object_schema(spec), **kwargs)
    if kind == "array":
        size = validate.Length(spec.get("minItems"), spec.get("maxItems"))
        return fields.List(_field(spec["items"]), validate=size, **kwargs)
    if kind == "integer":
        return StrictInteger(validate=_range(spec), **kwargs)
    if kind == "number":
        return StrictNumber(validate=_range(spec), **kwargs)
    if kind == "boolean":
        return StrictBoolean(**kwargs)
    if kind == "string":
        return fields.String(validate=_string_rules(spec), **kwargs)
    raise ValueError(f"no field for the schema {spec!r}")


def _object_schema(spec: dict[str, Any]) -> Schema:
    """Built when a value is first loaded (``Nested`` calls it), not for every schema at import."""
    required = set(spec.get("required", ()))
    declared = {
        name: _field(prop, required=name in required)
        for name, prop in spec.get("properties", {}).items()
    }
    return PlaidRequest.from_dict(declared, name=spec.get("title", "PlaidObject"))()


def _range(spec: dict[str, Any]) -> validate.Range:
    return validate.Range(spec.get("minimum"), spec.get("maximum"))


def _string_rules(spec: dict[str, Any]) -> list[validate.Validator]:
    rules: list[validate.Validator] = [validate.Length(min=spec.get("minLength"))]
    if "enum" in spec:
        rules.append(validate.OneOf(spec["enum"]))
    if spec.get("format") in FORMATS:
        rules.append(FORMATS[spec["format"]])
    return rules


class ParsesAs(validate.Validator):
    """The string must read as ``field`` reads it (the string itself is what loads)."""

    def __init__(self, field: fields.Field[Any]) -> None:
        self.field = field

    def __call__(self, value: Any) -> Any:
        self.field.deserialize(value)
        return value


FORMATS = {"date": ParsesAs(fields.Date()), "date-time": ParsesAs(fields.AwareDateTime())}


class StrictNumber(fields.Float):
    """A number that must arrive as a JSON number (``"1.5"`` and ``true`` are rejected)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid number.")
        return super()._deserialize(value, attr, data, **kwargs)
