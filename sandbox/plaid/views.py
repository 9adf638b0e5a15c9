"""Helpers every Plaid view uses: load the body with a schema, reply with a request id."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, ValidationError

from ..core.bank import Bank
from ..core.models import Account, Item
from ..core.tokens import request_id
from . import auth
from .errors import from_validation
from .responses import AccountSchema, ItemSchema


def load(schema: type[Schema]) -> dict[str, Any]:
    """The request body validated by ``schema``; errors name the field."""
    try:
        data: dict[str, Any] = schema().load(auth.body())
    except ValidationError as err:
        raise from_validation(err) from None
    return data


def reply(**payload: Any) -> Response:
    """A JSON reply with Plaid's ``request_id``."""
    payload["request_id"] = request_id()
    return jsonify(payload)


def item_json(bank: Bank, item: Item) -> dict[str, Any]:
    """The ``item`` object of a reply."""
    result: dict[str, Any] = ItemSchema(bank.institution_of(item)).dump(item)
    return result


def accounts_json(accounts: list[Account]) -> list[dict[str, Any]]:
    """The ``accounts`` array of a reply."""
    result: list[dict[str, Any]] = AccountSchema(many=True).dump(accounts)
    return result


def account_ids(data: dict[str, Any]) -> list[str] | None:
    """``options.account_ids`` if given."""
    ids: list[str] | None = (data.get("options") or {}).get("account_ids")
    return ids
