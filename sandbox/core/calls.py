"""What a call's access token resolves to: one statement, read once per call.

The gate (``bank.faults.gate``) and the view both need the item behind the call's access
token; the gate also reads the tenant's health override of the item's institution and its
rate-limit setting. One statement of plain columns reads all of it (a row costs a fraction
of an ORM object); ``Bank`` keeps the row for the rest of the call, shows it as the item when
nothing is to be written, and loads the item itself when a call changes it.

A dialect that knows the access token when it authenticates reads the tenant in the same
statement (``with_tenant``): one statement, and on PostgreSQL one round trip, fewer.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from . import tokens
from .models import AccessToken, InstitutionHealth, Item, RateLimitSetting, Tenant
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
_TENANTS = Tenant.__table__

# What a call resolves to, by the name ``Called`` reads it under.
_COLUMNS = (
    _TOKENS.c.revoked_at.label("token_revoked_at"),
    *_ITEMS.c,
    _HEALTH.c.status.label("health_status"),
    _LIMITS.c.enabled.label("limits_enabled"),
    _LIMITS.c.limits.label("limit_overrides"),
)


def _health_of_item(tenant_id: Any) -> Any:
    """The tenant's health override of the item's institution, if any."""
    return and_(
        _HEALTH.c.tenant_id == tenant_id, _HEALTH.c.institution_id == _ITEMS.c.institution_id
    )


# Built once (every call with an access token runs it): compiled once per dialect.
_CALLED = Prepared(
    select(*_COLUMNS)
    .select_from(
        _TOKENS.join(
            _ITEMS,
            and_(_ITEMS.c.pk == _TOKENS.c.item_pk, _ITEMS.c.tenant_id == bindparam("tenant_id")),
        )
        .outerjoin(_HEALTH, _health_of_item(bindparam("tenant_id")))
        .outerjoin(_LIMITS, _LIMITS.c.tenant_id == bindparam("tenant_id"))
    )
    .where(_TOKENS.c.token == bindparam("token"))
)

# The tenant of ``client_id`` and, when the token is one of its items', what ``_CALLED``
# reads. The call's columns are labelled apart (items and tenants share column names) and
# split off the row by position.
_TENANT_AND_CALLED = Prepared(
    select(*_TENANTS.c, *(column.label(f"called_{i}") for i, column in enumerate(_COLUMNS)))
    .select_from(
        _TENANTS.outerjoin(
            _TOKENS.join(_ITEMS, _ITEMS.c.pk == _TOKENS.c.item_pk),
            and_(_TOKENS.c.token == bindparam("token"), _ITEMS.c.tenant_id == _TENANTS.c.id),
        )
        .outerjoin(_HEALTH, _health_of_item(_TENANTS.c.id))
        .outerjoin(_LIMITS, _LIMITS.c.tenant_id == _TENANTS.c.id)
    )
    .where(_TENANTS.c.client_id == bindparam("client_id"))
)
_TENANT_WIDTH = len(_TENANTS.c)


def _row_type(columns: Iterable[Any]) -> Any:
    """A named tuple of the columns' names, as ``Prepared`` makes its rows."""
    return namedtuple("Row", [column.name for column in columns])


_TenantRow, _CalledRow = _row_type(_TENANTS.c), _row_type(_COLUMNS)
_ITEM_PK = _TENANT_WIDTH + [column.name for column in _COLUMNS].index("pk")


def resolve(session: Session, tenant_id: int, access_token: str) -> Called | None:
    """The tenant's item behind ``access_token`` (revoked or removed ones too), or None."""
    session.flush()  # a token or item this session made is found like a stored one
    params = {"tenant_id": tenant_id, "token": tokens.at_rest(session, access_token)}
    found: Called | None = _CALLED.first(session, params)
    return found


def with_tenant(
    session: Session, client_id: str, access_token: str
) -> tuple[Tenant | None, Called | None]:
    """The row of the tenant ``client_id`` names (as ``tenants.authenticate`` reads it) and,
    in the same statement, what ``access_token`` resolves to for that tenant (``resolve``).
    A call's first read: nothing in the session is left to flush."""
    params = {"client_id": client_id, "token": tokens.at_rest(session, access_token)}
    row = _TENANT_AND_CALLED.first(session, params)
    if row is None:
        return None, None
    called = None if row[_ITEM_PK] is None else _CalledRow._make(row[_TENANT_WIDTH:])
    return _TenantRow._make(row[:_TENANT_WIDTH]), called
