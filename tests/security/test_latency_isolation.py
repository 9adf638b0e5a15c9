"""Injected latency never holds a database connection nor starves other tenants.

A served sandbox with a pool of two connections and no overflow: eight calls of one
tenant sleep on a latency fault rule (45 s asked, capped by ``FAULT_LATENCY_CAP_MS``)
while another tenant calls ``/item/get``. That call must succeed while all eight are
still asleep: if a sleeper held its connection (or, on SQLite, its write lock), the
call would wait for the sleepers (or time out with a 500) instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sandbox.testing import LiveSandbox

from .conftest import Caller, new_tenant

SLEEPERS = 8
CAP_MS = 4000
DEADLINE_SECONDS = 60
SMALL_POOL = {"pool_size": 2, "max_overflow": 0, "pool_timeout": 10}


def test_latency_faults_leave_other_tenants_calls_unaffected(
    serve: Callable[..., LiveSandbox],
) -> None:
    server = serve(FAULT_LATENCY_CAP_MS=CAP_MS, SQLALCHEMY_ENGINE_OPTIONS=SMALL_POOL)
    noisy, quiet = new_tenant(server), new_tenant(server)
    noisy_token, quiet_token = noisy.link_item(), quiet.link_item()
    rule = noisy.post("/control/faults", endpoint="/item/get", latency_ms=45_000).json()
    with ThreadPoolExecutor(SLEEPERS) as pool:
        sleepers = [
            pool.submit(noisy.post, "/item/get", access_token=noisy_token) for _ in range(SLEEPERS)
        ]
        deadline = time.monotonic() + DEADLINE_SECONDS  # a bound, not a speed assertion
        while _fired(noisy, rule["id"]) < SLEEPERS:  # each is past the gate, i.e. asleep
            assert time.monotonic() < deadline, "the latency calls never all got past the gate"
            time.sleep(0.05)
        reply = quiet.post("/item/get", access_token=quiet_token)
        still_asleep = sum(not s.done() for s in sleepers)
        assert reply.status_code == 200, reply.text
        assert still_asleep == SLEEPERS
        assert all(s.result().status_code == 200 for s in sleepers)


def test_latency_is_capped_and_the_cap_is_what_is_slept(
    serve: Callable[..., LiveSandbox],
) -> None:
    slept: list[float] = []
    server = serve(FAULT_LATENCY_CAP_MS=1500, FAULT_SLEEP=slept.append)
    tenant = new_tenant(server)
    token = tenant.link_item()
    reply = tenant.post(
        "/item/get", headers={"Sandbox-Fault": "latency_ms=45000"}, access_token=token
    )
    assert reply.status_code == 200
    assert slept == [1.5]


def _fired(caller: Caller, rule_id: int) -> int:
    reply = caller.get("/control/faults", timeout=DEADLINE_SECONDS)
    assert reply.status_code == 200, reply.text
    return int(next(r["fired"] for r in reply.json()["rules"] if r["id"] == rule_id))
