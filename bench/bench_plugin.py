"""The pytest plugin's start-up cost: first fixture (server) and each extra tenant.

Targets (issue 8): under 0.3 s for the session's first sandbox, under 10 ms per extra
tenant. Imports are excluded, as pytest loads the plugin (and its imports) at start-up;
the baseline is a bare werkzeug server with a one-route Flask app, started the same way.

    python -m bench.bench_plugin [--runs 5] [--tenants 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import requests
from flask import Flask
from werkzeug.serving import make_server

from sandbox.testing import LiveSandbox


def _bare_server_start() -> float:
    app = Flask("bare")
    app.add_url_rule("/", "index", lambda: "ok")
    started = time.perf_counter()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requests.get(f"http://127.0.0.1:{server.port}/", timeout=10).raise_for_status()
    elapsed = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    return elapsed


def _sandbox_start() -> tuple[float, LiveSandbox]:
    directory = tempfile.mkdtemp(prefix="bench-plugin-")
    started = time.perf_counter()
    live = LiveSandbox({"DATABASE_URL": f"sqlite:///{directory}/sandbox.db"}).start()
    requests.get(f"{live.url}/control/health", timeout=10).raise_for_status()
    return time.perf_counter() - started, live


def _tenant_cost(live: LiveSandbox, count: int) -> list[float]:
    costs = []
    with requests.Session() as session:
        for index in range(count):
            started = time.perf_counter()
            session.post(
                f"{live.url}/control/tenants", json={"name": f"t{index}", "seed": 7}, timeout=10
            ).raise_for_status()
            costs.append(time.perf_counter() - started)
    return costs


def _median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    """Print the start-up table (milliseconds, and the ratio to the bare baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tenants", type=int, default=50)
    args = parser.parse_args(argv)
    _sandbox_start()[1].stop()  # warm imports and caches, as pytest's plugin loading does
    bare = _median(args.runs, _bare_server_start)
    firsts, tenant_costs = [], []
    for _ in range(args.runs):
        elapsed, live = _sandbox_start()
        firsts.append(elapsed)
        tenant_costs.extend(_tenant_cost(live, args.tenants))
        live.stop()
    first, tenant = statistics.median(firsts), statistics.median(tenant_costs)
    print("| fixture | median | target | bare werkzeug server | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| first `bank_sandbox` (migrate + default tenant + serve) | {first * 1000:.1f} ms "
        f"| < 300 ms | {bare * 1000:.1f} ms | {first / bare:.1f}x |"
    )
    print(f"| each extra `sandbox_tenant` | {tenant * 1000:.1f} ms | < 10 ms | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
