"""Same ``--sandbox-seed``, same ids: across runs, test orders, databases and xdist workers.

A throwaway project links items in three tests and writes every id it sees to a file per
test; the outer test compares the files of separate child runs. The tenant's clock is
frozen at one instant for every run, so a run that straddles midnight sees the same days.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATABASES, POSTGRES_URL

from .inner import run

PROJECT = """
import datetime
import json
import os
import pathlib
import time

import pytest


def drain(tenant, token):
    ids, cursor = [], ""
    while True:
        page = tenant.call("/transactions/sync", access_token=token, cursor=cursor, count=500)
        ids += [t["transaction_id"] for t in page["added"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return ids


@pytest.fixture
def record(request, sandbox_tenant, sandbox_clock):
    sandbox_clock.freeze(datetime.datetime.fromisoformat(os.environ["FREEZE_AT"]))
    seen = {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
            "server": sandbox_tenant.url, "started": time.monotonic(), "ids": []}
    yield seen["ids"]
    out = pathlib.Path(os.environ["IDS_OUT"]) / f"{request.node.name}.json"
    out.write_text(json.dumps(seen))


def link_and_drain(tenant, ids, institution, days):
    token = tenant.link_item(institution, transactions={"days_requested": days})
    item = tenant.call("/item/get", access_token=token)["item"]["item_id"]
    accounts = tenant.call("/accounts/get", access_token=token)["accounts"]
    ids += [item, *[a["account_id"] for a in accounts], *drain(tenant, token)]


def test_platypus(sandbox_tenant, record):
    link_and_drain(sandbox_tenant, record, "ins_109508", 90)


def test_two_items(sandbox_tenant, record):
    link_and_drain(sandbox_tenant, record, "ins_109508", 30)
    link_and_drain(sandbox_tenant, record, "ins_109509", 60)


def test_another_bank(sandbox_tenant, record):
    link_and_drain(sandbox_tenant, record, "ins_109511", 45)
"""

REVERSE = """
import os

def pytest_collection_modifyitems(items):
    if os.environ.get("REVERSE_ORDER"):
        items.reverse()
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The throwaway project, its clock instant shared by every run of this test."""
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    monkeypatch.setenv("FREEZE_AT", f"{tomorrow.isoformat()}T12:00:00+00:00")
    pytester.makeconftest(REVERSE)
    return pytester


def ids_of_run(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str, *args: str
) -> dict[str, Any]:
    """Run the project once; returns, per test, what it recorded (ids, worker, server)."""
    out = project.mkdir(f"ids-{name}")
    monkeypatch.setenv("IDS_OUT", str(out))
    result = run(project, PROJECT, *args)
    result.assert_outcomes(passed=3)
    return {path.stem: json.loads(path.read_text()) for path in Path(out).glob("*.json")}


def only_ids(recorded: dict[str, Any]) -> dict[str, list[str]]:
    return {test: seen["ids"] for test, seen in recorded.items()}


def order(recorded: dict[str, Any]) -> list[str]:
    return sorted(recorded, key=lambda test: float(recorded[test]["started"]))


def test_same_seed_same_ids_across_runs_and_orders_other_seed_other_ids(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_one = ids_of_run(project, monkeypatch, "first", "--sandbox-seed", "42")
    monkeypatch.setenv("REVERSE_ORDER", "1")
    run_two = ids_of_run(project, monkeypatch, "reversed", "--sandbox-seed", "42")
    other = only_ids(ids_of_run(project, monkeypatch, "other", "--sandbox-seed", "43"))
    assert order(run_one) == ["test_platypus", "test_two_items", "test_another_bank"]
    assert order(run_two) == order(run_one)[::-1]
    first = only_ids(run_one)
    assert all(len(ids) > 20 for ids in first.values())
    assert only_ids(run_two) == first
    shared = {i for ids in other.values() for i in ids} & {i for ids in first.values() for i in ids}
    assert not shared, f"seed 43 repeats {len(shared)} ids of seed 42"


@pytest.mark.skipif(
    "postgresql" not in DATABASES, reason="SANDBOX_TEST_DATABASES excludes postgresql"
)
def test_same_seed_same_ids_on_sqlite_and_postgresql(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_sqlite = only_ids(ids_of_run(project, monkeypatch, "sqlite", "--sandbox-seed", "42"))
    on_postgres = only_ids(
        ids_of_run(
            project,
            monkeypatch,
            "pg",
            "--sandbox-seed",
            "42",
            "--sandbox-database-url",
            POSTGRES_URL,
        )
    )
    assert on_postgres == on_sqlite


def test_xdist_workers_each_get_a_server_and_the_same_ids(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = ids_of_run(project, monkeypatch, "alone", "--sandbox-seed", "42")
    parallel = ids_of_run(project, monkeypatch, "xdist", "--sandbox-seed", "42", "-n", "2")
    workers = {seen["worker"]: seen["server"] for seen in parallel.values()}
    assert set(workers) == {"gw0", "gw1"}, "both workers ran tests"
    assert len(set(workers.values())) == 2, "each worker has its own server"
    assert only_ids(parallel) == only_ids(alone)
