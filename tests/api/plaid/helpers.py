"""Small helpers shared by the Plaid API tests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from sandbox.core.models import Item, Tenant
from sandbox.extensions import db
from tests.conftest import PlaidClient


def set_rate_limits(plaid: PlaidClient, limits: dict[str, dict[str, int]]) -> None:
    """Override the tenant's rate limits of some endpoints (``PUT /control/rate-limits``)."""
    response = plaid.client.put(
        "/control/rate-limits",
        json={"limits": limits},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert response.status_code == 200, response.get_json()


def advance_clock(plaid: PlaidClient, days: int = 0, *, seconds: int = 0) -> dict[str, Any]:
    """Move the tenant's clock through the control API (keys in Plaid's headers)."""
    response = plaid.client.post(
        "/control/clock",
        json={"advance_days": days, "advance_seconds": seconds},
        headers={"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret},
    )
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def sync_all(
    plaid: PlaidClient, token: str, cursor: str | None = "", count: int = 500, **extra: Any
) -> tuple[dict[str, list[Any]], str]:
    """Follow ``has_more`` to the end; returns the merged arrays and the final cursor."""
    merged: dict[str, list[Any]] = {"added": [], "modified": [], "removed": []}
    more = True
    while more:
        page = plaid.ok(
            "/transactions/sync", access_token=token, cursor=cursor, count=count, **extra
        )
        for key in merged:
            merged[key] += page[key]
        cursor, more = page["next_cursor"], page["has_more"]
    assert cursor
    return merged, str(cursor)


def dynamic_item(plaid: PlaidClient) -> str:
    """An item of ``user_transactions_dynamic`` (the user whose data moves on refresh)."""
    return plaid.link_item(
        override_username="user_transactions_dynamic", override_password="pass_good"
    )


def queued_events(plaid: PlaidClient) -> list[dict[str, Any]]:
    """The tenant's queued webhooks, oldest first: ``url`` and the parsed ``body``, read
    through the control API."""
    headers = {"PLAID-CLIENT-ID": plaid.client_id, "PLAID-SECRET": plaid.secret}
    rows = plaid.client.get("/control/webhooks", headers=headers).get_json()["webhooks"]
    found = []
    for row in reversed(rows):
        detail = plaid.client.get(f"/control/webhooks/{row['id']}", headers=headers).get_json()
        found.append({"url": row["url"], "body": json.loads(detail["webhook"]["body"])})
    return found


def queued_webhooks(plaid: PlaidClient) -> list[dict[str, Any]]:
    """The tenant's queued webhook bodies, newest first."""
    return [event["body"] for event in reversed(queued_events(plaid))]


def items_stored(plaid: PlaidClient) -> int:
    """How many items the tenant has (removed ones too): a refused call wrote none."""
    query = select(func.count()).select_from(Item).join(Tenant)
    return db.session.scalar(query.where(Tenant.client_id == plaid.client_id)) or 0


def processor_token(
    plaid: PlaidClient,
    mask: str = "0000",
    *,
    products: tuple[str, ...] = ("auth", "transactions"),
    institution: str = "ins_109508",
    **options: Any,
) -> tuple[str, str, str]:
    """(access token, account id, processor token) for a new item's account with ``mask``."""
    access = plaid.link_item(institution, products=products, **options)
    accounts = plaid.ok("/accounts/get", access_token=access)["accounts"]
    account_id = next(a["account_id"] for a in accounts if a["mask"] == mask)
    token = plaid.ok(
        "/processor/token/create", access_token=access, account_id=account_id, processor="dwolla"
    )["processor_token"]
    return access, account_id, token


def custom_link(plaid: PlaidClient, password: str) -> Any:
    """The raw reply of linking ``user_custom`` with ``password`` (a JSON configuration)."""
    return plaid.post(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"override_username": "user_custom", "override_password": password},
    )
