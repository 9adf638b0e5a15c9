"""The webhook outbox: Plaid's catalogue and ``emit``, which queues one event in the caller's
transaction so a webhook exists exactly when the change that caused it is committed.

Delivery (signing, retries, ordering) lives in ``dispatch``; this module only writes rows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from .models import Item, Tenant, WebhookEvent

ENVIRONMENT = "sandbox"

CATALOGUE: dict[str, frozenset[str]] = {
    "TRANSACTIONS": frozenset(
        {
            "SYNC_UPDATES_AVAILABLE",
            "INITIAL_UPDATE",
            "HISTORICAL_UPDATE",
            "DEFAULT_UPDATE",
            "TRANSACTIONS_REMOVED",
            "RECURRING_TRANSACTIONS_UPDATE",
        }
    ),
    "ITEM": frozenset(
        {
            "ERROR",
            "LOGIN_REPAIRED",
            "PENDING_EXPIRATION",
            "PENDING_DISCONNECT",
            "USER_PERMISSION_REVOKED",
            "USER_ACCOUNT_REVOKED",
            "WEBHOOK_UPDATE_ACKNOWLEDGED",
            "NEW_ACCOUNTS_AVAILABLE",
        }
    ),
    "LINK": frozenset({"SESSION_FINISHED", "ITEM_ADD_RESULT", "EVENTS"}),
}


def render(
    webhook_type: str, webhook_code: str, item_id: str | None, payload: dict[str, Any]
) -> str:
    """The body exactly as it goes on the wire: Plaid's key order, 2-space-indented JSON."""
    document: dict[str, Any] = {"webhook_type": webhook_type, "webhook_code": webhook_code}
    if item_id is not None:
        document["item_id"] = item_id
    document.update(payload)
    document["environment"] = ENVIRONMENT
    return json.dumps(document, indent=2)


def emit(
    session: Session,
    tenant: Tenant,
    item: Item | None,
    webhook_type: str,
    webhook_code: str,
    payload: dict[str, Any],
    *,
    url: str | None = None,
    delay: dt.timedelta = dt.timedelta(0),
) -> WebhookEvent | None:
    """Queue a webhook to ``url`` (default: the item's) in the caller's transaction.

    ``payload`` holds the keys beyond type, code, item id and environment. Nothing is
    queued when there is no URL, as Plaid sends nothing to an item without a webhook.
    ``delay`` holds the event back (``HISTORICAL_UPDATE`` comes after the initial pull).
    """
    target = url or (item.webhook if item is not None else None)
    if not target:
        return None
    if webhook_code not in CATALOGUE.get(webhook_type, frozenset()):
        raise ValueError(f"not a Plaid webhook: {webhook_type}/{webhook_code}")
    now = dt.datetime.now(dt.UTC)
    event = WebhookEvent(
        tenant_id=tenant.id,
        item_id=item.id if item is not None else None,
        url=target,
        webhook_type=webhook_type,
        webhook_code=webhook_code,
        body=render(webhook_type, webhook_code, item.id if item else None, payload),
        status="pending",
        attempts=0,
        next_attempt_at=now + delay,
        created_at=now,
    )
    session.add(event)
    session.flush()
    return event
