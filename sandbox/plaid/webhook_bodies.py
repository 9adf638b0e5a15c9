"""Plaid's webhook bodies: the one renderer the core's outbox is given for this dialect.

The core queues facts (type, code, item and a payload that may hold a ``CoreError`` or a
``datetime``); this module turns them into the exact bytes Plaid sends: its key order,
its error object and its timestamps, as 2-space-indented JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..core.errors import CoreError
from .errors import error_object
from .responses import timestamp

ENVIRONMENT = "sandbox"


def render(webhook_type: str, webhook_code: str, item_id: str | None, facts: dict[str, Any]) -> str:
    """The body exactly as it goes on the wire."""
    document: dict[str, Any] = {"webhook_type": webhook_type, "webhook_code": webhook_code}
    if item_id is not None:
        document["item_id"] = item_id
    document.update({key: _wire(value) for key, value in facts.items()})
    document["environment"] = ENVIRONMENT
    return json.dumps(document, indent=2)


def _wire(value: Any) -> Any:
    """A fact in Plaid's words: errors as error objects, instants as ``/item/get`` words them
    (ISO 8601 UTC to the second: an app compares a warning's ``consent_expiration_time`` with
    the item's)."""
    if isinstance(value, CoreError):
        return error_object(value, with_request_id=False)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    return value
