"""The webhook dispatcher's catch-up passes: what nobody's call would do in time.

Each pass finds the items waiting for something the tenant clock has reached (a held-back
history, an Investments extraction's end, a new day of a running clock) and does for each
what a call on it would (``Bank.load_history``, ``bank.investments.finish_extraction``,
``Bank.follow``), committing item by item, so the webhooks that follow go out in the same
dispatcher pass even when nobody reads the item.

They live apart from ``bank`` because they are no tenant's call: each builds the ``Bank`` of
the item's tenant, and only the worker runs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from . import errors, running_clocks
from .bank import Bank
from .models import Item


def load_pending_histories(
    session: Session, historical_delay: dt.timedelta, tenant_id: int | None = None
) -> int:
    """Write the held-back history of every item still waiting for it; returns how many.

    The webhook dispatcher calls this first, so ``HISTORICAL_UPDATE`` follows a link within a
    poll even when nobody reads the item.
    """
    waiting = 0
    for bank, item in _each_item(
        session, historical_delay, tenant_id, Item.history_pending_through.is_not(None)
    ):
        bank.load_history(item)
        waiting += 1
    return waiting


def finish_due_extractions(
    session: Session, historical_delay: dt.timedelta, tenant_id: int | None = None
) -> int:
    """End every Investments extraction the tenant clock has passed; returns how many ended.

    The webhook dispatcher calls this with ``load_pending_histories``, so ``HISTORICAL_UPDATE``
    follows the extraction within a poll even when nobody calls the item.
    """
    ended = 0
    for bank, item in _each_item(
        session,
        historical_delay,
        tenant_id,
        Item.investments_extracting_since.is_not(None),
        Item.error_code.is_(None),
    ):
        ended += bank.investments.finish_extraction(item)
    return ended


def follow_running_clocks(
    session: Session,
    historical_delay: dt.timedelta,
    tenant_id: int | None = None,
    limit: int = running_clocks.ITEMS_PER_PASS,
) -> int:
    """Bring along the items that running tenant clocks carried past a new day, a posting, a
    consent's notice or end or a micro-deposit's verification (``running_clocks``), at most
    ``limit`` per call; returns how many were looked at.

    The webhook dispatcher calls this each pass, so a demo left running hears
    ``DEFAULT_UPDATE``, ``PENDING_EXPIRATION``... as real time passes, as with Plaid, with no
    call to the API: the same work a clock move does (``Bank.follow``), item by item, each
    committed before the next. Two dispatchers at once each lock the item first, so the
    second finds it caught up and queues nothing twice.
    """
    looked = 0
    for tenant in running_clocks.running_tenants(session, tenant_id):
        bank = Bank(session, tenant, historical_delay=historical_delay)
        for item in running_clocks.passed(session, tenant, bank.now(), limit - looked):
            looked += 1
            try:
                bank.follow(item, running_clocks.since(item))
            except errors.ItemNotFound:  # deleted meanwhile (a tenant reset)
                session.rollback()
                continue
            session.commit()
        if looked >= limit:
            break
    return looked


def _each_item(
    session: Session,
    historical_delay: dt.timedelta,
    tenant_id: int | None,
    *where: ColumnElement[bool],
) -> Iterator[tuple[Bank, Item]]:
    """The live items ``where`` holds (of one tenant, or all), each with its tenant's bank, for
    the dispatcher's catch-up; what is done with one is committed before the next."""
    query = select(Item).where(Item.removed_at.is_(None), *where)
    if tenant_id is not None:
        query = query.where(Item.tenant_id == tenant_id)
    for item in list(session.scalars(query)):
        yield Bank(session, item.tenant, historical_delay=historical_delay), item
        session.commit()
