"""Processor partners' webhooks: the item's Transactions webhooks, copied to each partner.

A partner that gave its processor token a webhook (``/processor/token/webhook/update``) and
may read Transactions (``/processor/token/permissions/set``) gets each Transactions webhook
of the token's item in Plaid's ``Processor*Webhook`` shape: ``account_id`` instead of
``item_id``, and only what concerns its account (its new transactions, its removed ids).
The copies are outbox events like the app's, so signing, retries, the control API and
``/sandbox/item/fire_webhook`` treat them alike; each partner's events keep their own order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Item, ProcessorToken, Tenant
from .outbox import emit

# A partner's facts for its account (None: this webhook does not concern that account).
PerAccount = Callable[[str], dict[str, Any] | None]


def watchers(session: Session, item: Item) -> list[ProcessorToken]:
    """The item's processor tokens with a webhook that may read Transactions."""
    rows = session.scalars(
        select(ProcessorToken)
        .where(ProcessorToken.item_pk == item.pk, ProcessorToken.webhook.is_not(None))
        .order_by(ProcessorToken.created_at, ProcessorToken.token)
    )
    return [row for row in rows if row.permits("transactions")]


def transactions(
    session: Session,
    tenant: Tenant,
    item: Item,
    code: str,
    facts: dict[str, Any],
    *,
    per_account: PerAccount | None = None,
    delay: dt.timedelta = dt.timedelta(0),
) -> None:
    """Queue the Transactions webhook ``code`` to the item's URL and to each watching partner.

    ``per_account(account_id)`` words a partner's copy; without it every partner gets
    ``facts``, as for ``SYNC_UPDATES_AVAILABLE``, which is about the whole item.
    """
    emit(session, tenant, item, "TRANSACTIONS", code, facts, delay=delay)
    for token in watchers(session, item):
        own = facts if per_account is None else per_account(token.account_id)
        if own is not None:
            copy = {"account_id": token.account_id, **own}
            emit(session, tenant, item, "TRANSACTIONS", code, copy, partner=token, delay=delay)


def webhook_updated(session: Session, tenant: Tenant, item: Item, token: ProcessorToken) -> None:
    """``/processor/token/webhook/update``: acknowledge at the new URL (nothing when cleared)."""
    facts = {"account_id": token.account_id, "new_webhook_url": token.webhook, "error": None}
    emit(
        session,
        tenant,
        item,
        "PROCESSOR_TOKEN",
        "WEBHOOK_UPDATE_ACKNOWLEDGED",
        facts,
        partner=token,
    )
