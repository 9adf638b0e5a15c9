"""The garbage collector is held off while a sync page is parsed and stored, and only then."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from client.collector import collector_paused
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.providers import plaid
from client.providers.model import LocalTransaction
from client.store.db import Store
from client.store.models import Connection
from client.sync.apply import apply_plan
from client.sync.engine import SyncEngine
from tests.client.fake_provider import FakeBank, txn


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Each test starts with collection on, and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_resumed_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error() -> None:
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("page")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_resumed_when_the_last_of_overlapping_threads_leaves() -> None:
    inside, release = threading.Event(), threading.Event()

    def other_sync() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_sync)
    thread.start()
    assert inside.wait(10)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread is still storing its page
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_engine_pauses_while_storing_a_page_not_while_fetching_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[bool]] = {"fetch": [], "store": []}

    class Watched(FakeBank):
        def fetch_changes(self, credentials: str, cursor: str | None, count: int) -> Any:
            seen["fetch"].append(gc.isenabled())
            return super().fetch_changes(credentials, cursor, count)

    def watched_apply(*args: Any) -> Any:
        seen["store"].append(gc.isenabled())
        return apply_plan(*args)

    monkeypatch.setattr("client.sync.engine.apply_plan", watched_apply)
    fake = Watched()
    fake.upsert(*(txn(f"t{n}", -n) for n in range(5)))
    cipher = TokenCipher([TokenCipher.generate_key()])
    engine = SyncEngine(fake, store, cipher, notifier=CollectingNotifier(), page_size=2)
    with store.session() as session:
        conn = Connection(
            provider="fake", access_token_enc=cipher.encrypt("fake-secret"), settings={}
        )
        session.add(conn)
        session.flush()
        cid = conn.id
    assert engine.sync(cid).added == 5
    assert seen == {"fetch": [True] * 3, "store": [False] * 3}
    assert gc.isenabled()


def test_plaid_pages_are_parsed_paused_and_fetched_not(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, list[bool]] = {"fetch": [], "parse": []}

    class Api:
        def transactions_sync(self, *_args: Any, **_options: Any) -> dict[str, Any]:
            seen["fetch"].append(gc.isenabled())
            return {"added": [{}], "modified": [], "removed": [], "next_cursor": "c1",
                    "has_more": False}  # fmt: skip

    def parse(_raw: dict[str, Any]) -> LocalTransaction:
        seen["parse"].append(gc.isenabled())
        return txn("t1", -1)

    monkeypatch.setattr(plaid, "map_transaction", parse)
    provider = plaid.PlaidProvider(Api())  # type: ignore[arg-type]
    page = provider.fetch_changes("access-token", None, 500)
    assert [t.provider_id for t in page.added] == ["t1"]
    assert seen == {"fetch": [True], "parse": [False]}
    assert gc.isenabled()
