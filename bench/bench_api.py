"""Cold start and ``/accounts/balance/get`` throughput, as ratios measured in one run.

    .venv/bin/python -m bench.bench_api            # or `make bench` / `python -m bench`
    .venv/bin/python -m bench.bench_api --duration 10 --threads 16 --workers 4
    .venv/bin/python -m bench.bench_api --database-url postgresql://postgres@127.0.0.1/bench

1. Cold start: ``python -m sandbox serve --port 0 --ready-file F``, timed from process
   start to the ready file, to the first successful Plaid call and to the first linked
   item, with the server's own CPU time up to that call; the median of ``--runs``. Two
   cases, run alternately: a database already at the current schema (``init-db`` ran
   once before; the usual start), and a fresh SQLite file, whose first start creates the
   schema. Before each start, the same run times a process that only imports the core
   packages every implementation needs (``STACK_IMPORTS``): the floor below any start.
2. Throughput: the sandbox under gunicorn against ``bench/bare_app.py``, which returns
   the sandbox's own reply bytes from memory, under the same gunicorn settings and
   driven by the same load generator for the same time, in ``--rounds`` rounds that take
   the two servers in turn (the median round is reported, with the range of all). The
   ratio sandbox/bare is what to compare across machines; the absolute numbers depend on
   the machine.

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
    process_cpu_seconds,
    sandbox_env,
    start_gunicorn,
    start_serve,
    workers_cpu_seconds,
)

RESULTS = Path(__file__).with_name("results.md")
INSTITUTION = "ins_109508"
BALANCE = "/accounts/balance/get"
SYNC = "/transactions/sync"


CURRENT, FRESH = "current", "fresh"
COLD_CASES = {
    CURRENT: "a database at the current schema (`init-db` ran before)",
    FRESH: "a fresh SQLite file each run (the start creates the schema)",
}


# What any server on the project's core packages imports before it can answer: a process
# that does only this, timed beside each cold start, is the floor under the start.
STACK_IMPORTS = "import flask, flask_sqlalchemy, marshmallow, sqlalchemy.orm, sqlite3"


@dataclass(frozen=True)
class ColdStart:
    """Seconds from process start to each milestone, one run; ``cpu``: the server's CPU
    seconds up to its first Plaid call; ``case``: which database it started on;
    ``stack_imports``: a process importing ``STACK_IMPORTS`` and exiting, timed just before."""

    ready: float
    first_call: float
    first_item: float
    cpu: float = 0.0
    case: str = FRESH
    stack_imports: float = 0.0


def sqlite_url(directory: Path, name: str) -> str:
    """A SQLite file database in ``directory``."""
    return f"sqlite:///{directory / name}"


def link_item(url: str, **options: object) -> str:
    """Create an item through the sandbox shortcut and return its access token."""
    public = plaid_post(
        url,
        "/sandbox/public_token/create",
        institution_id=INSTITUTION,
        initial_products=["transactions"],
        options=options,
    )["public_token"]
    token: str = plaid_post(url, "/item/public_token/exchange", public_token=public)["access_token"]
    return token


def link_and_sync(url: str) -> tuple[float, int]:
    """Link a 24-month item and pull ``/transactions/sync`` from ``""`` to the end (count
    500), as an app's first sync does; returns the seconds and the transactions added."""
    began = time.perf_counter()
    token = link_item(url, transactions={"days_requested": 730})
    cursor, added, more = "", 0, True
    while more:
        page = plaid_post(url, SYNC, access_token=token, cursor=cursor, count=500)
        cursor, more = page["next_cursor"], page["has_more"]
        added += len(page["added"])
    return time.perf_counter() - began, added


