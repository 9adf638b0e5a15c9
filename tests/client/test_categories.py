"""Built-in categories from Plaid's taxonomy, and the books' validation of user input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from client.books import Books, BooksError, NotFoundError
from client.store.db import Store
from client.store.models import Category
from client.store.taxonomy import entries, kind_of, seed_categories

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "pfc.json"


def test_shipped_taxonomy_is_the_catalogues_pfc() -> None:
    seeds = json.loads(SEEDS.read_text())
    shipped = {e.key: e for e in entries() if e.parent}
    assert [(r["primary"], r["detailed"], r["description"]) for r in seeds] == [
        (e.parent, e.key, e.description) for e in shipped.values()
    ]
    primaries = [e for e in entries() if e.parent is None]
    assert {p.key for p in primaries} == {r["primary"] for r in seeds} and len(primaries) == 16
    assert kind_of("INCOME_WAGES") == "income" and kind_of("TRANSFER_OUT_SAVINGS") == "transfer"
    assert kind_of("FOOD_AND_DRINK_COFFEE") == "expense" and kind_of("NOPE") is None
    coffee = shipped["FOOD_AND_DRINK_COFFEE"]
    assert (coffee.name, coffee.icon) == (
        "Coffee",
        "https://plaid-category-icons.plaid.com/PFC_FOOD_AND_DRINK.png",
    )


def test_store_seeds_builtins_once_with_hierarchy(store: Store) -> None:
    with store.session() as s:
        assert seed_categories(s) == 0  # Store() already seeded them
        total = s.scalar(select(func.count()).select_from(Category))
        coffee = s.scalars(select(Category).where(Category.key == "FOOD_AND_DRINK_COFFEE")).one()
        parent = s.get(Category, coffee.parent_id)
    assert total == 120 and parent is not None and parent.key == "FOOD_AND_DRINK"
    assert (coffee.kind, coffee.colour, parent.parent_id) == ("expense", parent.colour, None)


def test_user_categories_inherit_and_validate(store: Store) -> None:
    books = Books(store, "u1")
    food = next(c for c in books.categories() if c.key == "FOOD_AND_DRINK")
    mine = books.create_category("Brunch", parent_id=food.id)
    assert (mine.kind, mine.colour, mine.parent_id, mine.key) == (
        "expense",
        food.colour,
        food.id,
        "brunch",
    )
    assert books.create_category("Brunch!").key == "brunch-2"
    assert books.update_category(mine.id, name="Late brunch", colour="#00AA00").colour == "#00aa00"
    for bad, field in [
        ({"name": " "}, "name"),
        ({"colour": "green"}, "colour"),
        ({"kind": "savings"}, "kind"),
        ({"size": "big"}, "size"),
    ]:
        with pytest.raises(BooksError, match=f"^{field}:"):
            books.update_category(mine.id, **bad)
    with pytest.raises(NotFoundError, match="category_id"):
        books.update_category(food.id, name="Food")  # built-ins are shared, not editable


def test_deleting_a_category_releases_what_used_it(store: Store) -> None:
    books = Books(store, "u1")
    wallet = books.add_account("Wallet", "EUR")
    temp = books.create_category("Temporary")
    entry = books.add_transaction(wallet.id, "-3", dt.date(2026, 2, 1), "Bus", category_id=temp.id)
    books.create_payee("Bus company", category_id=temp.id)
    books.add_rule("bus", category_id=temp.id)
    assert entry.category == "Temporary" and entry.currency == "EUR"
    books.delete_category(temp.id)
    assert books.transaction(entry.id).category is None
    assert [r.category_id for r in books.rules()] == [None]
    assert [p.category_id for p in books.payees()] == [None]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b, a: b.add_transaction(a, "abc", dt.date(2026, 1, 1), "x"), "amount"),
        (lambda b, a: b.add_transaction(a, "1.00001", dt.date(2026, 1, 1), "x"), "amount"),
        (lambda b, a: b.add_transaction(a, "1", dt.date(2026, 1, 1), " "), "description"),
        (lambda b, a: b.add_transaction(a, "1", dt.date(2026, 1, 1), "x", colour="red"), "colour"),
        (lambda b, a: b.add_account("Cash", "dollars"), "currency"),
        (lambda b, a: b.add_rule("(", category_id=None), "pattern"),
        (lambda b, a: b.add_rule("shop"), "category_id"),
    ],
)
def test_bad_input_names_the_field(store: Store, call: object, field: str) -> None:
    books = Books(store, "u1")
    wallet = books.add_account("Wallet", "USD")
    with pytest.raises(BooksError, match=f"^{field}:"):
        call(books, wallet.id)  # type: ignore[operator]
