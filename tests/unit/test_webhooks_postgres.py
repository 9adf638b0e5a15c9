"""Two dispatchers racing on PostgreSQL: every attempt is made by exactly one of them."""

from __future__ import annotations

import collections
import datetime as dt
import io
import threading
import time
from typing import Any

import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sandbox.core import tenants
from sandbox.core.models import Tenant
from sandbox.core.webhooks import outbox as webhooks
from sandbox.core.webhooks.dispatch import Dispatcher

EVENTS = 40


def tenants_of(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    return tenant


def test_two_dispatchers_deliver_each_attempt_exactly_once(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    with Session(engine) as session:
        tenant, _ = tenants.create(session, "race", 7)
        ids = []
        for n in range(EVENTS):
            event = webhooks.emit(
                session, tenant, None, "ITEM", "NEW_ACCOUNTS_AVAILABLE", {"n": n}, url="http://x"
            )
            assert event is not None
            ids.append(event.id)
        session.commit()
        tenant_id = tenant.id

    calls: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def post(
        url: str, *, data: bytes, headers: dict[str, str], timeout: float, stream: bool
    ) -> Any:
        """Fails each event's first attempt, so the retry is raced for as well."""
        n = int(data.split(b'"n": ')[1].split(b",")[0])
        with lock:
            calls[n] += 1
            first = calls[n] == 1
        time.sleep(0.002)
        response = requests.Response()
        response.status_code = 500 if first else 200
        response.raw = io.BytesIO(b"")
        return response

    start, now = threading.Barrier(2), dt.datetime.now(dt.UTC)

    def run() -> None:
        dispatcher = Dispatcher(retry_delays=(0,), jitter=lambda d: d, post=post, batch=3)
        with Session(engine) as session:
            start.wait()
            dispatcher.deliver_pending(session, now, tenant_id=tenant_id)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with Session(engine) as session:
        rows = webhooks.events(session, tenants_of(session, tenant_id), limit=EVENTS)
        assert {row.status for row in rows} == {"delivered"}
        assert sorted(row.id for row in rows) == ids
        assert all(len(row.attempt_log) == 2 for row in rows)
    assert calls == {n: 2 for n in range(EVENTS)}
    engine.dispose()


def test_two_dispatchers_stop_retries_to_a_rejecting_endpoint_without_losing_webhooks(
    postgres_url: str,
) -> None:
    """Plaid's rejection rule with two dispatchers at once: every webhook's first attempt is
    made once, retries stop once the endpoint rejected over 90% of 10 attempts, and each
    webhook ends ``endpoint_failing`` (or ``failed``, its schedule spent first), none lost."""
    engine = create_engine(postgres_url)
    with Session(engine) as session:
        tenant, _ = tenants.create(session, "rejecting", 7)
        for n in range(EVENTS):
            webhooks.emit(
                session, tenant, None, "ITEM", "NEW_ACCOUNTS_AVAILABLE", {"n": n}, url="http://r"
            )
        session.commit()
        tenant_id = tenant.id
    calls: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def post(
        url: str, *, data: bytes, headers: dict[str, str], timeout: float, stream: bool
    ) -> Any:
        with lock:
            calls[int(data.split(b'"n": ')[1].split(b",")[0])] += 1
        time.sleep(0.002)
        response = requests.Response()
        response.status_code = 503
        response.raw = io.BytesIO(b"")
        return response

    start, now = threading.Barrier(2), dt.datetime.now(dt.UTC)

    def run() -> None:
        dispatcher = Dispatcher(retry_delays=(0, 0), jitter=lambda d: d, post=post, batch=3)
        with Session(engine) as session:
            start.wait()
            dispatcher.deliver_pending(session, now, tenant_id=tenant_id)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with Session(engine) as session:
        rows = webhooks.events(session, tenants_of(session, tenant_id), limit=EVENTS)
        logged = {row.id: (row.status, row.attempts) for row in rows}
    engine.dispose()
    statuses = [status for status, _ in logged.values()]
    assert len(statuses) == EVENTS and set(statuses) <= {"endpoint_failing", "failed"}
    assert statuses.count("endpoint_failing") >= EVENTS - 10
    # Each webhook was tried, and each POST is one logged attempt (none made twice).
    first = min(logged)
    assert calls == {event_id - first: tried for event_id, (_, tried) in logged.items()}
    # Without the rule each would have had its 3 attempts.
    assert set(calls) == set(range(EVENTS)) and sum(calls.values()) < EVENTS + 20
