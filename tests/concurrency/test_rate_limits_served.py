"""Rate limits under real concurrency: only well-formed calls use up the budget.

``serve`` counts in memory; gunicorn's two workers count in Redis, so both share one budget.
Malformed and well-formed calls race from several threads: every malformed one is refused
as ``INVALID_REQUEST`` (never 429), and exactly the limit's worth of well-formed ones pass.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import fresh_database_url

from .served import Served, hammer, link

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
KINDS = [("serve", "sqlite", None), ("gunicorn", "postgresql", REDIS_URL)]
PER_ITEM = 6


@pytest.fixture(scope="module", params=KINDS, ids=["serve-sqlite-memory", "gunicorn-pg-redis"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A served sandbox counting in ``store`` (None: in memory); its tenants turn limits on."""
    kind, database, store = request.param
    workdir = tmp_path_factory.mktemp(f"limits-{kind}-{database}")
    settings = {} if store is None else {"SANDBOX_RATELIMIT_STORAGE_URL": store}
    server = Served(fresh_database_url(database, workdir), workdir, kind, settings).start()
    yield server
    server.stop()


def test_malformed_calls_racing_well_formed_ones_use_none_of_the_budget(served: Served) -> None:
    keys = served.tenant()  # a new client id: counters of its own, in memory or Redis
    token = link(served, keys)
    limits = {"enabled": True, "limits": {"/item/get": {"per_item": PER_ITEM}}}
    headers = {"PLAID-CLIENT-ID": keys[0], "PLAID-SECRET": keys[1]}
    changed = requests.put(f"{served.url}/control/rate-limits", json=limits, headers=headers)
    assert changed.status_code == 200, changed.text
    calls = [{"access_token": token, "bogus": n} for n in range(3 * PER_ITEM)]
    calls += [{"access_token": token}] * (2 * PER_ITEM)
    random.Random(7).shuffle(calls)
    replies = hammer(lambda body=body: served.post("/item/get", keys, **body) for body in calls)
    outcomes = Counter(
        ("bogus" in body, reply.status_code, reply.json().get("error_code"))
        for body, reply in zip(calls, replies, strict=True)
    )
    assert outcomes == {
        (True, 400, "UNKNOWN_FIELDS"): 3 * PER_ITEM,
        (False, 200, None): PER_ITEM,
        (False, 429, "ITEM_GET_LIMIT"): PER_ITEM,
    }, served.logs()
