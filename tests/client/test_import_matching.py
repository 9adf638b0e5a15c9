"""The import fingerprint match: one-to-one, nearest date first, pairs counted correctly."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from client.imports.matching import Known, match, payee_key

DAY = dt.date(2026, 3, 2)


def test_payee_key_ignores_store_numbers_case_and_spacing() -> None:
    assert payee_key("STARBUCKS STORE #4314") == payee_key("Starbucks  Store 0991")


def test_two_coffees_match_two_and_a_third_is_new() -> None:
    coffee = (DAY, Decimal("-4.45"), "STARBUCKS STORE #4314")
    known = [
        Known(1, DAY, Decimal("-4.45"), "Starbucks Store"),
        Known(2, DAY, Decimal("-4.45"), "STARBUCKS"),
    ]
    assert match([coffee, coffee, coffee], known) == {0: 1, 1: 2}


def test_nearest_date_wins_and_the_window_is_three_days() -> None:
    rows = [(DAY, Decimal("-9.00"), "NETFLIX.COM")]
    known = [
        Known(1, DAY - dt.timedelta(days=3), Decimal("-9.00"), "NETFLIX.COM"),
        Known(2, DAY + dt.timedelta(days=1), Decimal("-9.00"), "NETFLIX.COM"),
    ]
    assert match(rows, known) == {0: 2}
    assert (
        match(rows, [Known(3, DAY + dt.timedelta(days=4), Decimal("-9.00"), "NETFLIX.COM")]) == {}
    )


def test_a_differently_spelt_payee_matches_only_on_the_same_day() -> None:
    rows = [(DAY, Decimal("-20.00"), "POS PURCHASE 123 ACME")]
    assert match(rows, [Known(1, DAY, Decimal("-20.00"), "Acme Corp")]) == {0: 1}
    assert match(rows, [Known(1, DAY + dt.timedelta(days=1), Decimal("-20.00"), "Acme Corp")]) == {}


def test_a_different_payee_on_the_same_day_and_amount_never_matches() -> None:
    """ "RENT PAYMENT" and "COFFEE SHOP" share no word: the coffee is new, not a duplicate."""
    rows = [(DAY, Decimal("-3.00"), "COFFEE SHOP")]
    assert match(rows, [Known(1, DAY, Decimal("-3.00"), "RENT PAYMENT")]) == {}
    assert match(rows, [Known(1, DAY, Decimal("-3.00"), "CARD PAYMENT POS")]) == {}


def test_a_differently_spelt_payee_matches_only_when_unambiguous() -> None:
    acme = (DAY, Decimal("-20.00"), "POS PURCHASE 123 ACME")
    corp = Known(1, DAY, Decimal("-20.00"), "Acme Corp")
    assert match([acme], [corp, Known(2, DAY, Decimal("-20.00"), "Acme Tools")]) == {}
    assert match([acme, (DAY, Decimal("-20.00"), "ACME STORE 9")], [corp]) == {}
    assert match([acme, (DAY, Decimal("-20.00"), "Netflix")], [corp]) == {0: 1}


entries = st.tuples(
    st.integers(0, 3), st.sampled_from(["-4.45", "-9.99"]), st.sampled_from(["A", "B"])
)


@given(st.lists(entries, max_size=12), st.lists(entries, max_size=12))
def test_matches_are_one_to_one_and_as_many_as_both_sides_share(
    file_rows: list[tuple[int, str, str]], stored: list[tuple[int, str, str]]
) -> None:
    rows = [(DAY + dt.timedelta(days=d), Decimal(a), p) for d, a, p in file_rows]
    known = [
        Known(n, DAY + dt.timedelta(days=d), Decimal(a), p) for n, (d, a, p) in enumerate(stored)
    ]
    found = match(rows, known)
    assert len(set(found.values())) == len(found)
    for index, known_id in found.items():
        assert rows[index][1] == known[known_id].amount
    same = Counter(file_rows) & Counter(stored)  # identical rows always find a partner
    assert len(found) >= sum(same.values())
