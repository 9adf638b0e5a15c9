"""The automated micro-deposit state machine, without HTTP or a database."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core import microdeposits
from sandbox.core.errors import InvalidField, ProductNotReady
from sandbox.core.models import Account, Item

LINKED = dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC)


def _item() -> Item:
    accounts = [
        Account(id=f"acc{n}", subtype=subtype, details={})
        for n, subtype in enumerate(("savings", "checking", "checking"))
    ]
    item = Item(created_at=LINKED, accounts=accounts)
    microdeposits.start(item)
    return item


def test_start_marks_only_the_first_checking_account() -> None:
    statuses = [a.verification_status for a in _item().accounts]
    assert statuses == [None, microdeposits.PENDING, None]


def test_verify_due_waits_a_full_day() -> None:
    item = _item()
    assert microdeposits.verify_due(item, LINKED + dt.timedelta(hours=23, minutes=59)) == []
    with pytest.raises(ProductNotReady):
        microdeposits.check_verified(item.accounts)
    assert microdeposits.verify_due(item, LINKED + dt.timedelta(hours=24)) == ["acc1"]
    assert item.accounts[1].verification_status == "automatically_verified"
    microdeposits.check_verified(item.accounts)
    assert microdeposits.verify_due(item, LINKED + dt.timedelta(days=2)) == []


def test_set_status_returns_the_webhook_code_once() -> None:
    item = _item()
    assert microdeposits.set_status(item, "acc1", "verification_expired") == "VERIFICATION_EXPIRED"
    with pytest.raises(InvalidField) as caught:
        microdeposits.set_status(item, "acc1", "automatically_verified")
    assert caught.value.detail == {"field": "account_id"}


@pytest.mark.parametrize(
    ("products", "stored", "method"),
    [
        (["transactions"], None, None),
        (["transactions"], microdeposits.AUTOMATED, None),  # no Auth, no numbers shown
        (["auth"], None, "INSTANT_AUTH"),
        (["auth"], microdeposits.AUTOMATED, "AUTOMATED_MICRODEPOSITS"),
        (["auth"], microdeposits.SAME_DAY, "SAME_DAY_MICRODEPOSITS"),
        (["auth"], microdeposits.INSTANT, "INSTANT_MICRODEPOSITS"),
        (["auth"], "DATABASE_INSIGHTS", "DATABASE_INSIGHTS"),
    ],
)
def test_auth_method_names_the_flow_behind_the_numbers(
    products: list[str], stored: str | None, method: str | None
) -> None:
    """``stored``: the ``auth_method`` the flow left on the item's account, if any."""
    assert microdeposits.auth_method(products, stored) == method
