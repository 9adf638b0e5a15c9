"""The banks' cap on unattended access: a few data calls per connection per rolling day.

PSD2's RTS lets a bank refuse a third party's fifth call in 24 hours made while the user is
not present. Calls are counted on the tenant's clock (so moving the clock frees the quota)
and only while the cap is reached do they fail with ``UnattendedLimitReached``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import errors
from ..models import Item, UnattendedCall

CALLS_PER_WINDOW = 4
WINDOW = dt.timedelta(hours=24)


def count_call(session: Session, item: Item, now: dt.datetime) -> None:
    """Count one unattended call of ``item`` at ``now``, or refuse it when the cap is reached."""
    since = now - WINDOW
    session.execute(
        delete(UnattendedCall).where(UnattendedCall.item_pk == item.pk, UnattendedCall.at <= since)
    )
    made = session.scalar(
        select(func.count())
        .select_from(UnattendedCall)
        .where(UnattendedCall.item_pk == item.pk, UnattendedCall.at > since)
    )
    if (made or 0) >= CALLS_PER_WINDOW:
        raise errors.UnattendedLimitReached(limit=CALLS_PER_WINDOW, window_hours=24)
    session.add(UnattendedCall(item_pk=item.pk, at=now))
    session.flush()
