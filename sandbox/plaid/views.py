"""Helpers every Plaid view uses: load the body with a schema, reply with a request id."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, ValidationError

from ..core.bank import Bank, ShownAccount, request_id
from ..core.models import Item
from . import auth
from .errors import from_validation
from .faults import count_call
from .responses import account_json
from .responses import item_json as item_body


def load(schema: type[Schema]) -> dict[str, Any]:
    """The request body validated by ``schema``; errors name the field. A well-formed call
    then counts against its rate limits (a malformed one does not, as Plaid's do not)."""
    try:
        data: dict[str, Any] = _instance(schema).load(auth.body())
    except ValidationError as err:
        raise from_validation(err) from None
    count_call()
    return data


@cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per request schema: loading keeps no state in the instance."""
    return schema()


def reply(**payload: Any) -> Response:
    """A JSON reply with Plaid's ``request_id``."""
    payload["request_id"] = request_id()
    return jsonify(payload)


def file_reply(body: bytes, media_type: str, **headers: str) -> Response:
    """A binary reply (a PDF): Plaid carries its request id in the ``Plaid-Request-ID``
    header, there being no JSON body to hold ``request_id``."""
    return Response(
        body, mimetype=media_type, headers={"Plaid-Request-ID": request_id(), **headers}
    )


def item_json(bank: Bank, item: Item) -> dict[str, Any]:
    """The ``item`` object of a reply."""
    return item_body(
        item, bank.institution_of(item), bank.error_reason(item), bank.auth_method(item)
    )


def accounts_json(accounts: Sequence[ShownAccount]) -> list[dict[str, Any]]:
    """The accounts as ``AccountBase`` objects, for a reply that adds to them; a reply that
    shows them as they are embeds ``accounts_array``'s bytes."""
    return [account_json(account) for account in accounts]


def account_ids(data: dict[str, Any]) -> list[str] | None:
    """``options.account_ids`` if given."""
    ids: list[str] | None = (data.get("options") or {}).get("account_ids")
    return ids
