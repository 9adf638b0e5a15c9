"""``bank.reads``: accounts and cards apart, date windows, running balances, payment
instructions read off the ledger, card facts, and the banks' unattended-access quota."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from sandbox.core import errors
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock
from sandbox.core.models import Item
from tests.conftest import FROZEN_NOW
from tests.unit.conftest import link

UK_BANK = "ins_118274"  # Barclays: GBP, sort codes and IBANs


def _item(bank: Bank, days: int = 400) -> Item:
    return bank.read_item(bank.item(link(bank, UK_BANK, days=days)))


def test_deposits_and_cards_are_listed_apart_and_their_ids_do_not_cross(bank: Bank) -> None:
    item = _item(bank)
    deposits, cards = bank.reads.deposits(item), bank.reads.cards(item)
    assert {a.type for a in deposits} == {"depository"}
    assert {(a.type, a.subtype) for a in cards} == {("credit", "credit card")}
    assert bank.reads.card(item, cards[0].id) is cards[0]
    with pytest.raises(errors.InvalidAccountId):
        bank.reads.deposit(item, cards[0].id)
    with pytest.raises(errors.InvalidAccountId):
        bank.reads.card(item, deposits[0].id)


def test_running_balances_walk_back_from_the_current_balance(bank: Bank) -> None:
    item = _item(bank)
    account = bank.reads.deposits(item)[0]
    start, end = bank.reads.window(item, None, None)
    booked = bank.reads.booked(item, account, start, end)
    assert len(booked) > 100
    assert booked[0].balance_after_minor == account.current_minor
    for newer, older in itertools.pairwise(booked):
        assert (newer.row.date, newer.row.created_seq) >= (older.row.date, older.row.created_seq)
        # money out is positive in the ledger: the balance before it was higher
        assert older.balance_after_minor == newer.balance_after_minor + newer.row.amount_minor


def test_a_window_inside_history_keeps_the_balances_of_the_whole_history(bank: Bank) -> None:
    item = _item(bank)
    account = bank.reads.deposits(item)[0]
    whole = bank.reads.booked(item, account, *bank.reads.window(item, None, None))
    march = bank.reads.booked(item, account, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    by_id = {b.row.id: b.balance_after_minor for b in whole}
    assert march and all(by_id[b.row.id] == b.balance_after_minor for b in march)
    assert {b.row.date for b in march} <= {dt.date(2026, 3, d) for d in range(1, 11)}


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2026, 3, 10), dt.date(2026, 3, 1), "from"),
        (dt.date(2026, 4, 1), None, "from"),
    ],
)
def test_a_start_after_the_end_or_after_today_is_an_invalid_range(
    bank: Bank, start: dt.date, end: dt.date | None, field: str
) -> None:
    item = _item(bank, days=30)
    with pytest.raises(errors.InvalidDateRange) as caught:
        bank.reads.window(item, start, end)
    assert caught.value.detail["field"] == field


def test_open_ends_are_the_first_day_of_history_and_today(bank: Bank) -> None:
    item = _item(bank, days=30)
    today = FROZEN_NOW.date()
    assert bank.reads.window(item, None, None) == (item.history_start, today)
    assert bank.reads.window(item, None, today + dt.timedelta(days=9))[1] == today


def test_standing_orders_and_direct_debits_agree_with_the_rows_they_made(bank: Bank) -> None:
    item = _item(bank)
    account = bank.reads.deposits(item)[0]
    booked = bank.reads.booked(item, account, *bank.reads.window(item, None, None))
    for kind, found in (
        (bank.reads.STANDING_ORDER, bank.reads.standing_orders(item, account)),
        (bank.reads.DIRECT_DEBIT, bank.reads.direct_debits(item, account)),
    ):
        made = [b.row for b in booked if bank.reads.instruction_kind(b.row) == kind]
        assert found and made
        assert {r.name for r in made} == {i.reference for i in found}
        for instruction in found:
            own = [r for r in made if r.name == instruction.reference]
            assert (instruction.previous_date, instruction.previous_minor) == (
                own[0].date,
                own[0].amount_minor,
            )
            assert (instruction.first_date, instruction.first_minor) == (
                own[-1].date,
                own[-1].amount_minor,
            )
            assert instruction.next_date is not None and instruction.next_date > FROZEN_NOW.date()


def test_inflows_and_one_off_purchases_are_no_instruction(bank: Bank) -> None:
    item = _item(bank, days=60)
    account = bank.reads.deposits(item)[0]
    booked = bank.reads.booked(item, account, *bank.reads.window(item, None, None))
    for b in booked:
        if b.row.amount_minor < 0 or b.row.details.get("transaction_code") == "purchase":
            assert bank.reads.instruction_kind(b.row) is None


def test_a_card_is_the_same_card_when_the_user_links_again(bank: Bank) -> None:
    first, second = _item(bank, days=30), _item(bank, days=30)
    card_a = bank.reads.payment_card(first, bank.reads.cards(first)[0])
    card_b = bank.reads.payment_card(second, bank.reads.cards(second)[0])
    assert card_a.account.id != card_b.account.id
    assert (card_a.network, card_a.holder, card_a.valid_from) == (
        card_b.network,
        card_b.holder,
        card_b.valid_from,
    )
    assert card_a.last_four == card_a.account.mask
    assert card_a.valid_to > FROZEN_NOW.date() > card_a.valid_from


def test_a_network_the_persona_names_wins(bank: Bank) -> None:
    item = _item(bank, days=30)
    card = bank.reads.cards(item)[0]
    card.details = {**card.details, "network": "AMEX"}
    assert bank.reads.payment_card(item, card).network == "amex"


def test_the_fifth_unattended_call_in_a_day_is_refused_until_the_day_has_passed(
    bank: Bank,
) -> None:
    item = _item(bank, days=30)
    now = bank.now()
    for _ in range(4):
        bank.faults.count_unattended(item, now)
    with pytest.raises(errors.UnattendedLimitReached):
        bank.faults.count_unattended(item, now + dt.timedelta(hours=23))
    bank.set_clock(Clock.at(now + dt.timedelta(hours=24, seconds=1), frozen=True))
    bank.faults.count_unattended(item, bank.now())  # the first four fell out of the window
