"""``Prepared`` reads: the rows SQLAlchemy would give, on SQLite and PostgreSQL, and its errors."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sandbox.core import accounts, calls, sync, tenants, tokens
from sandbox.core.bank import Bank
from sandbox.core.models import Account, InstitutionHealth, RateLimitSetting, Tenant
from sandbox.core.prepared import Prepared
from sandbox.extensions import db, retryable
from tests.conftest import FROZEN_NOW
from tests.unit.conftest import link


def _linked(session: Session) -> tuple[Tenant, str]:
    tenant, _ = tenants.create(session, "prepared", 7)
    tenant.clock_frozen_at = FROZEN_NOW
    token = link(Bank(session, tenant))
    session.commit()
    return tenant, token


def _same_as_sqlalchemy(session: Session, prepared: Prepared, params: dict[str, Any]) -> None:
    """Named rows (``all``) and plain tuples (``tuples``) alike: SQLAlchemy's values."""
    ours = prepared.all(session, params)
    theirs = session.connection().execute(prepared.statement, params).all()
    assert ours, "the statement should find rows"
    assert [row._fields for row in ours] == [tuple(row._fields) for row in theirs]
    assert [tuple(row) for row in ours] == [tuple(row) for row in theirs]
    assert [type(value) for value in ours[0]] == [type(value) for value in theirs[0]]
    plain = prepared.tuples(session, params)
    assert plain == [tuple(row) for row in theirs] and type(plain[0]) is tuple
    assert [type(value) for value in plain[0]] == [type(value) for value in theirs[0]]


def test_the_hot_reads_give_sqlalchemys_rows(app: Flask) -> None:
    """Tenant, access token (item, health, limits) and accounts: names, values and types
    (UTC datetimes, dates, JSON) as SQLAlchemy converts them."""
    session = db.session()
    tenant, token = _linked(session)
    _same_as_sqlalchemy(session, tenants._BY_CLIENT_ID, {"client_id": tenant.client_id})
    params = {"tenant_id": tenant.id, "token": tokens.at_rest(session, token)}
    _same_as_sqlalchemy(session, calls._CALLED, params)
    called = calls.resolve(session, tenant.id, token)
    assert called is not None and called.created_at.tzinfo is not None
    _same_as_sqlalchemy(session, accounts._OF_ITEM, {"item_pk": called.pk})
    page = {"item_pk": called.pk, "position": 0, "limit": 50}
    _same_as_sqlalchemy(session, sync._PAGE[False], page)  # read as the driver gives it


def test_a_tenant_read_with_its_call_equals_the_two_reads(app: Flask) -> None:
    """``calls.with_tenant``: the tenant's row and the token's row as the separate reads give
    them (item, health override, rate-limit setting), only for the tenant's own token."""
    session = db.session()
    tenant, token = _linked(session)
    called = calls.resolve(session, tenant.id, token)
    assert called is not None
    session.add(
        InstitutionHealth(
            tenant_id=tenant.id,
            institution_id=called.institution_id,
            status="DOWN",
            failure_rate=1.0,
            changed_at=FROZEN_NOW,
        )
    )
    session.add(RateLimitSetting(tenant_id=tenant.id, enabled=False, limits={"/item/get": 3}))
    other, _ = tenants.create(session, "other", 8)
    session.commit()
    found, with_tenant = calls.with_tenant(session, tenant.client_id, token)
    alone = tenants._BY_CLIENT_ID.first(session, {"client_id": tenant.client_id})
    assert found == alone and found._fields == alone._fields
    expected = calls.resolve(session, tenant.id, token)
    assert with_tenant == expected and with_tenant._fields == expected._fields
    assert (with_tenant.health_status, with_tenant.limit_overrides) == ("DOWN", {"/item/get": 3})
    assert calls.with_tenant(session, tenant.client_id, "access-sandbox-nothing") == (found, None)
    assert calls.with_tenant(session, other.client_id, token)[1] is None  # not other's item
    assert calls.with_tenant(session, "nobody", token) == (None, None)


def test_accounts_read_with_the_call_equal_their_own_read(app: Flask) -> None:
    """``with_accounts``: the same tenant and token rows, and the item's accounts as
    ``read_shown`` reads them (names, values, types, ordinal order), in the one statement."""
    session = db.session()
    tenant, token = _linked(session)
    called = calls.resolve(session, tenant.id, token)
    assert called is not None
    rows = session.scalars(select(Account).where(Account.item_pk == called.pk)).all()
    assert len(rows) > 2
    for row in rows:  # ordinals no longer follow the rows' insertion (or id) order
        row.ordinal = -row.ordinal
    session.commit()
    alone = calls.with_tenant(session, tenant.client_id, token)
    found, with_accounts = calls.with_tenant(session, tenant.client_id, token, with_accounts=True)
    assert with_accounts is not None and alone[1] is not None
    assert found == alone[0] and with_accounts[:-1] == alone[1][:-1]
    shown = accounts.read_shown(session, called, None)
    assert [a.id for a in shown] == [a.id for a in sorted(rows, key=lambda a: a.ordinal)]
    assert with_accounts.shown_accounts == shown
    assert [a._fields for a in with_accounts.shown_accounts] == [a._fields for a in shown]
    assert [type(v) for v in with_accounts.shown_accounts[0]] == [type(v) for v in shown[0]]
    nothing = calls.with_tenant(session, tenant.client_id, "access-sandbox-x", with_accounts=True)
    assert nothing == (found, None)
    none = Prepared(select(accounts.shown_column(-1))).first(session, {})[0]
    assert accounts.shown_from_column(none) == []  # PostgreSQL's null, SQLite's []


def test_literals_and_repeated_parameters_are_bound(app: Flask) -> None:
    session = db.session()
    tenant, token = _linked(session)
    called = calls.resolve(session, tenant.id, token)
    assert called is not None
    table = Account.__table__
    statement = select(table.c.ordinal).where(
        table.c.item_pk == called.pk,
        table.c.ordinal >= 1,  # a literal the statement carries
        table.c.ordinal <= bindparam("most"),
        table.c.ordinal != bindparam("most"),  # the same parameter twice
    )
    rows = Prepared(statement.order_by(table.c.ordinal)).all(session, {"most": 3})
    assert [row.ordinal for row in rows] == [1, 2]
    assert Prepared(select(Tenant.__table__.c.id).where(Tenant.id == -1)).first(session, {}) is None


def test_a_row_locking_read_is_refused() -> None:
    """SQLite takes its write lock for ``FOR UPDATE`` in an engine hook these reads skip."""
    with pytest.raises(ValueError, match="FOR UPDATE"):
        Prepared(select(Tenant.__table__.c.id).with_for_update())


def test_a_driver_error_is_raised_as_sqlalchemys(app: Flask) -> None:
    """The unit of work sees ``DBAPIError`` (and its ``orig``) as from any other statement."""
    missing = Table("no_such_table", MetaData(), Column("id", Integer), Column("name", String))
    broken = Prepared(select(missing.c.id).where(missing.c.name == bindparam("name")))
    session = db.session()
    with pytest.raises(DBAPIError) as raised:
        broken.all(session, {"name": "x"})
    assert raised.value.orig is not None
    assert not retryable(raised.value)
    session.rollback()
