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
from werkzeug.serving import make_server

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

Row = tuple[str, float, str, float, str]  # what, seconds, baseline, its seconds, target


def _wall(command: list[str], cwd: Path) -> float:
    """Seconds a command takes from spawn to exit (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def _pair(runs: int, base: Callable[[], float], measured: Callable[[], float]) -> list[float]:
    """Medians of a baseline and a measure taken alternately, so load drifts hit both."""
    bases, values = [], []
    for _ in range(runs):
        bases.append(base())
        values.append(measured())
    return [statistics.median(bases), statistics.median(values)]


def plugin_import(runs: int, project: Path) -> list[Row]:
    """The plugin's share of every pytest run."""
    python = [sys.executable, "-c"]
    base, plugin = _pair(
        runs,
        lambda: _wall([*python, "import pytest"], project),
        lambda: _wall([*python, "import pytest, sandbox.pytest_plugin"], project),
    )
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    without, with_plugin = _pair(
        runs,
        lambda: _wall([*collect, "-p", "no:bank_sandbox"], project),
        lambda: _wall(collect, project),
    )
    return [
        ("`import pytest, sandbox.pytest_plugin`", plugin, "`import pytest`", base, "+< 50 ms"),
        ("`pytest --collect-only`", with_plugin, "`-p no:bank_sandbox`", without, "+< 50 ms"),
    ]


def _bare_server() -> float:
    """Build and start a one-route Flask app on werkzeug; seconds to its first answer."""
    started = time.perf_counter()
    app = Flask("bare")
    app.add_url_rule("/", "index", lambda: "ok")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    requests.get(f"http://127.0.0.1:{server.port}/", timeout=10).raise_for_status()
    elapsed = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    return elapsed


def _live_sandbox() -> float:
    """Build and start a ``LiveSandbox`` (as ``bank_sandbox`` does); seconds to its health."""
    started = time.perf_counter()
    live = LiveSandbox().start()
    requests.get(f"{live.url}/control/health", timeout=10).raise_for_status()
    elapsed = time.perf_counter() - started
    live.stop()
    return elapsed


def in_process_fixture(runs: int) -> list[Row]:
    """The fixture's own work once the app's modules are imported."""
    _live_sandbox()  # imports the app, as the session's first fixture does
    bare, sandbox = _pair(runs, _bare_server, _live_sandbox)
    return [("`LiveSandbox` start, imports done", sandbox, "bare Flask server", bare, "< 100 ms")]


def pytest_session(runs: int, project: Path) -> list[Row]:
    """Fixture setup times inside real pytest sessions (medians over sessions and tests)."""
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
        ("first `bank_sandbox` of a session, with imports", statistics.median(firsts), "", 0, ""),
        ("each `sandbox_tenant`", statistics.median(tenants), "", 0, "< 10 ms"),
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
    lines = ["| measure | median | baseline | baseline median | ratio | added | target |"]
    lines.append("|---|---:|---|---:|---:|---:|---|")
    for what, seconds, baseline, base, target in rows:
        ratio = f"{seconds / base:.2f}x" if base else ""
        added = f"{(seconds - base) * 1000:+.1f} ms" if base else ""
        base_ms = f"{base * 1000:.1f} ms" if base else ""
        lines.append(
            f"| {what} | {seconds * 1000:.1f} ms | {baseline} | {base_ms} | {ratio} "
            f"| {added} | {target} |"
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