def stack_imports_once(env: dict[str, str]) -> float:
    """Seconds for a Python process to import ``STACK_IMPORTS`` and exit."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", STACK_IMPORTS], env=env, check=True)
    return time.perf_counter() - began


def cold_start_once(work: Path, run: int, database_url: str, case: str) -> ColdStart:
    """One cold start of ``serve`` on ``database_url``, after its floor (``stack_imports``)."""
    env = sandbox_env(database_url)
    floor = stack_imports_once(env)
    ready_file = work / f"ready-{case}-{run}.json"
    began = time.perf_counter()
    server = start_serve(env, ready_file)
    with server:
        ready = time.perf_counter() - began
        plaid_post(
            server.url, "/institutions/get_by_id", institution_id=INSTITUTION, country_codes=["US"]
        )
        first_call = time.perf_counter() - began
        cpu = process_cpu_seconds(server.process.pid)
        link_item(server.url)
        first_item = time.perf_counter() - began
    return ColdStart(ready, first_call, first_item, cpu, case, floor)


def measure_cold_start(work: Path, runs: int, database_url: str | None) -> list[ColdStart]:
    """``runs`` starts on a current schema and ``runs`` on a fresh database, alternately
    (with ``database_url``: every start on that database, after one ``init-db``)."""
    # Byte-compiled first, as installing the wheel does: the starts set PYTHONDONTWRITEBYTECODE.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "sandbox")], check=True)
    current = database_url or sqlite_url(work, "cold-current.db")
    init_db(sandbox_env(current))
    measured = []
    for run in range(runs):
        measured.append(cold_start_once(work, run, current, CURRENT))
        if database_url is None:
            fresh = sqlite_url(work, f"cold-fresh-{run}.db")
            measured.append(cold_start_once(work, run, fresh, FRESH))
    return measured


@dataclass(frozen=True)
class Throughput:
    """Both servers under one load driver, on one endpoint; ``*_cpu``: the workers' CPU
    seconds per request (what a busy machine changes least)."""

    client: str
    sandbox: LoadResult
    bare: LoadResult
    endpoint: str = BALANCE
    sandbox_cpu: float = 0.0
    bare_cpu: float = 0.0

    @property
    def rate_ratio(self) -> float:
        """Requests per second, sandbox over bare."""
        return self.sandbox.rate / self.bare.rate if self.bare.rate else 0.0

    @property
    def cpu_ratio(self) -> float:
        """Worker CPU per request, bare over sandbox (1.0: the sandbox costs nothing)."""
        return self.bare_cpu / self.sandbox_cpu if self.sandbox_cpu else 0.0


# The endpoints loaded, with what each request sends besides the access token.
ENDPOINTS: dict[str, dict[str, object]] = {BALANCE: {}, SYNC: {"count": 100}}


def clients(choice: str) -> list[str]:
    """The load drivers to use: ``auto`` is wrk when installed, else the Python client."""
    if choice == "auto":
        return ["wrk" if wrk_available() else "python"]
    chosen = ["python", "wrk"] if choice == "both" else [choice]
    if "wrk" in chosen and not wrk_available():
        raise SystemExit("wrk is not installed (apt-get install wrk), use --client python")
    return chosen


@dataclass(frozen=True)
class Measured:
    """What the throughput part measured: loads, reply sizes, and the link + sync chains."""

    loads: list[Throughput]
    sizes: dict[str, int]
    chains: list[float]
    chain_added: int


def measure_throughput(work: Path, args: argparse.Namespace) -> Measured:
    """Link + sync chains, then ``--rounds`` rounds loading the sandbox and the bare app in
    turn, with identical settings: both servers run throughout, and every other round loads
    the bare app first, so a spell of load from elsewhere on the machine lands on both."""
    env = sandbox_env(args.database_url or sqlite_url(work, "throughput.db"))
    init_db(env)
    drivers = clients(args.client)
    gunicorn = dict(workers=args.workers, worker_class=args.worker_class)
    bodies: dict[str, bytes] = {}
    replies: dict[str, bytes] = {}
    loads: list[Throughput] = []
    with start_gunicorn("sandbox.wsgi:app", env, work / "sandbox.log", **gunicorn) as sandbox:
        chains = [link_and_sync(sandbox.url) for _ in range(args.chains)]
        token = link_item(sandbox.url)
        plaid_post(sandbox.url, SYNC, access_token=token, count=1)  # the first sync writes
        for endpoint, extra in ENDPOINTS.items():
            bodies[endpoint] = json.dumps({"access_token": token, **extra}).encode()
            replies[endpoint] = _capture(sandbox, endpoint, bodies[endpoint])
        files: dict[str, str] = {}
        for endpoint, reply in replies.items():
            files[endpoint] = str(work / f"reply{len(files)}.json")
            Path(files[endpoint]).write_bytes(reply)
        (work / "replies.json").write_text(json.dumps(files))
        bare_env = dict(os.environ, BENCH_REPLIES=str(work / "replies.json"))
        with start_gunicorn("bench.bare_app:app", bare_env, work / "bare.log", **gunicorn) as bare:
            for endpoint in ENDPOINTS:
                if _capture(bare, endpoint, bodies[endpoint]) != replies[endpoint]:
                    raise RuntimeError(f"the bare app does not return the sandbox's {endpoint}")
            for turn in range(args.rounds):
                for endpoint in ENDPOINTS:
                    for client in drivers:
                        order = (sandbox, bare) if turn % 2 == 0 else (bare, sandbox)
                        runs = [_load(client, s, endpoint, bodies[endpoint], args) for s in order]
                        (on_sandbox, sandbox_cpu), (on_bare, bare_cpu) = (
                            runs if order[0] is sandbox else runs[::-1]
                        )
                        loads.append(
                            Throughput(client, on_sandbox, on_bare, endpoint, sandbox_cpu, bare_cpu)
                        )
    sizes = {e: len(r) for e, r in replies.items()}
    added = chains[0][1] if chains else 0
    return Measured(loads, sizes, [seconds for seconds, _ in chains], added)


def _capture(server: Server, endpoint: str, body: bytes) -> bytes:
    import requests

    response = requests.post(
        server.url + endpoint,
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", **plaid_headers()},
    )
    response.raise_for_status()
    return response.content


def _load(
    client: str, server: Server, endpoint: str, body: bytes, args: argparse.Namespace
) -> tuple[LoadResult, float]:
    """The load, and the workers' CPU seconds per request it cost (warm-up included)."""
    driver = run_wrk if client == "wrk" else run_load
    before = workers_cpu_seconds(server)
    result = driver(
        server.url + endpoint,
        body,
        plaid_headers(),
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
    )
    spent = workers_cpu_seconds(server) - before
    seconds = args.duration + args.warmup
    return result, spent / (result.rate * seconds) if result.rate else 0.0


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
    milestones = [
        ("ready file written (`serve --port 0 --ready-file`)", "ready"),
        ("first successful Plaid call (`/institutions/get_by_id`)", "first_call"),
        ("first item linked (`/sandbox/public_token/create` + exchange)", "first_item"),
    ]
    if any(run.cpu for run in runs):
        milestones.append(("the server's CPU time up to its first Plaid call", "cpu"))
    if any(run.stack_imports for run in runs):
        milestones.append(("floor: a process importing only the core packages ¹", "stack_imports"))
    for label, attribute in milestones:
        values = [getattr(run, attribute) for run in runs]
        rows.append(
            f"| {label} | {_ms(median(values))} | {_ms(min(values))} | {_ms(max(values))} |"
        )
    return rows


