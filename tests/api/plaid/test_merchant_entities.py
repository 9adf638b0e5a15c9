"""Merchant entities through the API: ids, logos, websites and counterparties as Plaid gives.

Recognised merchants (Starbucks, Uber…) carry ``merchant_entity_id``, ``logo_url``, ``website``
and the same in ``counterparties[]`` at ``VERY_HIGH``; transfers, fees, payroll from a fictional
employer and custom transactions keep nulls. ``/transactions/get``, ``/transactions/sync`` and
the processor twins agree, whatever the tenant's seed.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from sandbox.core import tenants
from sandbox.core.ledger import entities
from sandbox.extensions import db
from tests.api.plaid.helpers import dynamic_item, processor_token, sync_all
from tests.conftest import FROZEN_NOW, PlaidClient

MERCHANT_KEYS = ("merchant_entity_id", "logo_url", "website", "counterparties")
WINDOW = {"start_date": "2024-01-01", "end_date": "2026-12-31"}


def _merchant_fields(transaction: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(transaction[key] for key in MERCHANT_KEYS)


def _check(transaction: dict[str, Any]) -> bool:
    """Assert the row's merchant fields are the catalogue's; whether it had an entity."""
    entity = entities.merchant_entity(transaction["merchant_name"])
    if entity is None:
        assert transaction["merchant_entity_id"] is None and transaction["logo_url"] is None
        assert all(c["entity_id"] is None for c in transaction["counterparties"])
        return False
    assert transaction["merchant_entity_id"] == entity.entity_id
    assert transaction["logo_url"] == entity.logo_url
    assert transaction["website"]
    assert transaction["counterparties"] == [
        {
            "name": transaction["merchant_name"],
            "type": "income_source"
            if transaction["personal_finance_category"]["primary"] == "INCOME"
            else "merchant",
            "website": transaction["website"],
            "logo_url": entity.logo_url,
            "entity_id": entity.entity_id,
            "confidence_level": "VERY_HIGH",
        }
    ]
    return True


def test_sync_gives_merchant_entitys_their_entity_and_others_nulls(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    added = sync_all(plaid, token)[0]["added"]
    recognised = [t for t in added if _check(t)]
    assert len(recognised) > 50
    starbucks = next(t for t in recognised if t["merchant_name"] == "Starbucks")
    assert starbucks["merchant_entity_id"] == entities.known()["Starbucks"].entity_id
    assert starbucks["logo_url"].startswith("https://plaid-merchant-logos.plaid.com/starbucks_")
    assert starbucks["counterparties"][0]["confidence_level"] == "VERY_HIGH"
    plain = [t for t in added if not t["merchant_name"]]
    assert plain, "transfers, fees and interest have no merchant"
    for transaction in plain:
        assert _merchant_fields(transaction)[:2] == (None, None)
        assert transaction["counterparties"] == []


def test_get_and_sync_agree_on_every_rows_merchant_fields(plaid: PlaidClient) -> None:
    token = plaid.link_item()
    synced = {t["transaction_id"]: t for t in sync_all(plaid, token)[0]["added"]}
    got = plaid.ok("/transactions/get", access_token=token, **WINDOW, options={"count": 500})
    assert got["transactions"]
    assert any(t["merchant_entity_id"] for t in got["transactions"])
    for transaction in got["transactions"]:
        expected = _merchant_fields(synced[transaction["transaction_id"]])
        assert _merchant_fields(transaction) == expected


def test_processor_twins_carry_the_same_merchant_fields(plaid: PlaidClient) -> None:
    access, account_id, token = processor_token(plaid)
    mine = {
        t["transaction_id"]: t
        for t in sync_all(plaid, access)[0]["added"]
        if t["account_id"] == account_id
    }
    synced = plaid.ok("/processor/transactions/sync", processor_token=token, count=500)["added"]
    got = plaid.ok(
        "/processor/transactions/get", processor_token=token, **WINDOW, options={"count": 500}
    )["transactions"]
    assert any(t["merchant_entity_id"] for t in synced)
    for transaction in synced + got:
        assert _merchant_fields(transaction) == _merchant_fields(
            mine[transaction["transaction_id"]]
        )


def test_a_refresh_of_the_dynamic_user_adds_merchant_entitys(plaid: PlaidClient) -> None:
    token = dynamic_item(plaid)
    _, cursor = sync_all(plaid, token)
    plaid.ok("/transactions/refresh", access_token=token)
    new = [t for t in sync_all(plaid, token, cursor)[0]["added"] if t["pending"]]
    assert new and all(_check(t) for t in new)


def test_custom_transactions_keep_nulls_beside_recognised_rows(plaid: PlaidClient) -> None:
    token = dynamic_item(plaid)
    _, cursor = sync_all(plaid, token)
    custom = {
        "date_transacted": "2026-03-14",
        "date_posted": "2026-03-15",
        "amount": 12.34,
        "description": "Sandbox Coffee Roasters",
    }
    plaid.ok("/sandbox/transactions/create", access_token=token, transactions=[custom])
    plaid.ok("/transactions/refresh", access_token=token)
    added = sync_all(plaid, token, cursor)[0]["added"]
    made = next(t for t in added if t["name"] == "Sandbox Coffee Roasters")
    assert (made["merchant_name"], made["counterparties"]) == (None, [])
    assert _merchant_fields(made)[:3] == (None, None, None)
    assert any(_check(t) for t in added if t is not made)


def test_another_seed_gives_other_transactions_but_the_same_entities(
    app: Flask, plaid: PlaidClient
) -> None:
    tenant, keys = tenants.create(db.session, "other-seed", 8)
    tenant.clock_frozen_at = FROZEN_NOW
    db.session.commit()
    other = PlaidClient(app.test_client(), keys.client_id, keys.secret)
    by_seed = [sync_all(client, client.link_item())[0]["added"] for client in (plaid, other)]
    ids = [{t["transaction_id"] for t in added} for added in by_seed]
    assert ids[0].isdisjoint(ids[1])
    entity_of = [
        {t["merchant_name"]: t["merchant_entity_id"] for t in added if t["merchant_entity_id"]}
        for added in by_seed
    ]
    shared = entity_of[0].keys() & entity_of[1].keys()
    assert shared
    assert {n: entity_of[0][n] for n in shared} == {n: entity_of[1][n] for n in shared}
