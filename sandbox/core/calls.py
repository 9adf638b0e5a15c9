"""What a call's access token resolves to: one statement, read once per call.

The gate (``bank.faults.gate``) and the view both need the item behind the call's access
token; the gate also reads the tenant's health override of the item's institution and its
rate-limit setting. One statement of plain columns reads all of it (a row costs a fraction
of an ORM object); ``Bank`` keeps the row for the rest of the call, shows it as the item when
nothing is to be written, and loads the item itself when a call changes it.

A dialect that knows the access token when it authenticates reads the tenant in the same
statement (``with_tenant``): one statement, and on PostgreSQL one round trip, fewer. A call
whose reply is the item's accounts reads them in that statement too (``with_accounts``).
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from . import accounts, tokens
from .accounts import ShownAccount
from .models import AccessToken, InstitutionHealth, Item, RateLimitSetting, Tenant
from .prepared import Prepared

if TYPE_CHECKING:

    class Called(Item):
        """A row of ``_CALLED``: the item's columns under their names, and these."""

        token_revoked_at: dt.datetime | None
        health_status: str | None  # the tenant's override of the institution, if any
        limits_enabled: bool | None  # the tenant's rate-limit setting, if any
        limit_overrides: dict[str, Any] | None
        # the item's accounts as replies show them, when the call read them with the item
        shown_accounts: list[ShownAccount] | None

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


def _tenant_and_called(*extra: Any) -> Prepared:
    """The tenant of ``client_id`` and, when the token is one of its items', what
    ``_CALLED`` reads (and ``extra``). The call's columns are labelled apart (items and
    tenants share column names) and split off the row by position."""
    return Prepared(
        select(
            *_TENANTS.c, *(column.label(f"called_{i}") for i, column in enumerate(_COLUMNS)), *extra
        )
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


_TENANT_AND_CALLED = _tenant_and_called()
# The same and, in one more column, the item's accounts as replies show them: for the calls
# whose reply is those accounts, one statement instead of two.
_TENANT_CALLED_AND_ACCOUNTS = _tenant_and_called(accounts.shown_column(_ITEMS.c.pk))
_TENANT_WIDTH = len(_TENANTS.c)
_CALLED_END = _TENANT_WIDTH + len(_COLUMNS)


def _row_type(names: Iterable[str]) -> Any:
    """A named tuple of these fields, as ``Prepared`` makes its rows."""
    return namedtuple("Row", names)


_TenantRow = _row_type(column.name for column in _TENANTS.c)
_CalledRow = _row_type([*(column.name for column in _COLUMNS), "shown_accounts"])
_ITEM_PK = _TENANT_WIDTH + [column.name for column in _COLUMNS].index("pk")


def resolve(session: Session, tenant_id: int, access_token: str) -> Called | None:
    """The tenant's item behind ``access_token`` (revoked or removed ones too), or None."""
    session.flush()  # a token or item this session made is found like a stored one
    params = {"tenant_id": tenant_id, "token": tokens.at_rest(session, access_token)}
    found = _CALLED.first(session, params)
    return None if found is None else _CalledRow._make((*found, None))


def with_tenant(
    session: Session, client_id: str, access_token: str, *, with_accounts: bool = False
) -> tuple[Tenant | None, Called | None]:
    """The row of the tenant ``client_id`` names (as ``tenants.authenticate`` reads it) and,
    in the same statement, what ``access_token`` resolves to for that tenant (``resolve``),
    with its item's accounts if ``with_accounts``. A call's first read: nothing in the
    session is left to flush."""
    params = {"client_id": client_id, "token": tokens.at_rest(session, access_token)}
    statement = _TENANT_CALLED_AND_ACCOUNTS if with_accounts else _TENANT_AND_CALLED
    row = statement.first(session, params)
    if row is None:
        return None, None
    called = None
    if row[_ITEM_PK] is not None:
        shown = accounts.shown_from_column(row[_CALLED_END]) if with_accounts else None
        called = _CalledRow._make((*row[_TENANT_WIDTH:_CALLED_END], shown))
    return _TenantRow._make(row[:_TENANT_WIDTH]), called
