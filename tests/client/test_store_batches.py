"""A page's new rows go to the store in one batch (`batch.insert_rows`): an executemany of
the compiled INSERT, or `COPY` on PostgreSQL. Whichever it is, the rows must read back as the
ORM's own INSERT writes them, and a refused row must fail as SQLAlchemy reports it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync import batch


@pytest.fixture
def store(any_store: Store) -> Store:
    """This module runs on SQLite and on PostgreSQL."""
    return any_store


def _account(store: Store) -> int:
    with store.session() as s:
        conn = Connection(provider="fake", user_ref="u1", settings={})
        account = Account(
            connection=conn, provider_id="acc-1", name="Checking", type="depository", currency="USD"
        )
        s.add(account)
        s.flush()
        return account.id


def _rows(account_id: int, prefix: str) -> list[dict[str, Any]]:
    """Rows with every column but the id, as `row_values` + `_carried` build them: JSON of
    each shape, NULLs, dates and instants, and text that COPY's format must escape."""
    names = [c.key for c in Transaction.__table__.columns if c.key != "id"]
    tricky = "tab\there, newline\nhere, backslash \\N and \\ , quote \" ' , ünïcødé ✓"
    base: dict[str, Any] = dict.fromkeys(names)
    base.update(
        account_id=account_id,
        item_id="item-1",
        amount=Decimal("-1234.56"),
        currency="USD",
        iso_currency_code="USD",
        date=dt.date(2026, 1, 31),
        authorized_date=dt.date(2026, 1, 30),
        posted_at=dt.datetime(2026, 1, 31, 12, 30, tzinfo=dt.UTC),
        description=tricky,
        original_description="\\N",  # COPY's text format spells NULL so: must stay a string
        payee="",
        counterparties=[{"name": "Shop", "type": "merchant", "logo_url": None}],
        location={"city": "Zürich", "lat": 47.37, "nested": {"a": [1, 2.5, None]}},
        payment_meta={},
        legacy_category=["Shops", "Digital Purchase"],
        pending=False,
        source="plaid",
        ignored=True,
        sync_pass=3,
        updated_at=dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC),
    )
    return [
        {
            **base,
            "provider_id": f"{prefix}-{n}",
            "amount": base["amount"] - n,
            "pending": n % 2 == 0,
        }
        for n in range(5)
    ]


def _read(store: Store, prefix: str) -> list[dict[str, Any]]:
    """Every column of the rows under `prefix`, but the ids, in provider-id order."""
    with store.session() as s:
        rows = s.scalars(
            select(Transaction)
            .where(Transaction.provider_id.startswith(prefix))
            .order_by(Transaction.provider_id)
        ).all()
        return [
            {
                c.key: getattr(row, c.key)
                for c in inspect(Transaction).columns
                if c.key not in ("id", "provider_id")
            }
            for row in rows
        ]


def test_a_batch_reads_back_as_the_orms_insert_writes(store: Store) -> None:
    account_id = _account(store)
    with store.session() as s:
        batch.insert_rows(s, _rows(account_id, "batch"))
        s.execute(batch.INSERT, _rows(account_id, "orm"))
        s.commit()
    written, orm = _read(store, "batch"), _read(store, "orm")
    assert len(written) == 5
    assert written == orm
    assert written[0]["original_description"] == "\\N"
    assert written[0]["location"]["nested"] == {"a": [1, 2.5, None]}


def test_a_refused_row_fails_as_sqlalchemy_reports_it(store: Store) -> None:
    account_id = _account(store)
    with store.session() as s:
        batch.insert_rows(s, _rows(account_id, "dup"))
        s.commit()
    with store.session() as s, pytest.raises(IntegrityError):
        batch.insert_rows(s, _rows(account_id, "dup"))  # provider_id is unique
    assert len(_read(store, "dup")) == 5


def test_postgresql_batches_go_by_copy(store: Store) -> None:
    """The executemany path stalled ~200 ms in a page of two on PostgreSQL (docstring of
    `batch.insert_rows`); on SQLite the compiled INSERT stays."""
    account_id = _account(store)
    with store.session() as s:
        batch.insert_rows(s, _rows(account_id, "path"))
        writer = batch._writers[s.connection().dialect]
        s.commit()
    is_postgres = store.engine.dialect.driver == "psycopg"
    assert (writer.copy_sql or "").startswith("COPY ") is is_postgres
    assert writer.sql is not None and writer.sql.startswith("INSERT INTO bc_transactions")
