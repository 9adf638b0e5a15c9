"""Helpers every Plaid view uses: load the body with a schema, reply with a request id."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, ValidationError

from ..core.bank import Bank, request_id
from ..core.institutions import Institution
from ..core.models import Account, Item
from . import auth
from .errors import from_validation
from .responses import AccountSchema, ItemSchema

ACCOUNTS = AccountSchema(many=True)  # built once: a schema deep-copies its fields when built


def load(schema: type[Schema]) -> dict[str, Any]:
    """The request body validated by ``schema``; errors name the field."""
    try:
        data: dict[str, Any] = _instance(schema).load(auth.body())
    except ValidationError as err:
        raise from_validation(err) from None
    return data


@cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per request schema: loading keeps no state in the instance."""
    return schema()


@lru_cache(maxsize=256)
def _item_schema(institution: Institution) -> ItemSchema:
    """One ``ItemSchema`` per institution (the catalogue is fixed)."""
    return ItemSchema(institution)


def reply(**payload: Any) -> Response:
    """A JSON reply with Plaid's ``request_id``."""
    payload["request_id"] = request_id()
    return jsonify(payload)


def item_json(bank: Bank, item: Item) -> dict[str, Any]:
    """The ``item`` object of a reply."""
    result: dict[str, Any] = _item_schema(bank.institution_of(item)).dump(item)
    return result


def accounts_json(accounts: list[Account]) -> list[dict[str, Any]]:
    """The ``accounts`` array of a reply."""
    result: list[dict[str, Any]] = ACCOUNTS.dump(accounts)
    return result


def account_ids(data: dict[str, Any]) -> list[str] | None:
    """``options.account_ids`` if given."""
    ids: list[str] | None = (data.get("options") or {}).get("account_ids")
    return ids
