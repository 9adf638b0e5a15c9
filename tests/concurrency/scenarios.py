"""The parallel workloads of issue 12, each returning the HTTP statuses it saw.

Every scenario runs in fresh tenants whose clocks are frozen at one instant, and checks its
own invariant after the burst: ids are deterministic, so a tenant of the same seed that did
the same calls one at a time is the reference for "no duplicate, no lost row".
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from .served import THREADS, Served, hammer, link, sync_all, sync_chain

REQUESTS = 48
Scenario = Callable[[Served], "Counter[int]"]
UNREACHABLE = "http://127.0.0.1:9/unreachable"  # a webhook URL: events queue, none arrives
FROZEN_AT = "2030-01-15T12:00:00+00:00"  # ahead of any real clock: the clock moves forward only


def tenant(served: Served) -> tuple[str, str]:
    """A fresh tenant of seed 7 whose clock stands still at ``FROZEN_AT``."""
    keys = served.tenant(seed=7)
    served.ok("/control/clock", keys, set=FROZEN_AT, freeze=True)
    return keys


def first_reads(served: Served, count: int = REQUESTS) -> Counter[int]:
    """Reads right after the exchange race each other and the historical pull."""
    keys = tenant(served)
    token = link(served, keys)
    paths = ("/transactions/sync", "/accounts/get")
    statuses = _statuses(
        hammer(_call(served, keys, paths[i % 2], access_token=token) for i in range(count))
    )
    reference_keys = tenant(served)
    reference = sync_all(served, reference_keys, link(served, reference_keys))
    assert _ids(sync_all(served, keys, token)) == _ids(reference)
    return statuses


def item_creations(served: Served, count: int = REQUESTS) -> Counter[int]:
    """Links in one tenant at once: each gets its own item, none fails."""
    keys = tenant(served)
    body = {"institution_id": "ins_109508", "initial_products": ["transactions"]}
    replies = hammer(
        _call(served, keys, "/sandbox/public_token/create", **body) for _ in range(count)
    )
    publics = [r.json()["public_token"] for r in replies if r.status_code == 200]
    items = [
        served.ok("/item/public_token/exchange", keys, public_token=p)["item_id"] for p in publics
    ]
    assert len(set(items)) == len(publics)
    return _statuses(replies)


def refreshes(served: Served, count: int = REQUESTS) -> Counter[int]:
    """``/transactions/refresh`` and ``/sandbox/transactions/create`` on one item at once."""
    keys = tenant(served)
    token = link(served, keys, "user_transactions_dynamic")
    calls = []
    for i in range(count):
        if i % 2:
            calls.append(_call(served, keys, "/transactions/refresh", access_token=token))
        else:
            created = [_created(f"Concurrent purchase {i}")]
            calls.append(
                _call(
                    served,
                    keys,
                    "/sandbox/transactions/create",
                    access_token=token,
                    transactions=created,
                )
            )
    replies = hammer(calls)
    rows = sync_all(served, keys, token)
    names = Counter(r["name"] for r in rows if r["name"].startswith("Concurrent purchase"))
    made = {f"Concurrent purchase {i}" for i in range(0, count, 2) if replies[i].status_code == 200}
    assert set(names) == made  # none lost
    assert set(names.values()) <= {1}  # none duplicated
    return _statuses(replies)


def syncs_during_refreshes(served: Served, count: int = REQUESTS) -> Counter[int]:
    """A client paging ``/transactions/sync`` 10 rows at a time while refreshes land keeps a
    copy equal to a full sync: each chain is applied whole, and restarted when the data moved
    under it (Plaid's advice); ``added`` is always new to the copy, ``modified`` and
    ``removed`` always name a row in it."""
    keys = tenant(served)
    token = link(served, keys, "user_transactions_dynamic")
    copy: dict[str, dict[str, Any]] = {}
    cursor = ""
    calls = [_call(served, keys, "/transactions/refresh", access_token=token)] * count
    with ThreadPoolExecutor(1) as background:
        refreshing = background.submit(hammer, calls, THREADS - 1)
        while not refreshing.done():
            cursor = sync_chain(served, keys, token, cursor, copy, count=10)
        replies = refreshing.result()
    sync_chain(served, keys, token, cursor, copy, count=10)
    assert copy == {row["transaction_id"]: row for row in sync_all(served, keys, token)}
    return _statuses(replies)


def every_endpoint(served: Served, count: int = REQUESTS) -> Counter[int]:
    """Each item-scoped endpoint, clock moves and new links, at once on one item and tenant."""
    keys = tenant(served)
    token = link(served, keys, "user_transactions_dynamic")
    hook = {"webhook": UNREACHABLE}
    served.ok("/item/webhook/update", keys, access_token=token, **hook)  # fire_webhook needs one
    calls: list[tuple[str, dict[str, Any]]] = [
        (path, {"access_token": token})
        for path in (
            "/item/get",
            "/accounts/get",
            "/accounts/balance/get",
            "/auth/get",
            "/identity/get",
            "/liabilities/get",
            "/transactions/recurring/get",
            "/transactions/refresh",
            "/transactions/sync",
        )
    ]
    calls += [
        (
            "/transactions/get",
            {"access_token": token, "start_date": "2029-10-01", "end_date": "2030-01-15"},
        ),
        ("/item/webhook/update", {"access_token": token, **hook}),
        ("/sandbox/item/fire_webhook", {"access_token": token, "webhook_code": "DEFAULT_UPDATE"}),
        (
            "/sandbox/transactions/create",
            {"access_token": token, "transactions": [_created("Every endpoint")]},
        ),
        (
            "/link/token/create",
            {
                "user": {"client_user_id": "u"},
                "client_name": "c",
                "products": ["transactions"],
                "country_codes": ["US"],
                "language": "en",
            },
        ),
        ("/control/clock", {"advance_days": 1}),
        (
            "/sandbox/public_token/create",
            {"institution_id": "ins_109508", "initial_products": ["transactions"]},
        ),
    ]
    replies = hammer(_call(served, keys, *calls[i % len(calls)]) for i in range(count))
    _ids(sync_all(served, keys, token))  # every row once
    return _statuses(replies)


def signal_evaluations(served: Served, count: int = REQUESTS) -> Counter[int]:
    """First and repeated evaluations of the same new ids on one item at once: each id gets
    one stored evaluation (a race of two first inserts must not break its unique key)."""
    keys = tenant(served)
    token = link(served, keys)
    accounts = served.ok("/accounts/get", keys, access_token=token)["accounts"]
    checking = next(a["account_id"] for a in accounts if a["subtype"] == "checking")
    ids = [f"race-{i}" for i in range(count // 4)]  # 4 calls each, under the hourly limit of 10
    body = {"access_token": token, "account_id": checking, "amount": 12.17}
    replies = hammer(
        _call(served, keys, "/signal/evaluate", client_transaction_id=ids[i % len(ids)], **body)
        for i in range(count)
    )
    scores = {r.json()["scores"]["bank_initiated_return_risk"]["score"] for r in replies if r.ok}
    assert len(scores) <= 1  # the same debit scores the same, however it raced
    for client_transaction_id in ids:  # each id was stored, once: the reports find it
        served.ok(
            "/signal/decision/report",
            keys,
            client_transaction_id=client_transaction_id,
            initiated=True,
        )
    return _statuses(replies)


def asset_report_removals(served: Served, count: int = REQUESTS) -> Counter[int]:
    """``/asset_report/remove`` of one report at once: one call removes it, every other one
    answers as a later removal does (the report is gone), whatever the interleaving."""
    keys = tenant(served)
    token = link(served, keys, products=("transactions", "assets"))
    report = served.ok("/asset_report/create", keys, access_tokens=[token], days_requested=10)
    body = {"asset_report_token": report["asset_report_token"]}
    replies = hammer(_call(served, keys, "/asset_report/remove", **body) for _ in range(count))
    later = served.post("/asset_report/remove", keys, **body).json()["error_code"]
    assert later == "INVALID_ASSET_REPORT_TOKEN"
    assert {r.json()["error_code"] for r in replies if not r.ok} == {later}
    return _statuses(replies)


def investment_extractions(served: Served, count: int = REQUESTS) -> Counter[int]:
    """``/investments/transactions/get`` with ``async_update`` at once, in two tenants, on
    items linked without Investments: each item's extraction starts once and ends once (one
    ``HISTORICAL_UPDATE`` per item), whoever's call got there first."""
    items = []
    for _ in range(2):
        keys = tenant(served)
        token = link(served, keys)
        served.ok("/item/webhook/update", keys, access_token=token, webhook=UNREACHABLE)
        items.append((keys, token))
    body = {"start_date": "2029-01-15", "end_date": "2030-01-15", "options": {"async_update": True}}
    replies = hammer(
        _call(served, keys, "/investments/transactions/get", body, access_token=token)
        for i in range(count)
        for keys, token in [items[i % 2]]
    )
    for keys, _token in items:
        codes = [
            (hook["webhook_type"], hook["webhook_code"])
            for row in served.get("/control/webhooks", keys)["webhooks"]
            for hook in [
                json.loads(served.get(f"/control/webhooks/{row['id']}", keys)["webhook"]["body"])
            ]
        ]
        assert codes.count(("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE")) == 1, codes
    return _statuses(replies)


