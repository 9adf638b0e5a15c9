"""The precompiled transaction renderer writes exactly what ``TransactionSchema`` writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from sandbox.core import sync
from sandbox.core.bank import Bank
from sandbox.core.models import Item, Transaction
from sandbox.plaid import transaction_json
from sandbox.plaid.responses import TransactionSchema

from .conftest import link

OPTIONS = [(False, "v1"), (True, "v1"), (False, "v2"), (True, "v2")]

# Details the ledger never writes but a row may carry (custom users, future generators).
RARE_DETAILS: list[dict[str, Any]] = [
    {
        "merchant_entity_id": "ent_1",
        "logo_url": "https://logo.example/x.png",
        "website": "example.com",
        "payment_meta": {"reference_number": "R1", "payee": "Ann", "extra": "ignored"},
        "location": {"city": "Zürich", "lat": 47.3769, "lon": 8.5417, "extra": 1},
    },
    {"location": {}, "payment_meta": None, "transaction_code": None},
    {},
]


def _add_rare_rows(bank: Bank) -> None:
    """Hand-made rows: every optional detail, a non-ASCII name, pending with no merchant."""
    item = bank.session.scalars(select(Item)).first()
    assert item is not None
    account = item.accounts[0]
    for index, details in enumerate(RARE_DETAILS):
        bank.session.add(
            Transaction(
                item_pk=item.pk,
                id=f"rare-{index}",
                account_id=account.id,
                amount_minor=-123456789 + index,
                currency="EUR",
                date=dt.date(2026, 3, 1),
                authorized_date=None if index else dt.date(2026, 2, 28),
                name='Café “Ünïcode” \\ "quoted"',
                merchant_name="Café" if index != 1 else None,
                category="INCOME_WAGES" if index == 0 else "FOOD_AND_DRINK_COFFEE",
                payment_channel=["online", "in store", "other"][index],
                pending=index == 1,
                pending_transaction_id="p-1" if index == 2 else None,
                removed=False,
                created_seq=10_000 + index,
                updated_seq=10_000 + index,
                details=details,
            )
        )
    bank.session.flush()


def _rows(bank: Bank, usernames: tuple[str, ...]) -> list[tuple[Transaction, Any]]:
    """Every transaction of two years of ``usernames`` plus the rare rows: (ORM, page row)."""
    for username in usernames:
        bank.load_history(bank.item(link(bank, username=username, days=730)))
    _add_rare_rows(bank)
    objects = {(t.item_pk, t.id): t for t in bank.session.scalars(select(Transaction))}
    page_rows = bank.session.execute(
        select(*sync.RENDERED, Transaction.item_pk).order_by(Transaction.item_pk)
    ).all()
    assert len(page_rows) == len(objects)
    return [(objects[row.item_pk, row.id], row) for row in page_rows]


def test_renderer_writes_the_schemas_bytes_for_every_row_and_option(bank: Bank) -> None:
    personas = ("user_good", "user_transactions_dynamic", "user_small_business", "user_family")
    rows = _rows(bank, personas)
    assert len(rows) > 5000
    rare = [(orm, row) for orm, row in rows if orm.id.startswith("rare-")]
    assert len(rare) == len(RARE_DETAILS)
    for index, (original_description, pfc_version) in enumerate(OPTIONS):
        schema = TransactionSchema(
            original_description=original_description, pfc_version=pfc_version
        )
        transaction_json.clear()
        # Every row with the default options; the others touch two fields, so a sample.
        for orm, row in rows if index == 0 else rows[::7] + rare:
            expected = orjson.dumps(schema.dump(orm))
            rendered = transaction_json.render(row, original_description, pfc_version)
            assert rendered == expected, orm.id
            # The second time comes from the cache: still the same bytes.
            assert transaction_json.render(row, original_description, pfc_version) == expected


@pytest.fixture
def rows(bank: Bank) -> list[tuple[Transaction, Any]]:
    """One persona's rows."""
    return _rows(bank, ("user_good",))


def test_a_changed_row_is_rendered_again_not_served_from_the_cache(
    rows: list[tuple[Transaction, Any]],
) -> None:
    _, row = rows[0]
    before = orjson.loads(transaction_json.render(row, False, "v1"))
    changed = (*row[:6], "Renamed", *row[7:])
    after = orjson.loads(transaction_json.render(changed, False, "v1"))
    assert (before["name"], after["name"]) == (row.name, "Renamed")
    # The cache finds a rendering by the transaction's id: the row as it was is not served
    # the changed row's bytes (another item's row with the same id is not either).
    assert orjson.loads(transaction_json.render(row, False, "v1")) == before
    assert orjson.loads(transaction_json.render(row, True, "v1"))["original_description"] == (
        row.name
    )


def test_the_cache_keeps_at_most_its_capacity(
    rows: list[tuple[Transaction, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transaction_json, "CACHE_ENTRIES", 10)
    transaction_json.clear()
    for _, row in rows[:50]:
        transaction_json.render(row, False, "v1")
    assert len(transaction_json._cache) == 10
