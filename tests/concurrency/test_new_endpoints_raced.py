"""The newer Plaid endpoints raced as real apps race them, against a served process.

``/auth/verify`` bursts in two tenants at once, ``/item/products/terminate`` racing reads
and another terminate of its item, Stripe tokens of one account at once, and
``/signal/schedule`` while the clock moves: every call answers without a 5xx, no item is
lost or made twice, and what the race leaves is what the same calls one at a time leave.
One ``serve`` process per database (SQLite file, PostgreSQL), 8 client threads.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import fresh_database_url

from .scenarios import FROZEN_AT, REQUESTS, _call, tenant
from .served import Served, hammer, link

ROUTING = "021000021"
# Database Insights' pass, pass-with-caution and fail: each makes an Auth-only item.
ACCOUNT_NUMBERS = ("1111222233331111", "1111222233333333", "987654321")
GONE = {"ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN"}  # what Plaid says of a removed item's token
ITEMS_OF_TENANT = """
SELECT i.id FROM items i JOIN tenants t ON t.id = i.tenant_id WHERE t.client_id = :client_id
"""
ITEM_COUNTER = "SELECT item_counter FROM tenants WHERE client_id = :client_id"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One ``serve`` process on the database: the endpoints' units of work are those of the
    older ones, which ``test_parallel.py`` also races across gunicorn workers."""
    workdir = tmp_path_factory.mktemp(f"new-endpoints-{request.param}")
    server = Served(fresh_database_url(request.param, workdir), workdir).start()
    yield server
    server.stop()


def _stored(served: Served, keys: tuple[str, str]) -> tuple[list[str], int]:
    """The tenant's item ids and item counter, read straight from the database."""
    url = served.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        ids = connection.execute(text(ITEMS_OF_TENANT), {"client_id": keys[0]}).scalars()
        found = sorted(ids)
        counter = connection.execute(text(ITEM_COUNTER), {"client_id": keys[0]}).scalar_one()
    engine.dispose()
    return found, counter


def _verify(served: Served, keys: tuple[str, str], n: int) -> Callable[[], requests.Response]:
    numbers = {"ach": {"account": ACCOUNT_NUMBERS[n % 3], "routing": ROUTING}}
    return lambda: served.post("/auth/verify", keys, numbers=numbers, legal_name="John Smith")


def _outcome(reply: requests.Response) -> int | str:
    """200, or the error code of a Plaid error (any other status stays a number)."""
    if reply.status_code == 400 and "error_code" in reply.json():
        return str(reply.json()["error_code"])
    return reply.status_code


