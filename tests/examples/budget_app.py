"""A tiny "app" under test: totals a user's spending by category through Plaid's API.

It stands for your application code; the tests next to it show how the sandbox's pytest
fixtures exercise it the way Plaid would.
"""

from __future__ import annotations

import json
import queue
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import requests


class PlaidUnavailable(Exception):
    """Plaid (or the bank behind it) failed; the app shows "try again later"."""


def fetch_all_transactions(
    base_url: str, keys: dict[str, str], access_token: str
) -> list[dict[str, Any]]:
    """Drain ``/transactions/sync`` from the beginning, as a real app does."""
    added: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = requests.post(
            f"{base_url}/transactions/sync",
            timeout=30,
            headers=keys,
            json={"access_token": access_token, "cursor": cursor},
        )
        if response.status_code >= 400:
            raise PlaidUnavailable(response.json().get("error_code"))
        page = response.json()
        added.extend(page["added"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return added


def spending_by_category(transactions: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Money out per Plaid primary category (positive amounts are outflows)."""
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    for txn in transactions:
        if txn["amount"] > 0 and not txn["pending"]:
            category = txn["personal_finance_category"]["primary"]
            totals[category] += Decimal(str(txn["amount"]))
    return dict(totals)


class WebhookInbox:
    """The app's webhook endpoint (a WSGI app): queues ``(item_id, webhook_code)`` to act on."""

    def __init__(self) -> None:
        self.news: queue.Queue[tuple[str, str]] = queue.Queue()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Accept a Plaid webhook; real apps verify ``Plaid-Verification`` first."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
        self.news.put((body["item_id"], body["webhook_code"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