def processor_tokens(served: Served, count: int = REQUESTS) -> Counter[int]:
    """``/processor/token/create`` for one account and ``/sandbox/processor_token/create`` at
    once, in one tenant: every call gets a token of its own (Plaid: many per account), each
    token opens the account it was made for, and each sandbox token a new item's account."""
    keys = tenant(served)
    token = link(served, keys, products=("auth", "transactions"))
    accounts = served.ok("/accounts/get", keys, access_token=token)["accounts"]
    checking = next(a["account_id"] for a in accounts if a["subtype"] == "checking")
    for_app = {"access_token": token, "account_id": checking, "processor": "dwolla"}
    replies = hammer(
        _call(served, keys, "/processor/token/create", **for_app)
        if i % 2
        else _call(served, keys, "/sandbox/processor_token/create", institution_id="ins_109508")
        for i in range(count)
    )
    made = [(i % 2, r.json()["processor_token"]) for i, r in enumerate(replies) if r.ok]
    assert len({t for _, t in made}) == len(made)  # no token handed out twice
    opened = [
        (app, served.ok("/processor/account/get", keys, processor_token=t)["account"])
        for app, t in made
    ]
    assert {a["account_id"] for app, a in opened if app} <= {checking}
    own = [a["account_id"] for app, a in opened if not app]
    assert len(set(own)) == len(own) and checking not in own  # a new item each
    return _statuses(replies)


def _created(name: str) -> dict[str, Any]:
    """One custom transaction of the day before the frozen clock, posted that day."""
    today = dt.datetime.fromisoformat(FROZEN_AT).date()
    return {
        "date_transacted": (today - dt.timedelta(days=1)).isoformat(),
        "date_posted": today.isoformat(),
        "amount": 4.5,
        "description": name,
    }


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    ids = [r["transaction_id"] for r in rows]
    assert len(set(ids)) == len(ids) > 0
    return sorted(ids)


def _statuses(replies: list[requests.Response]) -> Counter[int]:
    return Counter(r.status_code for r in replies)


def _call(
    served: Served,
    keys: tuple[str, str],
    path: str,
    body: dict[str, Any] | None = None,
    **more: object,
) -> Callable[[], requests.Response]:
    return lambda: served.post(path, keys, **(body or {}), **more)
