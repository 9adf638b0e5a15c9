"""The benchmark's own pieces: statistics, wrk parsing, the baseline app, the report.

Nothing here times anything: benchmark results are ratios measured in one run
(``python -m bench.bench_api``), never wall-clock assertions in tests.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import psycopg
import pytest

from bench import bare_app, bench_api, bench_scale
from bench.load import LoadResult, _parse_wrk, percentile
from tests.conftest import fresh_database_url

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40000/accounts/balance/get
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  20.00ms   80.00%
    Req/Sec     1.30k   100.00     1.50k    70.00%
  Latency Distribution
     50%    2.90ms
     75%    3.50ms
     90%    4.20ms
     99%   812.00us
  12950 requests in 5.00s, 58.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:   2590.00
"""


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_load_result_rate_counts_successes_only() -> None:
    result = LoadResult(requests=110, errors=10, seconds=2.0, latencies=(0.1,) * 100)
    assert result.rate == 50.0


def test_wrk_output_is_parsed_with_units() -> None:
    result = _parse_wrk(WRK_OUTPUT)
    assert (result.requests, result.seconds) == (12950, 5.0)
    assert result.errors == 3  # non-2xx plus connect/write/timeout errors, not read resets
    assert result.percentile(0.5) == pytest.approx(0.0029)
    assert result.percentile(0.99) == pytest.approx(0.000812)


def test_bare_app_returns_the_given_bytes() -> None:
    body = b'{"accounts": [{"account_id": "x"}], "request_id": "r"}'
    client = bare_app.create_app(body).test_client()
    response = client.post("/accounts/balance/get", json={"access_token": "t"})
    assert response.status_code == 200
    assert response.data == body
    assert response.mimetype == "application/json"


def test_report_has_the_ratio_row() -> None:
    args = bench_api.parse_args(["--duration", "5", "--output", "-"])
    assert isinstance(args, argparse.Namespace)
    sandbox = LoadResult(500, 0, 5.0, (0.01, 0.02))
    bare = LoadResult(1000, 0, 5.0, (0.005, 0.01))
    cold = [bench_api.ColdStart(0.5, 0.6, 0.7), bench_api.ColdStart(0.4, 0.5, 0.6)]
    measured = bench_api.Measured(
        [bench_api.Throughput("python", sandbox, bare, sandbox_cpu=0.004, bare_cpu=0.001)],
        {"/accounts/balance/get": 4096},
        [0.2, 0.3, 0.25],
        1905,
    )
    text = bench_api.report(args, cold, measured)
    ratio = "| `/accounts/balance/get` | **ratio sandbox/bare** | Python threads + requests |"
    assert ratio + " **0.50** |" in text
    assert "| 2.00 |" in text  # the sandbox's p99/p50
    assert "| 4.00 ms |" in text and "**0.25** (bare/sandbox)" in text  # CPU per request
    assert "450.0 ms" in text  # median of the two ready times
    assert "median 250.0 ms" in text  # of the link + sync chains


def test_cold_start_table_shows_the_import_floor_beside_the_start() -> None:
    runs = [
        bench_api.ColdStart(0.5, 0.6, 0.7, stack_imports=0.30),
        bench_api.ColdStart(0.4, 0.5, 0.6, stack_imports=0.40),
    ]
    text = "\n".join(bench_api.cold_start_section(runs))
    label = "| floor: a process importing only the core packages ¹ |"
    assert label + " 350.0 ms | 300.0 ms | 400.0 ms |" in text
    assert bench_api.STACK_IMPORTS in text  # the footnote says what the floor imports
    without = "\n".join(bench_api.cold_start_section([bench_api.ColdStart(0.5, 0.6, 0.7)]))
    assert "floor" not in without  # runs that did not time it show no row


def test_the_import_floor_names_packages_that_import() -> None:
    # A misspelt package would fail the run (check=True) instead of timing a faster failure.
    assert bench_api.stack_imports_once(dict(os.environ)) > 0


def test_bare_app_serves_one_reply_per_path() -> None:
    client = bare_app.create_app({"/a": b"1", "/transactions/sync": b"2"}).test_client()
    assert client.post("/a").data == b"1"
    assert client.post("/transactions/sync").data == b"2"


def test_report_shows_the_median_round_and_the_range_of_all() -> None:
    args = bench_api.parse_args(["--rounds", "3", "--output", "-"])
    bare = LoadResult(1000, 0, 5.0, (0.005, 0.01))
    rounds = [
        bench_api.Throughput("wrk", LoadResult(rate, 0, 5.0, (0.01, 0.02)), bare, **cpu)
        for rate, cpu in (
            (400, {"sandbox_cpu": 0.004, "bare_cpu": 0.001}),
            (500, {"sandbox_cpu": 0.002, "bare_cpu": 0.001}),
            (300, {"sandbox_cpu": 0.005, "bare_cpu": 0.001}),
        )
    ]
    measured = bench_api.Measured(rounds, {"/accounts/balance/get": 4096}, [], 0)
    text = bench_api.report(args, [], measured)
    assert "| **0.40** |" in text  # the median round's ratio, not the first's or the best's
    assert "| 400 |" in text and "| 500 |" not in text  # and that round's own rows
    # req/s ratio, then CPU ratio (bare over sandbox): median (min-max) of the rounds, each
    # under its column's header
    header = next(line for line in text.splitlines() if line.startswith("| endpoint"))
    row = next(line for line in text.splitlines() if "3 rounds" in line)
    cells = dict(zip(_cells(header), _cells(row), strict=True))
    assert cells["req/s"] == "0.40 (0.30-0.50)" and cells["CPU/request"] == "0.25 (0.20-0.50)"
    assert "3 round(s)" in text


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_scale_reuses_a_database_only_at_the_same_size_and_history(tmp_path: Path) -> None:
    """``bench_scale`` refills a database of another size or another ``--days`` (a run at 400
    days once reused 365-day clones and reported them as 400-day ones)."""
    url = fresh_database_url("postgresql", tmp_path, "bench_holds")
    assert not bench_scale.holds(url, 3, 30)  # no schema yet
    with psycopg.connect(bench_scale._driver_url(url)) as conn:
        conn.execute("CREATE TABLE items (pk int, history_start date, generated_through date)")
        conn.execute(
            "INSERT INTO items SELECT n, date '2026-01-01', date '2026-01-31'"
            " FROM generate_series(1, 3) AS n"
        )
    assert bench_scale.holds(url, 3, 30)
    assert not bench_scale.holds(url, 3, 400)
    assert not bench_scale.holds(url, 4, 30)


def test_scale_saves_nothing_when_a_point_answered_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run against servers that answered 500s (a reused database at an older schema) wrote
    a table of latencies of errors; it now fails and saves no table nor plot."""
    failed = LoadResult(requests=100, errors=100, seconds=1.0, latencies=(0.001, 0.002))
    fine = LoadResult(requests=100, errors=0, seconds=1.0, latencies=(0.001, 0.002))
    points = [
        bench_scale.Point(10, 10_250, "/accounts/balance/get", (fine,)),
        bench_scale.Point(10, 10_250, "/transactions/sync", (failed,)),
    ]
    memory = {"idle": 1.0, "after": 1.0}
    monkeypatch.setattr(bench_scale, "measure", lambda _args: (points, memory, {}, 1_025))
    output, plot = tmp_path / "results.md", tmp_path / "scale.png"
    status = bench_scale.main(["--items", "10", "--output", str(output), "--plot", str(plot)])
    assert status == 1
    assert not output.exists() and not plot.exists()