def cold_start_section(runs: Sequence[ColdStart]) -> list[str]:
    """A table per database case, in ``COLD_CASES`` order."""
    lines: list[str] = []
    for case, description in COLD_CASES.items():
        chosen = [run for run in runs if run.case == case]
        if chosen:
            lines += [
                f"Cold start on {description}, {len(chosen)} run{'' if len(chosen) == 1 else 's'}:",
                "",
            ]
            lines += [*cold_start_table(chosen), ""]
    if any(run.stack_imports for run in runs):
        lines += [f"¹ `python -c '{STACK_IMPORTS}'`, timed before each start.", ""]
    return lines


CLIENT_LABELS = {"python": "Python threads + requests", "wrk": "wrk"}


def throughput_table(results: Sequence[Throughput], database: str) -> list[str]:
    """Markdown rows: req/s and latency of both servers and their ratio, per endpoint and
    load driver; ``p99/p50`` shows how even the latency is (target: at most 3). With several
    rounds, the round of the median ratio is shown, and a last row gives every round's range."""
    rows = [
        "| endpoint | server | load driver | req/s | p50 | p99 | p99/p50 | CPU/request "
        "| requests | errors |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], list[Throughput]] = {}
    for result in results:
        groups.setdefault((result.endpoint, result.client), []).append(result)
    for (endpoint, client_name), rounds in groups.items():
        result = sorted(rounds, key=lambda r: r.rate_ratio)[len(rounds) // 2]
        client = CLIENT_LABELS[client_name]
        sandbox, bare = result.sandbox, result.bare
        for label, run, cpu in (
            (f"sandbox ({database})", sandbox, result.sandbox_cpu),
            ("bare Flask, same bytes", bare, result.bare_cpu),
        ):
            p50, p99 = run.percentile(0.5), run.percentile(0.99)
            rows.append(
                f"| `{endpoint}` | {label} | {client} | {run.rate:,.0f} | {_ms(p50)} "
                f"| {_ms(p99)} | {_ratio(p99, p50)} | {cpu * 1000:.2f} ms | {run.requests:,} "
                f"| {run.errors} |"
            )
        rows.append(
            f"| `{endpoint}` | **ratio sandbox/bare** | {client} "
            f"| **{_ratio(sandbox.rate, bare.rate)}** "
            f"| {_ratio(sandbox.percentile(0.5), bare.percentile(0.5))}x "
            f"| {_ratio(sandbox.percentile(0.99), bare.percentile(0.99))}x | "
            f"| **{_ratio(result.bare_cpu, result.sandbox_cpu)}** (bare/sandbox) | | |"
        )
        if len(rounds) > 1:
            rows.append(
                f"| `{endpoint}` | ratio, {len(rounds)} rounds: median (range) | {client} "
                f"| {_spread([r.rate_ratio for r in rounds])} | | | "
                f"| {_spread([r.cpu_ratio for r in rounds])} | | |"
            )
    return rows


def _spread(values: Sequence[float]) -> str:
    """``median (min-max)`` of ratios."""
    return f"{median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def chain_line(measured: Measured) -> str:
    """The link + first-sync chain, as one sentence."""
    times = measured.chains
    if not times:
        return ""
    return (
        f'Link of a 24-month item plus `/transactions/sync` from `""` to the end (count 500, '
        f"{measured.chain_added:,} transactions), over HTTP: median {_ms(median(times))}, "
        f"min {_ms(min(times))}, max {_ms(max(times))} ({len(times)} runs)."
    )


def _load_average() -> str:
    """The 1, 5 and 15 minute load averages (how busy the shared machine was)."""
    return " / ".join(f"{n:.1f}" for n in os.getloadavg())


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
    throughput: Measured | None,
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
        lines += cold_start_section(cold)
    if throughput:
        sizes = ", ".join(f"`{e}` {n:,} bytes" for e, n in throughput.sizes.items())
        lines += [
            f"Throughput: gunicorn `--workers {args.workers} --worker-class "
            f"{args.worker_class}` for both servers; {args.threads} concurrent connections "
            f"(Python: one thread with a `requests.Session` each), {args.duration:g} s after "
            f"{args.warmup:g} s warm-up, {args.rounds} round(s) taking the servers in turn; "
            f"replies: {sizes} (sync: the first page, count 100). "
            f"The load driver and the servers share the machine; load average "
            f"{_load_average()}.",
            "",
        ]
        lines += [*throughput_table(throughput.loads, database), ""]
        if throughput.chains:
            lines += [chain_line(throughput), ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="cold starts per case (median of these)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per server")
    parser.add_argument(
        "--rounds", type=int, default=3, help="loads of each server, taken in turn (median)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument(
        "--chains", type=int, default=5, help="link + full sync chains (median of these)"
    )
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
