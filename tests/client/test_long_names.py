"""Names a provider sends longer than the store's columns: Plaid documents no bound on a
merchant name, a transaction name or an account's official name, while the store keeps 200
characters of each. PostgreSQL refused such a value (a driver error failing the page) where
SQLite stored it whole; now both keep the transaction, with the name cut to the column.

This sandbox bounds what it makes (`/sandbox/transactions/create` takes 200 characters), so
the test lengthens names in the sandbox's `/transactions/sync` replies as they reach the
client, as a provider without that bound would send them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from sqlalchemy import select

from client.providers.model import normalise_payee
from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync.connections import BankSync

LONG = "Corner Bakery And Coffee Roasters Of The Greater Metropolitan Area " * 6  # 402 chars


@pytest.fixture
def store(any_store: Store) -> Store:
    """This module runs on SQLite and on PostgreSQL."""
    return any_store


def _lengthen(stretched: dict[str, str]) -> Any:
    """A response hook: the first added transaction of each sync page gets the long merchant
    and transaction names, and each account the long official name. `stretched` records the
    transaction's id, by page."""

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
        if not response.url.endswith("/transactions/sync") or response.status_code != 200:
            return response
        page = response.json()
        for account in page.get("accounts", []):
            account["official_name"] = LONG
        if page.get("added"):
            first = page["added"][0]
            first["name"] = first["merchant_name"] = first["account_owner"] = LONG
            stretched.setdefault("transaction", first["transaction_id"])
        response._content = json.dumps(page).encode()
        return response

    return hook


def test_over_long_names_are_cut_to_the_column_and_the_transaction_is_kept(
    bank: BankSync, store: Store
) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    stretched: dict[str, str] = {}
    bank.plaid.transport.session.hooks["response"].append(_lengthen(stretched))

    result = bank.sync(cid)

    assert result.ok, result.error_message
    assert result.added > 1
    with store.session() as session:
        row = session.scalar(
            select(Transaction).where(Transaction.provider_id == stretched["transaction"])
        )
        assert row is not None
        assert row.description == LONG  # the description's column has no bound
        assert row.merchant_name == LONG[:200]
        assert row.account_owner == LONG[:200]
        assert row.payee == (normalise_payee(LONG) or "")[:200]
        assert session.get_one(Account, row.account_id).official_name == LONG[:200]


def test_reading_the_cut_names_again_is_no_modification(bank: BankSync, store: Store) -> None:
    """The cut names are what a row is compared with: the whole history read again (the
    cursor forgotten) modifies nothing."""
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    stretched: dict[str, str] = {}
    bank.plaid.transport.session.hooks["response"].append(_lengthen(stretched))
    first = bank.sync(cid)
    assert first.ok, first.error_message
    with store.session() as session:
        session.get_one(Connection, cid).cursor = None

    again = bank.sync(cid)

    assert again.ok, again.error_message
    assert (again.added, again.modified, again.removed) == (0, 0, 0)
