"""Every endpoint called in parallel on one item or one tenant: no 5xx, no duplicate, no loss.

Runs against real server processes (``serve`` and gunicorn with two workers plus a webhook
worker, on SQLite and PostgreSQL), with 8 client threads, right after the exchange, when
the webhook dispatcher's historical pull races the first reads.
"""

from __future__ import annotations

from collections import Counter

import pytest

from . import scenarios
from .served import Served, hammer, link


@pytest.mark.parametrize(
    "scenario",
    [
        scenarios.first_reads,
        scenarios.item_creations,
        scenarios.refreshes,
        scenarios.syncs_during_refreshes,
        scenarios.every_endpoint,
        scenarios.signal_evaluations,
        scenarios.investment_extractions,
        scenarios.processor_tokens,
    ],
    ids=[
        "first-reads",
        "item-creations",
        "refresh-and-create",
        "sync-during-refreshes",
        "every-endpoint",
        "signal",
        "investment-extractions",
        "processor-tokens",
    ],
)
def test_parallel_calls_answer_without_5xx_duplicate_or_loss(
    served: Served, scenario: scenarios.Scenario
) -> None:
    statuses = scenario(served)
    assert statuses == {200: scenarios.REQUESTS}, (statuses, served.logs()[-3000:])


def test_parallel_rotations_of_one_access_token_mint_one_successor(served: Served) -> None:
    """Invalidations of one token at once: one wins and its successor is the item's only
    live token; the rest find the token retired, as a later call would."""
    keys = scenarios.tenant(served)
    token = link(served, keys)
    replies = hammer(
        lambda: served.post("/item/access_token/invalidate", keys, access_token=token)
        for _ in range(scenarios.REQUESTS // 4)
    )
    codes = Counter(r.json().get("error_code", r.status_code) for r in replies)
    assert codes == {200: 1, "INVALID_ACCESS_TOKEN": len(replies) - 1}, served.logs()[-3000:]
    successor = next(r.json()["new_access_token"] for r in replies if r.ok)
    served.ok("/item/get", keys, access_token=successor)
    retired = served.post("/item/get", keys, access_token=token).json()
    assert retired["error_code"] == "INVALID_ACCESS_TOKEN"


def test_parallel_removals_of_one_asset_report_have_one_winner(served: Served) -> None:
    statuses = scenarios.asset_report_removals(served)
    assert statuses == {200: 1, 400: scenarios.REQUESTS - 1}, (statuses, served.logs()[-3000:])
