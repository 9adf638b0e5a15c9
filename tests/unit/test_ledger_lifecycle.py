"""An item's ledger over time: pending rows post as the clock moves, in each currency."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.core import institutions, items, ledger
from sandbox.core.bank import Bank
from sandbox.core.clock import Clock
from sandbox.core.ledger import catalogue
from sandbox.core.models import Item, Transaction
from tests.conftest import FROZEN_NOW

from .conftest import link

DAYS_ADVANCED = 21


def _rows(session: Session, item: Item) -> list[Transaction]:
    return list(session.scalars(select(Transaction).where(Transaction.item_pk == item.pk)))


def _advance(bank: Bank, days: int) -> None:
    bank.set_clock(Clock(frozen_at=FROZEN_NOW + dt.timedelta(days=days)))


def _sign(account_type: str) -> int:
    return 1 if account_type in ("credit", "loan") else -1


def test_pending_rows_post_as_the_clock_advances(bank: Bank, session: Session) -> None:
    item = bank.item(link(bank))
    changed_amounts = 0
    for day in range(1, DAYS_ADVANCED + 1):
        pending = {r.id: r for r in _rows(session, item) if r.pending and not r.removed}
        # The promise is cleared once a row posts: keep what each row promised.
        promised = {r.id: (r.post_on, r.posted_amount_minor) for r in pending.values()}
        currents = {a.id: a.current_minor for a in item.accounts}
        seq = item.change_seq
        _advance(bank, day)
        today = bank.clock.today()
        rows = _rows(session, item)
        posted_from = {r.pending_transaction_id: r for r in rows if r.pending_transaction_id}
        for row in pending.values():
            post_on, posted_amount = promised[row.id]
            assert post_on is not None and posted_amount is not None
            if post_on > today:
                assert not row.removed and row.post_on == post_on
                continue
            assert row.post_on is None  # posted: no promise left
            assert row.removed and row.updated_seq > seq
            posted = posted_from[row.id]
            assert not posted.pending and posted.created_seq > seq
            assert posted.account_id == row.account_id
            assert posted.amount_minor == posted_amount
            changed_amounts += posted.amount_minor != row.amount_minor
        new_posted = [r for r in rows if r.created_seq > seq and not r.pending]
        for account in item.accounts:
            flow = sum(r.amount_minor for r in new_posted if r.account_id == account.id)
            if flow:
                assert account.current_minor == currents[account.id] + _sign(account.type) * flow
    assert changed_amounts, "no tip or released hold changed an amount when posting"


def test_balances_after_posting_match_the_engine_and_pending_holds(
    bank: Bank, session: Session
) -> None:
    item = bank.item(link(bank))
    _advance(bank, DAYS_ADVANCED)
    today = bank.clock.today()
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    live_pending = [r for r in _rows(session, item) if r.pending and not r.removed]
    assert live_pending
    for account, account_plan in zip(
        sorted(item.accounts, key=lambda a: a.ordinal), plan.accounts, strict=True
    ):
        if not account_plan.has_transactions:
            continue
        assert account.current_minor == ledger.balance_on(plan, account_plan, today), account.name
        held = sum(max(r.amount_minor, 0) for r in live_pending if r.account_id == account.id)
        if account.type == "depository" and account.available_minor is not None:
            assert account.available_minor == account.current_minor - held


@pytest.mark.parametrize(
    ("institution_id", "currency", "country"),
    [("ins_117650", "GBP", "GB"), ("ins_120512", "EUR", "NL")],
)
def test_accounts_transactions_and_merchants_follow_the_institution(
    bank: Bank, session: Session, institution_id: str, currency: str, country: str
) -> None:
    item = bank.item(link(bank, institution_id))
    assert institutions.get(institution_id).currency == currency
    assert {a.currency for a in item.accounts} == {currency}
    rows = _rows(session, item)
    assert rows and {r.currency for r in rows} == {currency}
    trades_in: dict[str, set[str]] = {}
    for merchant in catalogue.merchants():
        trades_in.setdefault(merchant["name"], set()).update(merchant["countries"])
    named = [(r, r.merchant_name) for r in rows if r.merchant_name in trades_in]
    assert named
    for row, merchant_name in named:
        assert merchant_name is not None and country in trades_in[merchant_name], merchant_name
        location = row.details.get("location")
        assert location is None or location["country"] == country
