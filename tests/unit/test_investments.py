"""The portfolio engine and the securities catalogue, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core import ledger
from sandbox.core.ledger import portfolio, securities
from sandbox.core.ledger.model import AccountPlan, ItemPlan
from sandbox.core.ledger.securities import BY_TICKER

TODAY = dt.date(2026, 3, 16)


def _plan(seed: int = 7) -> ItemPlan:
    accounts = (
        AccountPlan(0, "investment", "401k", "Plaid 401k", opening_minor=2_363_198),
        AccountPlan(1, "investment", "ira", "Plaid IRA", opening_minor=32_076),
        AccountPlan(2, "investment", "brokerage", "Brokerage", opening_minor=4_125_030),
    )
    return ItemPlan((seed, "user_good", "ins_109508"), "US", "USD", "classic", accounts, ())


@pytest.mark.parametrize(
    ("ticker", "cusip", "isin"),
    [
        ("AAPL", "037833100", "US0378331005"),  # Apple's published identifiers
        ("MSFT", "594918104", "US5949181045"),
        ("SPY", "78462F103", "US78462F1030"),
    ],
)
def test_check_digits_match_published_identifiers(ticker: str, cusip: str, isin: str) -> None:
    assert (BY_TICKER[ticker].cusip, BY_TICKER[ticker].isin) == (cusip, isin)


def test_closes_are_a_deterministic_walk_that_rests_on_weekends() -> None:
    spy = BY_TICKER["SPY"]
    friday, saturday, monday = dt.date(2026, 3, 13), dt.date(2026, 3, 14), dt.date(2026, 3, 16)
    assert securities.close(spy, saturday) == securities.close(spy, friday)
    assert securities.close(spy, monday) != securities.close(spy, friday)
    securities._walks.clear()  # a fresh process computes the very same close
    assert securities.close(spy, monday) == securities.close(spy, monday)
    assert securities.close(securities.CASH, monday) == securities.PRICE_SCALE


@pytest.mark.parametrize("ordinal", [0, 1, 2])
def test_trades_replay_from_the_opening_to_the_holdings(ordinal: int) -> None:
    plan = _plan()
    account = plan.accounts[ordinal]
    opening = portfolio.holdings_on(plan, account, portfolio.START)
    held = portfolio.holdings_on(plan, account, TODAY)
    trades = portfolio.trades_between(plan, account, portfolio.START + dt.timedelta(1), TODAY)
    cash = opening.cash_minor - sum(t.amount_minor + t.fees_minor for t in trades)
    assert cash == held.cash_minor >= 0
    for ticker, position in held.positions.items():
        moved = sum(t.quantity_milli for t in trades if t.ticker == ticker)
        start = opening.positions.get(ticker, portfolio.Position(0, 0)).quantity_milli
        assert start + moved == position.quantity_milli > 0


def test_the_account_balance_is_the_portfolio_value() -> None:
    plan = _plan()
    for account in plan.accounts:
        value = portfolio.holdings_on(plan, account, TODAY).value_minor(TODAY)
        assert ledger.balance_on(plan, account, TODAY) == value


def test_the_same_seed_gives_the_same_portfolio_and_another_seed_another() -> None:
    def facts(plan: ItemPlan) -> list[tuple[object, ...]]:
        account = plan.accounts[2]
        return [
            (t.day, t.ticker, t.quantity_milli, t.amount_minor)
            for t in portfolio.trades_between(plan, account, portfolio.START, TODAY)
        ]

    assert facts(_plan(7)) == facts(_plan(7))
    assert facts(_plan(7)) != facts(_plan(8))
