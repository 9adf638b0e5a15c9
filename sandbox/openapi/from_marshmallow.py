"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) from a marshmallow request schema.

The control API's request bodies are marshmallow schemas; documenting them from the
schema keeps the document and the validation from drifting apart. A field type this
module does not know raises ``TypeError``, so a new kind of field cannot be
documented wrongly by accident.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

# Most specific first: AwareDateTime is a DateTime, Integer is a Number, and so on.
FIELD_TYPES: tuple[tuple[type[fields.Field[Any]], dict[str, Any]], ...] = (
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Number, {"type": "number"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.URL, {"type": "string", "format": "uri"}),
    (fields.String, {"type": "string"}),
    (fields.Dict, {"type": "object"}),
)


def object_schema(schema: Schema) -> dict[str, Any]:
    """The JSON object that ``schema.load`` accepts."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        properties[key] = field_schema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if schema.unknown == RAISE:
        out["additionalProperties"] = False
    return out


def field_schema(field: fields.Field[Any]) -> dict[str, Any]:
    """One field: its type, its validators' bounds, ``null`` when it allows none, and the
    field's ``description`` metadata."""
    if isinstance(field, fields.Nested):
        nested = field.schema
        out = object_schema(nested)
        out = {"type": "array", "items": out} if nested.many else out
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    else:
        out = dict(_base_type(field))
    for validator in field.validators:
        out.update(_bounds(validator, out["type"]))
    if field.allow_none:
        out["type"] = [out["type"], "null"]
    if "description" in field.metadata:  # what the type cannot say (what null means)
        out["description"] = field.metadata["description"]
    return out


def _base_type(field: fields.Field[Any]) -> dict[str, Any]:
    for cls, described in FIELD_TYPES:
        if isinstance(field, cls):
            return described
    raise TypeError(f"no JSON Schema for marshmallow field {type(field).__name__}")


def _bounds(validator: Any, kind: str) -> dict[str, Any]:
    """The JSON Schema keywords of one marshmallow validator."""
    if isinstance(validator, validate.Range):
        low = "minimum" if validator.min_inclusive else "exclusiveMinimum"
        high = "maximum" if validator.max_inclusive else "exclusiveMaximum"
        found = {low: validator.min, high: validator.max}
    elif isinstance(validator, validate.Length):
        prefix = {"string": "Length", "array": "Items", "object": "Properties"}[kind]
        low_key, high_key = f"min{prefix}", f"max{prefix}"
        if validator.equal is not None:
            found = {low_key: validator.equal, high_key: validator.equal}
        else:
            found = {low_key: validator.min, high_key: validator.max}
    elif isinstance(validator, validate.OneOf):
        found = {"enum": list(validator.choices)}
    elif isinstance(validator, validate.Regexp):
        found = {"pattern": validator.regex.pattern}
    else:
        raise TypeError(f"no JSON Schema for marshmallow validator {type(validator).__name__}")
    return {key: value for key, value in found.items() if value is not None}