def test_parallel_verifications_in_two_tenants_make_one_item_per_call(served: Served) -> None:
    """48 ``/auth/verify`` calls, interleaved over two tenants of one seed: each call gets an
    item of its own, stored once, and the ids are those the same calls made one at a time
    give (item ids derive from the seed and the tenant's item counter)."""
    both = [tenant(served), tenant(served)]
    replies = hammer(_verify(served, both[n % 2], n) for n in range(REQUESTS))
    assert Counter(r.status_code for r in replies) == {200: REQUESTS}, served.logs()[-3000:]
    reference_keys = tenant(served)
    reference = sorted(
        _verify(served, reference_keys, n)().json()["item_id"] for n in range(REQUESTS // 2)
    )
    for which, keys in enumerate(both):
        ids = [r.json()["item_id"] for r in replies[which::2]]
        assert len(set(ids)) == len(ids) == REQUESTS // 2  # none handed out twice
        assert sorted(ids) == reference
        assert _stored(served, keys) == (reference, REQUESTS // 2)  # none lost, none extra


READS = ("/transactions/sync", "/accounts/balance/get", "/identity/refresh")
TERMINATE = "/item/products/terminate"
REASON = {"reason_code": "USER_OFFBOARDING"}


def _end(served: Served, keys: tuple[str, str], path: str, token: str) -> Callable[[], Any]:
    """A call of ``path`` on the item; a terminate says why, as it must."""
    return _call(served, keys, path, REASON if path == TERMINATE else {}, access_token=token)


def test_terminate_racing_reads_and_a_second_terminate_leaves_one_winner(served: Served) -> None:
    """Two terminates of one item amid syncs, balance reads and identity refreshes of it:
    no 5xx; one terminate wins, the other answers as a later one does; each read either
    ran before the item went or answers as a later read does."""
    for _ in range(3):
        keys = tenant(served)
        token = link(served, keys, products=("auth", "identity", "transactions"))
        paths = [*READS * 2, TERMINATE, *READS * 2, TERMINATE]
        replies = hammer(_end(served, keys, path, token) for path in paths)
        raced = Counter((path, _outcome(r)) for path, r in zip(paths, replies, strict=True))
        later = _outcome(_end(served, keys, TERMINATE, token)())
        assert later in GONE, later
        terminates = {o: n for (p, o), n in raced.items() if p == TERMINATE}
        assert terminates == {200: 1, later: 1}, (terminates, served.logs()[-3000:])
        for path in READS:
            after = _outcome(served.post(path, keys, access_token=token))
            assert after in GONE, (path, after)
            outcomes = {o for p, o in raced if p == path}
            assert outcomes <= {200, after}, (path, outcomes, served.logs()[-3000:])


@pytest.mark.parametrize(
    "paths",
    [
        (TERMINATE,),
        ("/item/remove",),
        (TERMINATE, "/item/remove"),
    ],
    ids=["terminates", "removes", "both"],
)
def test_parallel_ends_of_one_item_have_one_winner(served: Served, paths: tuple[str, ...]) -> None:
    """``/item/products/terminate`` held to ``/item/remove``'s rule under the same race:
    exactly one call ends the item, every other one is ``ITEM_NOT_FOUND`` as a later call."""
    keys = tenant(served)
    token = link(served, keys)
    replies = hammer(
        _end(served, keys, path, token) for path in paths * (REQUESTS // 4 // len(paths))
    )
    outcomes = Counter(_outcome(r) for r in replies)
    assert outcomes == {200: 1, "ITEM_NOT_FOUND": len(replies) - 1}, served.logs()[-3000:]


def test_parallel_stripe_tokens_of_one_account_are_one_token(served: Served) -> None:
    """Stripe tokens for two accounts of a fresh item at once (the first one bills Auth on
    the item): every call answers, each account has one token, the one a later call gets,
    and the item lists Auth once."""
    keys = tenant(served)
    token = link(served, keys)
    accounts = served.ok("/accounts/get", keys, access_token=token)["accounts"]
    chosen = [a["account_id"] for a in accounts if a["subtype"] in ("checking", "savings")]
    assert len(chosen) == 2
    path = "/processor/stripe/bank_account_token/create"
    replies = hammer(
        _call(served, keys, path, access_token=token, account_id=chosen[n % 2])
        for n in range(REQUESTS)
    )
    assert Counter(r.status_code for r in replies) == {200: REQUESTS}, served.logs()[-3000:]
    for which, account in enumerate(chosen):
        tokens = {r.json()["stripe_bank_account_token"] for r in replies[which::2]}
        later = served.ok(path, keys, access_token=token, account_id=account)
        assert tokens == {later["stripe_bank_account_token"]}
    tokens_made = {r.json()["stripe_bank_account_token"] for r in replies}
    assert len(tokens_made) == 2
    products = served.ok("/item/get", keys, access_token=token)["item"]["products"]
    assert products.count("auth") == 1


def _schedule(served: Served, keys: tuple[str, str], token: str, account: str) -> Any:
    return served.post(
        "/signal/schedule",
        keys,
        access_token=token,
        account_id=account,
        client_transaction_id="race-schedule",
        amount=25.0,
    )


def _linked_checking(served: Served, keys: tuple[str, str]) -> tuple[str, str]:
    token = link(served, keys, products=("auth", "signal", "transactions"))
    accounts = served.ok("/accounts/get", keys, access_token=token)["accounts"]
    return token, next(a["account_id"] for a in accounts if a["subtype"] == "checking")


def test_schedules_racing_clock_moves_answer_and_every_move_lands(served: Served) -> None:
    """``/signal/schedule`` on one item while the control API moves the clock a day at a
    time (and enrichments, which touch no item, run beside): no 5xx, every move counted,
    and the schedule afterwards is the one a tenant that moved its clock one call at a time
    gets."""
    moves = REQUESTS // 6
    keys = tenant(served)
    token, checking = _linked_checking(served, keys)
    row = {"id": "t-1", "description": "STARBUCKS STORE #1234", "amount": 5.45}
    row |= {"direction": "OUTFLOW", "iso_currency_code": "USD"}
    moving = _call(served, keys, "/control/clock", advance_days=1)
    enriching = _call(
        served, keys, "/transactions/enrich", {"transactions": [row]}, account_type="depository"
    )
    scheduling = lambda: _schedule(served, keys, token, checking)  # noqa: E731
    calls = [{0: moving, 3: enriching}.get(n % 6, scheduling) for n in range(REQUESTS)]
    replies = hammer(calls)
    assert Counter(r.status_code for r in replies) == {200: REQUESTS}, served.logs()[-3000:]
    start = dt.datetime.fromisoformat(FROZEN_AT)
    moved = dt.datetime.fromisoformat(served.get("/control/clock", keys)["now"])
    assert moved - start == dt.timedelta(days=moves)  # no clock move lost
    enriched = [r.json()["enriched_transactions"] for r in replies[3::6]]
    assert all(e == enriched[0] for e in enriched)  # pure: the clock moves nothing in it
    reference_keys = tenant(served)
    reference_token, reference_checking = _linked_checking(served, reference_keys)
    for _ in range(moves):
        served.ok("/control/clock", reference_keys, advance_days=1)
    after = _schedule(served, keys, token, checking).json()
    reference = _schedule(served, reference_keys, reference_token, reference_checking).json()
    assert {**after, "request_id": ""} == {**reference, "request_id": ""}
