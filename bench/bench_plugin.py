"""What the pytest plugin costs: every pytest run, the first sandbox fixture, each tenant.

Targets (issue 16): importing the plugin < 50 ms; the in-process fixture < 100 ms. Every
number has a baseline measured in the same run, interleaved with it:

- plugin import: ``python -c "import pytest, sandbox.pytest_plugin"`` against
  ``python -c "import pytest"``, and ``pytest --collect-only`` of a one-test project
  against the same with ``-p no:bank_sandbox``: what every pytest run of a project that
  has the package installed pays, fixtures used or not.
- the in-process fixture: a ``LiveSandbox`` built and started (app, migrations, default
  tenant, server, dispatcher) in a process whose imports are done, against a bare Flask
  app started on a werkzeug server the same way.
- a real pytest session of 20 tests using ``sandbox_tenant``, fixtures timed by a
  ``pytest_fixture_setup`` hook: the session's first ``bank_sandbox`` also pays the app's
  imports (they moved out of pytest's start-up into the first fixture that needs them);
  ``sandbox_tenant`` is the per-test cost.

    python -m bench.bench_plugin [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.testing import LiveSandbox

TIMING_CONFTEST = """
import json
import os
import time

import pytest

TIMES = {}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        TIMES.setdefault(fixturedef.argname, []).append(time.perf_counter() - started)


def pytest_sessionfinish(session):
    with open(os.environ["FIXTURE_TIMES"], "w") as handle:
        json.dump(TIMES, handle)
"""

TENANT_TESTS = "".join(f"def test_{n}(sandbox_tenant):\n    pass\n\n" for n in range(20))

Row = tuple[str, float, str, float]  # what, seconds, baseline, its seconds (0: none)
Cost = tuple[float, float]  # wall and CPU seconds


def _cost(command: list[str], cwd: Path) -> Cost:
    """Wall and CPU (user + system) seconds of a command that must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _alternate(
    runs: int, what: str, measure: Callable[[], Cost], baseline: str, base: Callable[[], Cost]
) -> list[Row]:
    """Wall and CPU rows of a measure and its baseline, taken alternately so that load
    drifts hit both alike; the CPU figures barely move with the machine's load."""
    costs: dict[str, list[Cost]] = {"base": [], "measured": []}
    for _ in range(runs):
        costs["base"].append(base())
        costs["measured"].append(measure())
    rows = []
    for index, clock in enumerate(("wall", "CPU")):
        median = {key: statistics.median(c[index] for c in value) for key, value in costs.items()}
        rows.append((f"{what} ({clock})", median["measured"], baseline, median["base"]))
    return rows


def plugin_import(runs: int, project: Path) -> list[Row]:
    """The plugin's share of every pytest run (target: adds < 50 ms)."""
    python = [sys.executable, "-c"]
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    return [
        *_alternate(
            runs,
            "`import pytest, sandbox.pytest_plugin`",
            lambda: _cost([*python, "import pytest, sandbox.pytest_plugin"], project),
            "`import pytest`",
            lambda: _cost([*python, "import pytest"], project),
        ),
        *_alternate(
            runs,
            "`pytest --collect-only`, 1 test",
            lambda: _cost(collect, project),
            "same, `-p no:bank_sandbox`",
            lambda: _cost([*collect, "-p", "no:bank_sandbox"], project),
        ),
    ]


def _timed(start: Callable[[], str], stop: Callable[[], None]) -> Cost:
    """Wall and process CPU seconds from ``start`` to a 200 from the URL it returns."""
    wall, cpu = time.perf_counter(), time.process_time()
    requests.get(start(), timeout=10).raise_for_status()
    cost = (time.perf_counter() - wall, time.process_time() - cpu)
    stop()
    return cost


def _bare_server() -> Cost:
    """A one-route Flask app built and started on werkzeug, as the baseline."""
    server: list[BaseWSGIServer] = []

    def start() -> str:
        app = Flask("bare")
        app.add_url_rule("/", "index", lambda: "ok")
        server.append(make_server("127.0.0.1", 0, app, threaded=True))
        threading.Thread(target=server[0].serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server[0].port}/"

    def stop() -> None:
        server[0].shutdown()
        server[0].server_close()

    return _timed(start, stop)


def _live_sandbox() -> Cost:
    """A ``LiveSandbox`` built and started as ``bank_sandbox`` does, to its health check."""
    live: list[LiveSandbox] = []

    def start() -> str:
        live.append(LiveSandbox().start())
        return f"{live[0].url}/control/health"

    return _timed(start, lambda: live[0].stop())


def in_process_fixture(runs: int) -> list[Row]:
    """The fixture's own work once the app's modules are imported (target: < 100 ms)."""
    _live_sandbox()  # imports the app, as the session's first fixture does
    return _alternate(
        runs, "`LiveSandbox` start, imports done", _live_sandbox, "bare Flask server", _bare_server
    )


def pytest_session(runs: int, project: Path) -> list[Row]:
    """Fixture setup times inside real pytest sessions (medians over sessions and tests;
    target for ``sandbox_tenant``: < 10 ms)."""
    firsts, tenants = [], []
    for run in range(runs):
        times = project / f"times-{run}.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_tenants.py"],
            cwd=project,
            check=True,
            capture_output=True,
            env={**os.environ, "FIXTURE_TIMES": str(times)},
        )
        found = json.loads(times.read_text())
        firsts += found["bank_sandbox"]
        tenants += found["sandbox_tenant"]
    return [
        ("first `bank_sandbox` of a session, imports included", statistics.median(firsts), "", 0),
        ("each `sandbox_tenant`", statistics.median(tenants), "", 0),
    ]


def _projects(folder: Path) -> tuple[Path, Path]:
    """A project with one plain test, and one whose 20 tests each take a tenant."""
    plain, tenants = folder / "plain", folder / "tenants"
    plain.mkdir()
    (plain / "test_plain.py").write_text("def test_plain():\n    pass\n")
    tenants.mkdir()
    (tenants / "conftest.py").write_text(TIMING_CONFTEST)
    (tenants / "test_tenants.py").write_text(TENANT_TESTS)
    return plain, tenants


def _table(rows: list[Row]) -> str:
    """Markdown: each measure, its baseline, their ratio and the difference."""
    lines = ["| measure | median | baseline | baseline median | ratio | added |"]
    lines.append("|---|---:|---|---:|---:|---:|")
    for what, seconds, baseline, base in rows:
        ratio = f"{seconds / base:.2f}x" if base else ""
        added = f"{(seconds - base) * 1000:+.1f} ms" if base else ""
        base_ms = f"{base * 1000:.1f} ms" if base else ""
        lines.append(
            f"| {what} | {seconds * 1000:.1f} ms | {baseline} | {base_ms} | {ratio} | {added} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the plugin's cost table (milliseconds, ratios to the same-run baselines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as folder:
        plain, tenants = _projects(Path(folder))
        rows = plugin_import(args.runs, plain)
        rows += in_process_fixture(args.runs)
        rows += pytest_session(args.runs, tenants)
    print(_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
