"""``/signal/schedule``: banking days weighed by the balance the debit would settle on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.core.signal_schedule import fed_holidays, is_banking_day, submission_days
from tests.api.plaid.helpers import advance_clock
from tests.conftest import PlaidClient

PATH = "/signal/schedule"
# The tests' clock: Monday 16 March 2026, 15:30 UTC.
WEEK = ["2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20", "2026-03-23"]


def _checking(plaid: PlaidClient) -> tuple[str, dict[str, Any]]:
    access = plaid.link_item("ins_109508", products=("auth", "signal"))
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    return access, next(a for a in accounts if a["subtype"] == "checking")


def _schedule(plaid: PlaidClient, access: str, account: str, amount: float, **extra: Any) -> Any:
    return plaid.ok(
        PATH,
        access_token=access,
        account_id=account,
        client_transaction_id="sched-1",
        amount=amount,
        **extra,
    )


def test_a_small_debit_is_recommended_every_day_and_ranked(plaid: PlaidClient) -> None:
    access, checking = _checking(plaid)
    body = _schedule(plaid, access, checking["account_id"], 1.0)
    assert [r["date"] for r in body["recommendations"]] == WEEK
    assert {r["recommendation"] for r in body["recommendations"]} == {"RECOMMENDED"}
    ranks = sorted(r["rank"] for r in body["recommendations"])
    assert ranks == list(range(1, len(WEEK) + 1))
    best = next(r for r in body["recommendations"] if r["rank"] == 1)
    assert body["optimal_date"] == best["date"] and body["warnings"] == []
    assert body["request_id"]


def test_ranks_follow_the_balance_the_ledger_then_posts(plaid: PlaidClient) -> None:
    """Each Standard ACH day is ranked by the posted balance at the end of the next banking
    day, as the clock then finds it: the projection is the ledger's own future."""
    access, checking = _checking(plaid)
    account = checking["account_id"]
    body = _schedule(plaid, access, account, 1.0)
    settles = dict(zip(WEEK, [*WEEK[1:], "2026-03-24"], strict=True))
    posted = {}
    for offset in range(9):
        day = (dt.date(2026, 3, 16) + dt.timedelta(days=offset)).isoformat()
        if offset:
            advance_clock(plaid, days=1)
        accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
        posted[day] = next(a for a in accounts if a["account_id"] == account)["balances"]["current"]
    expected = sorted(WEEK, key=lambda day: (-posted[settles[day]], day))
    ranked = sorted(body["recommendations"], key=lambda r: r["rank"])
    assert [r["date"] for r in ranked] == expected
    assert len(set(posted.values())) > 1  # the balance does move over the week


def test_a_debit_above_the_balance_is_not_recommended_and_has_no_optimal_date(
    plaid: PlaidClient,
) -> None:
    access, checking = _checking(plaid)
    body = _schedule(plaid, access, checking["account_id"], 10_000_000.0)
    assert {r["recommendation"] for r in body["recommendations"]} == {"NOT_RECOMMENDED"}
    assert {r["rank"] for r in body["recommendations"]} == {None}
    assert body["optimal_date"] is None


def test_a_debit_of_exactly_the_available_balance_is_recommended_today_by_same_day_ach(
    plaid: PlaidClient,
) -> None:
    access, checking = _checking(plaid)
    available = checking["balances"]["available"] or checking["balances"]["current"]
    body = _schedule(
        plaid, access, checking["account_id"], available, default_payment_method="SAME_DAY_ACH"
    )
    today = body["recommendations"][0]
    assert today["date"] == WEEK[0] and today["recommendation"] == "RECOMMENDED"


def test_same_day_ach_after_the_cutoff_starts_tomorrow(plaid: PlaidClient) -> None:
    access, checking = _checking(plaid)
    advance_clock(plaid, seconds=3 * 3600)  # 18:30 UTC
    same_day = _schedule(
        plaid, access, checking["account_id"], 1.0, default_payment_method="SAME_DAY_ACH"
    )
    standard = _schedule(plaid, access, checking["account_id"], 1.0)
    assert same_day["recommendations"][0]["date"] == WEEK[1]
    assert standard["recommendations"][0]["date"] == WEEK[0]


def test_an_item_in_error_is_unknown_every_day_with_a_warning(plaid: PlaidClient) -> None:
    access, checking = _checking(plaid)
    plaid.ok("/sandbox/item/reset_login", access_token=access)
    body = _schedule(plaid, access, checking["account_id"], 1.0)
    assert {(r["recommendation"], r["rank"]) for r in body["recommendations"]} == {
        ("UNKNOWN", None)
    }
    assert body["optimal_date"] is None
    assert [w["warning_code"] for w in body["warnings"]] == ["ITEM_LOGIN_REQUIRED"]


def test_errors_name_the_field(plaid: PlaidClient) -> None:
    access, checking = _checking(plaid)
    account = checking["account_id"]
    base = {"access_token": access, "account_id": account, "client_transaction_id": "x"}
    missing = plaid.error(PATH, access_token=access, account_id=account, amount=1.0)
    assert missing["error_code"] == "MISSING_FIELDS"
    assert "client_transaction_id" in missing["error_message"]
    for field, value in (
        ("amount", "12"),
        ("amount", 0),
        ("default_payment_method", "NEXT_DAY_ACH"),
    ):
        error = plaid.error(PATH, **{**base, "amount": 1.0, field: value})
        assert error["error_code"] == "INVALID_FIELD" and field in error["error_message"]
    too_long = plaid.error(PATH, **{**base, "amount": 1.0, "client_transaction_id": "x" * 37})
    assert "client_transaction_id" in too_long["error_message"]
    card = next(
        a["account_id"]
        for a in plaid.ok("/accounts/get", access_token=access)["accounts"]
        if a["type"] == "credit"
    )
    assert plaid.error(PATH, **{**base, "amount": 1.0, "account_id": card})["error_code"] == (
        "INVALID_ACCOUNT_ID"
    )
    gb = plaid.link_item("ins_117650", products=("auth",))
    gb_account = plaid.ok("/accounts/get", access_token=gb)["accounts"][0]["account_id"]
    assert (
        plaid.error(PATH, **{**base, "access_token": gb, "account_id": gb_account, "amount": 1.0})[
            "error_code"
        ]
        == "PRODUCTS_NOT_SUPPORTED"
    )


@pytest.mark.parametrize(
    ("day", "banking"),
    [
        (dt.date(2026, 3, 16), True),
        (dt.date(2026, 3, 21), False),  # Saturday
        (dt.date(2026, 1, 19), False),  # Martin Luther King Jr. Day
        (dt.date(2026, 7, 3), True),  # Friday before a Saturday 4 July: the Fed is open
        (dt.date(2026, 11, 26), False),  # Thanksgiving
        (dt.date(2027, 6, 18), True),  # Juneteenth on a Saturday closes nothing
        (dt.date(2022, 12, 26), False),  # Christmas on a Sunday moves to Monday
    ],
)
def test_banking_days_are_the_feds(day: dt.date, banking: bool) -> None:
    assert is_banking_day(day) is banking


def test_a_weekend_request_starts_on_monday() -> None:
    saturday = dt.datetime(2026, 3, 21, 9, 0, tzinfo=dt.UTC)
    days = submission_days(saturday, "STANDARD_ACH")
    assert days[0] == dt.date(2026, 3, 23) and len(days) == 6
    assert dt.date(2026, 5, 25) in fed_holidays(2026)  # Memorial Day, the last Monday
