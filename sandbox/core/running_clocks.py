"""Which items a running tenant clock has carried past something while nobody called.

A frozen clock changes only when it is moved, and the move brings every item along
(``Bank.set_clock``). A running one crosses midnight, a pending row's posting day, a consent's
notice or end, a micro-deposit's verification on its own: the webhook dispatcher asks here,
each pass, for the items where one of those has passed and that have a webhook to tell (the
item's or a processor token's), and brings each along as a clock move does (``Bank.follow``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from .consent import NOTICE
from .microdeposits import PENDING, VERIFICATION_DELAY
from .models import Account, Item, ProcessorToken, Tenant

# The items one dispatcher pass brings along at most: the rest wait for the next pass, so a
# pass that finds a thousand items a day behind still delivers what is due meanwhile.
ITEMS_PER_PASS = 20


def running_tenants(session: Session, tenant_id: int | None = None) -> list[Tenant]:
    """The tenants (all, or ``tenant_id``) whose clock runs and that have an item to tell."""
    query = select(Tenant).where(
        Tenant.clock_frozen_at.is_(None),
        exists().where(Item.tenant_id == Tenant.id, Item.removed_at.is_(None), _heard()),
    )
    if tenant_id is not None:
        query = query.where(Tenant.id == tenant_id)
    return list(session.scalars(query.order_by(Tenant.id)))


def passed(session: Session, tenant: Tenant, now: dt.datetime, limit: int) -> list[Item]:
    """Up to ``limit`` of the tenant's live items with a webhook that its clock, showing
    ``now``, has carried past something a clock move would act on."""
    today = now.date()
    healthy = Item.error_code.is_(None)
    new_day = and_(
        healthy,
        or_(
            Item.generated_through < today,
            Item.next_post_on.is_(None),
            Item.next_post_on <= today,
        ),
    )
    consent_due = and_(
        healthy,
        Item.consent_expires_at <= now + NOTICE,
        or_(
            Item.consent_warned_for.is_distinct_from(Item.consent_expires_at),
            Item.consent_expires_at <= now,
        ),
    )
    verifying = and_(
        Item.created_at <= now - VERIFICATION_DELAY,
        exists().where(Account.item_pk == Item.pk, Account.verification_status == PENDING),
    )
    query = (
        select(Item)
        .where(
            Item.tenant_id == tenant.id,
            Item.removed_at.is_(None),
            _heard(),
            or_(new_day, consent_due, verifying),
        )
        .order_by(Item.pk)
        .limit(limit)
    )
    return list(session.scalars(query))


def since(item: Item) -> dt.datetime:
    """The instant the item was last brought along, at the earliest: the start of the last day
    written (a consent that ended after it still warns first, as the days in between did)."""
    return dt.datetime.combine(item.generated_through, dt.time.min, tzinfo=dt.UTC)


def _heard() -> ColumnElement[bool]:
    """An item whose webhooks go somewhere: its own URL, or a processor token's."""
    partner = exists().where(ProcessorToken.item_pk == Item.pk, ProcessorToken.webhook.is_not(None))
    return or_(Item.webhook.is_not(None), partner)
