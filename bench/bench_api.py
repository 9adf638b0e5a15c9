"""Cold start and ``/accounts/balance/get`` throughput, as ratios measured in one run.

    .venv/bin/python -m bench.bench_api            # or `make bench` / `python -m bench`
    .venv/bin/python -m bench.bench_api --duration 10 --threads 16 --workers 4
    .venv/bin/python -m bench.bench_api --database-url postgresql://postgres@127.0.0.1/bench

1. Cold start: ``python -m sandbox serve --port 0 --ready-file F`` on a fresh SQLite
   file (migrations included), timed from process start to the ready file, to the
   first successful Plaid call and to the first linked item; the median of ``--runs``.
2. Throughput: the sandbox under gunicorn against ``bench/bare_app.py``, which returns
   the sandbox's own reply bytes from memory, under the same gunicorn settings and
   driven by the same load generator for the same time. The ratio sandbox/bare is what
   to compare across machines; the absolute numbers depend on the machine.

The tables are printed and saved to ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .load import LoadResult, median, run_load, run_wrk, wrk_available
from .servers import (
    ROOT,
    Server,
    init_db,
    plaid_headers,
    plaid_post,
    sandbox_env,
    start_gunicorn,
    start_serve,
)

RESULTS = Path(__file__).with_name("results.md")
INSTITUTION = "ins_109508"


@dataclass(frozen=True)
class ColdStart:
    """Seconds from process start to each milestone, one run."""

    ready: float
    first_call: float
    first_item: float


def sqlite_url(directory: Path, name: str) -> str:
    """A SQLite file database in ``directory``."""
    return f"sqlite:///{directory / name}"


def link_item(url: str) -> str:
    """Create an item through the sandbox shortcut and return its access token."""
    public = plaid_post(
        url,
        "/sandbox/public_token/create",
        institution_id=INSTITUTION,
        initial_products=["transactions"],
    )["public_token"]
    token: str = plaid_post(url, "/item/public_token/exchange", public_token=public)["access_token"]
    return token


def cold_start_once(work: Path, run: int, database_url: str | None) -> ColdStart:
    """One cold start on a fresh SQLite file (or on ``database_url``)."""
    env = sandbox_env(database_url or sqlite_url(work, f"cold-{run}.db"))
    ready_file = work / f"ready-{run}.json"
    began = time.perf_counter()
    server = start_serve(env, ready_file)
    with server:
        ready = time.perf_counter() - began
        plaid_post(
            server.url, "/institutions/get_by_id", institution_id=INSTITUTION, country_codes=["US"]
        )
        first_call = time.perf_counter() - began
        link_item(server.url)
        first_item = time.perf_counter() - began
    return ColdStart(ready, first_call, first_item)


def measure_cold_start(work: Path, runs: int, database_url: str | None) -> list[ColdStart]:
    """``runs`` cold starts, one after another."""
    return [cold_start_once(work, run, database_url) for run in range(runs)]


@dataclass(frozen=True)
class Throughput:
    """Both servers under one load driver."""

    client: str
    sandbox: LoadResult
    bare: LoadResult


def clients(choice: str) -> list[str]:
    """The load drivers to use: ``auto`` is wrk when installed, else the Python client."""
    if choice == "auto":
        return ["wrk" if wrk_available() else "python"]
    chosen = ["python", "wrk"] if choice == "both" else [choice]
    if "wrk" in chosen and not wrk_available():
        raise SystemExit("wrk is not installed (apt-get install wrk), use --client python")
    return chosen


def measure_throughput(work: Path, args: argparse.Namespace) -> tuple[list[Throughput], int]:
    """Load the sandbox, then the bare app, with identical settings; returns results and size."""
    env = sandbox_env(args.database_url or sqlite_url(work, "throughput.db"))
    init_db(env)
    drivers = clients(args.client)
    gunicorn = dict(workers=args.workers, worker_class=args.worker_class)
    with start_gunicorn("sandbox.wsgi:app", env, work / "sandbox.log", **gunicorn) as sandbox:
        token = link_item(sandbox.url)
        body = json.dumps({"access_token": token}).encode()
        reply = _capture(sandbox, body)
        on_sandbox = {client: _load(client, sandbox, body, args) for client in drivers}
    body_file = work / "balance.json"
    body_file.write_bytes(reply)
    bare_env = dict(os.environ, BENCH_BODY_FILE=str(body_file))
    with start_gunicorn("bench.bare_app:app", bare_env, work / "bare.log", **gunicorn) as bare:
        if _capture(bare, body) != reply:
            raise RuntimeError("the bare app does not return the sandbox's bytes")
        on_bare = {client: _load(client, bare, body, args) for client in drivers}
    return [Throughput(c, on_sandbox[c], on_bare[c]) for c in drivers], len(reply)


def _capture(server: Server, body: bytes) -> bytes:
    import requests

    response = requests.post(
        server.url + "/accounts/balance/get",
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", **plaid_headers()},
    )
    response.raise_for_status()
    return response.content


def _load(client: str, server: Server, body: bytes, args: argparse.Namespace) -> LoadResult:
    driver = run_wrk if client == "wrk" else run_load
    return driver(
        server.url + "/accounts/balance/get",
        body,
        plaid_headers(),
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def cold_start_table(runs: Sequence[ColdStart]) -> list[str]:
    """Markdown rows: median, min and max of each cold-start milestone."""
    rows = [
        "| cold start (process start to ...) | median | min | max |",
        "|---|---:|---:|---:|",
    ]
    for label, attribute in (
        ("ready file written (`serve --port 0 --ready-file`)", "ready"),
        ("first successful Plaid call (`/institutions/get_by_id`)", "first_call"),
        ("first item linked (`/sandbox/public_token/create` + exchange)", "first_item"),
    ):
        values = [getattr(run, attribute) for run in runs]
        rows.append(
            f"| {label} | {_ms(median(values))} | {_ms(min(values))} | {_ms(max(values))} |"
        )
    return rows


CLIENT_LABELS = {"python": "Python threads + requests", "wrk": "wrk"}


def throughput_table(results: Sequence[Throughput], database: str) -> list[str]:
    """Markdown rows: req/s and latency of both servers and their ratio, per load driver."""
    rows = [
        "| `POST /accounts/balance/get` | load driver | req/s | p50 | p99 | requests | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        client = CLIENT_LABELS[result.client]
        sandbox, bare = result.sandbox, result.bare
        for label, run in ((f"sandbox ({database})", sandbox), ("bare Flask, same bytes", bare)):
            rows.append(
                f"| {label} | {client} | {run.rate:,.0f} | {_ms(run.percentile(0.5))} "
                f"| {_ms(run.percentile(0.99))} | {run.requests:,} | {run.errors} |"
            )
        rows.append(
            f"| **ratio sandbox/bare** | {client} | **{_ratio(sandbox.rate, bare.rate)}** "
            f"| {_ratio(sandbox.percentile(0.5), bare.percentile(0.5))}x "
            f"| {_ratio(sandbox.percentile(0.99), bare.percentile(0.99))}x | | |"
        )
    return rows


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT, check=False)
    return out + ("+dirty" if dirty.returncode else "")


def report(
    args: argparse.Namespace,
    cold: Sequence[ColdStart],
    throughput: tuple[list[Throughput], int] | None,
) -> str:
    """The whole result as markdown."""
    database = args.database_url.split(":", 1)[0] if args.database_url else "SQLite file"
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC at `{_git_revision()}` on "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; "
        f"database: {database}.",
        "",
    ]
    if cold:
        lines += [f"Cold start, {len(cold)} runs, a fresh database each run:", ""]
        lines += [*cold_start_table(cold), ""]
    if throughput:
        results, size = throughput
        lines += [
            f"Throughput: gunicorn `--workers {args.workers} --worker-class "
            f"{args.worker_class}` for both servers; {args.threads} concurrent connections "
            f"(Python: one thread with a `requests.Session` each), {args.duration:g} s after "
            f"{args.warmup:g} s warm-up, reply {size:,} bytes. The load driver and the "
            "servers share the machine.",
            "",
        ]
        lines += [*throughput_table(results, database), ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=5, help="cold starts (median of these)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per server")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument(
        "--client",
        choices=["auto", "python", "wrk", "both"],
        default="auto",
        help="load driver (auto: wrk if installed, else Python threads)",
    )
    parser.add_argument(
        "--database-url", default=None, help="use this database instead of fresh SQLite files"
    )
    parser.add_argument("--skip-cold-start", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="markdown file for the results ('-' to skip)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the tables and save them."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        cold = (
            [] if args.skip_cold_start else measure_cold_start(work, args.runs, args.database_url)
        )
        throughput = None if args.skip_throughput else measure_throughput(work, args)
    text = report(args, cold, throughput)
    print(text)
    if str(args.output) != "-":
        args.output.write_text("# Benchmark results\n\n" + text)
        print(f"saved to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
