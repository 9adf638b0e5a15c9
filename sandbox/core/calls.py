"""What a call's access token resolves to: one statement, read once per call.

The gate (``bank.faults.gate``) and the view both need the item behind the call's access
token; the gate also reads the tenant's health override of the item's institution and its
rate-limit setting. One statement of plain columns reads all of it (a row costs a fraction
of an ORM object); ``Bank`` keeps the row for the rest of the call, shows it as the item when
nothing is to be written, and loads the item itself when a call changes it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from . import tokens
from .models import AccessToken, InstitutionHealth, Item, RateLimitSetting
from .prepared import Prepared

if TYPE_CHECKING:

    class Called(Item):
        """A row of ``_CALLED``: the item's columns under their names, and these."""

        token_revoked_at: dt.datetime | None
        health_status: str | None  # the tenant's override of the institution, if any
        limits_enabled: bool | None  # the tenant's rate-limit setting, if any
        limit_overrides: dict[str, Any] | None

else:
    Called = Any

_TOKENS, _ITEMS = AccessToken.__table__, Item.__table__
_HEALTH, _LIMITS = InstitutionHealth.__table__, RateLimitSetting.__table__

# Built once (every call with an access token runs it): compiled once per dialect.
_CALLED = Prepared(
    select(
        _TOKENS.c.revoked_at.label("token_revoked_at"),
        *_ITEMS.c,
        _HEALTH.c.status.label("health_status"),
        _LIMITS.c.enabled.label("limits_enabled"),
        _LIMITS.c.limits.label("limit_overrides"),
    )
    .select_from(
        _TOKENS.join(
            _ITEMS,
            and_(_ITEMS.c.pk == _TOKENS.c.item_pk, _ITEMS.c.tenant_id == bindparam("tenant_id")),
        )
        .outerjoin(
            _HEALTH,
            and_(
                _HEALTH.c.tenant_id == bindparam("tenant_id"),
                _HEALTH.c.institution_id == _ITEMS.c.institution_id,
            ),
        )
        .outerjoin(_LIMITS, _LIMITS.c.tenant_id == bindparam("tenant_id"))
    )
    .where(_TOKENS.c.token == bindparam("token"))
)


def resolve(session: Session, tenant_id: int, access_token: str) -> Called | None:
    """The tenant's item behind ``access_token`` (revoked or removed ones too), or None."""
    session.flush()  # a token or item this session made is found like a stored one
    params = {"tenant_id": tenant_id, "token": tokens.at_rest(session, access_token)}
    found: Called | None = _CALLED.first(session, params)
    return found
