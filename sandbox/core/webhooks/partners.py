"""Processor partners' webhooks: the item's webhooks Plaid also sends to each partner.

A partner that gave its processor token a webhook (``/processor/token/webhook/update``) and
may read the webhook's product (``/processor/token/permissions/set``) gets a copy of each
webhook in ``COPIED``, in the shape of Plaid's ``Processor*Webhook``: ``account_id`` instead
of ``item_id``, and only what concerns its account (its new transactions, its removed ids).
The copies are outbox events like the app's, so signing, retries, the control API and
``/sandbox/item/fire_webhook`` treat them alike; each partner's events keep their own order.

Which webhooks reach a partner, from Plaid's OpenAPI document (docs/processor.md): every
Transactions one (a ``Processor*Webhook`` schema each); Investments Transactions ones (the
processor endpoint says the token's webhook URL receives them; no schema); Auth's
``DEFAULT_UPDATE`` (its description sends the receiver to ``/processor/auth/get``; no
schema). Holdings, Liabilities and the micro-deposit Auth webhooks are not documented for
partners and stay the app's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Item, ProcessorToken, Tenant
from .outbox import CATALOGUE, emit, retarget_held

# A partner's facts for its account (None: this webhook does not concern that account).
PerAccount = Callable[[str], dict[str, Any] | None]

# (webhook type, code) copied to partners -> the product a token must be permitted to read.
# DIVERGES (unconfirmed): Plaid gives no processor schema of the Investments Transactions and
# Auth copies; they are worded as the Transactions ones are (the item's body, ``account_id``
# in place of ``item_id``, the account's share of it).
COPIED: dict[tuple[str, str], str] = {
    **{("TRANSACTIONS", code): "transactions" for code in CATALOGUE["TRANSACTIONS"]},
    **{
        ("INVESTMENTS_TRANSACTIONS", code): "investments"
        for code in CATALOGUE["INVESTMENTS_TRANSACTIONS"]
    },
    ("AUTH", "DEFAULT_UPDATE"): "auth",
}


def watchers(session: Session, item: Item, product: str) -> list[ProcessorToken]:
    """The item's processor tokens with a webhook that may read ``product``."""
    rows = session.scalars(
        select(ProcessorToken)
        .where(ProcessorToken.item_pk == item.pk, ProcessorToken.webhook.is_not(None))
        .order_by(ProcessorToken.created_at, ProcessorToken.token)
    )
    return [row for row in rows if row.permits(product)]


def hearing(session: Session, item: Item, webhook_type: str, code: str) -> list[ProcessorToken]:
    """The item's processor tokens that get a copy of ``webhook_type``/``code``."""
    product = COPIED.get((webhook_type, code))
    return [] if product is None else watchers(session, item, product)


def send(
    session: Session,
    tenant: Tenant,
    item: Item,
    webhook_type: str,
    code: str,
    facts: dict[str, Any],
    *,
    per_account: PerAccount | None = None,
    delay: dt.timedelta = dt.timedelta(0),
) -> None:
    """Queue ``webhook_type``/``code`` to the item's URL and to each partner that hears it.

    ``per_account(account_id)`` words a partner's copy; without it every partner gets
    ``facts``, as for ``SYNC_UPDATES_AVAILABLE``, which is about the whole item.
    """
    emit(session, tenant, item, webhook_type, code, facts, delay=delay)
    for token in hearing(session, item, webhook_type, code):
        own = facts if per_account is None else per_account(token.account_id)
        if own is not None:
            copy(session, tenant, item, token, webhook_type, code, own, delay=delay)


def copy(
    session: Session,
    tenant: Tenant,
    item: Item,
    token: ProcessorToken,
    webhook_type: str,
    code: str,
    own: dict[str, Any],
    *,
    delay: dt.timedelta = dt.timedelta(0),
) -> None:
    """Queue one partner's copy: its account's facts ``own``, named by ``account_id``."""
    facts = {"account_id": token.account_id, **own}
    emit(session, tenant, item, webhook_type, code, facts, partner=token, delay=delay)


def webhook_updated(session: Session, tenant: Tenant, item: Item, token: ProcessorToken) -> None:
    """``/processor/token/webhook/update``: acknowledge at the new URL (nothing when cleared),
    where the token's held-back webhooks now go too."""
    retarget_held(session, item, token, token.webhook)
    facts = {"new_webhook_url": token.webhook, "error": None}
    copy(session, tenant, item, token, "PROCESSOR_TOKEN", "WEBHOOK_UPDATE_ACKNOWLEDGED", facts)
