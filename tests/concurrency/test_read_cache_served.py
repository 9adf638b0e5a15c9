"""The read cache across processes: two ``serve`` processes on one database (a SQLite file,
or PostgreSQL), each answering repeated calls from memory, each seeing the other's writes
at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import fresh_database_url

from .served import THREADS, Served

ROUNDS = 12


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Served]]:
    """Two servers on one database, as two hosts' workers or a restart's overlap."""
    url = fresh_database_url(request.param, tmp_path_factory.mktemp("shared"), "read_cache")
    first = Served(url, Path(tmp_path_factory.mktemp("first"))).start()
    second = Served(url, Path(tmp_path_factory.mktemp("second"))).start()
    yield first, second
    first.stop()
    second.stop()


def _webhooks(server: Served, token: str) -> set[str]:
    """The item's webhook as ``THREADS`` parallel balance calls to ``server`` show it."""
    with ThreadPoolExecutor(THREADS) as pool:
        replies = pool.map(
            lambda _: server.ok("/accounts/balance/get", access_token=token), range(THREADS)
        )
        return {reply["item"]["webhook"] for reply in replies}


def test_a_write_in_one_process_is_seen_by_the_next_read_in_the_other(
    pair: tuple[Served, Served],
) -> None:
    first, second = pair
    public = first.ok(
        "/sandbox/public_token/create", institution_id="ins_109508", initial_products=["auth"]
    )["public_token"]
    token = first.ok("/item/public_token/exchange", public_token=public)["access_token"]
    for round_ in range(ROUNDS):
        writer, reader = (first, second) if round_ % 2 == 0 else (second, first)
        before = _webhooks(reader, token)  # read twice: the second is answered from memory
        assert _webhooks(reader, token) == before and len(before) == 1
        webhook = f"https://example.com/hook/{round_}"
        writer.ok("/item/webhook/update", access_token=token, webhook=webhook)
        assert _webhooks(reader, token) == {webhook}, reader.logs()
