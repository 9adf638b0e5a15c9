"""``/accounts/balance/get`` and ``/transactions/sync`` against the stack's floor: how close
the sandbox comes to the least its core packages cost.

    .venv/bin/python -m bench.bench_floor
    .venv/bin/python -m bench.bench_floor --database-url postgresql://postgres@127.0.0.1/bench

Three servers under the same gunicorn settings, loaded in turn by the same wrk run over
``--rounds`` rounds: the sandbox, ``floor_app`` (Flask + SQLAlchemy + marshmallow
answering the same call from the same database in as few statements as it can, with
nothing else the sandbox does) and ``bare_app`` (the sandbox's reply bytes from memory). On
SQLite a fourth, the sandbox with its read cache off, gives what a call costs when something
committed since it last ran: wrk repeats one call, so the sandbox answers it from the read
cache (``core.read_cache``), which the floor does not have.
Issue 16's targets are the sandbox at 0.5x bare (balance) and 0.35x (sync, the first page of
100); the floor's own ratio says how much of that any implementation on these packages can
keep. On PostgreSQL each row also gives the database server's CPU per request (its backends,
read from ``/proc`` when it runs on this machine): work on the same CPUs as the load, which
no change to the app's Python removes. Prints a table per endpoint; saves nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy

from .bench_api import ENDPOINTS, SYNC, _capture, _load, _spread, link_item, sqlite_url
from .load import median, wrk_available
from .servers import (
    DatabaseServerCpu,
    Server,
    init_db,
    plaid_post,
    sandbox_env,
    start_gunicorn,
)

NAMES = ("bare", "floor", "sandbox")
# On SQLite, the sandbox again with its read cache off (``SANDBOX_READ_CACHE=off``): what a
# call pays when something committed since the same call last ran (PostgreSQL has no cache).
UNCACHED = "sandbox, read cache off"


def stored_digest(database_url: str) -> str:
    """What the sandbox stores of the newest access token (its keyed hash)."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT token FROM access_tokens ORDER BY created_at DESC LIMIT 1"
            return str(connection.execute(sqlalchemy.text(query)).scalar_one())
    finally:
        engine.dispose()


# endpoint -> server -> (req/s, workers' CPU ms per request, database server's or None)
Round = dict[str, dict[str, tuple[float, float, float | None]]]


def load_once(
    server: Server,
    endpoint: str,
    body: bytes,
    args: argparse.Namespace,
    database: DatabaseServerCpu | None,
) -> tuple[float, float, float | None]:
    """Requests per second and the CPU milliseconds per request of the workers (``bench_api``'s
    load with wrk) and, on PostgreSQL, of the database server."""
    if database is not None:
        database.start()
    result, cpu = _load("wrk", server, endpoint, body, args)
    spent = None if database is None else database.seconds()
    served = result.rate * (args.duration + args.warmup)
    per_request = None if spent is None or not served else 1000 * spent / served
    return result.rate, 1000 * cpu, per_request


def _same_reply(floor: bytes, sandbox: bytes, endpoint: str) -> None:
    """The floor must show what the sandbox shows (its accounts; sync: its transactions)."""
    mine, theirs = json.loads(floor), json.loads(sandbox)
    keys = ("accounts", "added", "has_more") if endpoint == SYNC else ("accounts",)
    if any(mine[key] != theirs[key] for key in keys):
        raise RuntimeError(f"the floor app does not answer {endpoint} as the sandbox does")


def measure(work: Path, args: argparse.Namespace) -> list[Round]:
    """Each round's (req/s, CPU ms per request) of the three servers, per endpoint."""
    url = args.database_url or sqlite_url(work, "floor.db")
    env = sandbox_env(url)
    init_db(env)
    settings = {"workers": args.workers, "worker_class": "sync"}
    database = DatabaseServerCpu(url) if url.startswith("postgresql") else None
    rounds: list[Round] = []
    with start_gunicorn("sandbox.wsgi:app", env, work / "sandbox.log", **settings) as sandbox:
        token = link_item(sandbox.url)
        plaid_post(sandbox.url, SYNC, access_token=token, count=1)  # the first sync writes
        bodies = {
            e: json.dumps({"access_token": token, **x}).encode() for e, x in ENDPOINTS.items()
        }
        files = {}
        for number, (endpoint, body) in enumerate(bodies.items()):
            files[endpoint] = work / f"reply{number}.json"
            files[endpoint].write_bytes(_capture(sandbox, endpoint, body))
        (work / "replies.json").write_text(json.dumps({e: str(f) for e, f in files.items()}))
        floor_env = dict(env, FLOOR_TOKEN_DIGEST=stored_digest(url))
        bare_env = dict(os.environ, BENCH_REPLIES=str(work / "replies.json"))
        with ExitStack() as started:
            servers = {
                "bare": started.enter_context(
                    start_gunicorn("bench.bare_app:app", bare_env, work / "bare.log", **settings)
                ),
                "floor": started.enter_context(
                    start_gunicorn("bench.floor_app:app", floor_env, work / "floor.log", **settings)
                ),
                "sandbox": sandbox,
            }
            if database is None:
                uncached_env = dict(env, SANDBOX_READ_CACHE="off")
                servers[UNCACHED] = started.enter_context(
                    start_gunicorn("sandbox.wsgi:app", uncached_env, work / "off.log", **settings)
                )
            for endpoint, body in bodies.items():
                _same_reply(
                    _capture(servers["floor"], endpoint, body),
                    files[endpoint].read_bytes(),
                    endpoint,
                )
            names = list(servers)
            for turn in range(args.rounds):
                order = names if turn % 2 == 0 else names[::-1]
                rounds.append(
                    {
                        endpoint: {
                            name: load_once(servers[name], endpoint, body, args, database)
                            for name in order
                        }
                        for endpoint, body in bodies.items()
                    }
                )
    return rounds


def table(rounds: list[Round], endpoint: str, database: str) -> list[str]:
    """One row per server: the median of its rounds' rate, CPU and ratio, with the range of
    the ratios (each round's own bare rate is the baseline); on PostgreSQL, the database
    server's CPU per request too (its backends share the CPUs with the workers)."""
    names = [name for name in (*NAMES, UNCACHED) if name in rounds[0][endpoint]]
    server_cpu = all(r[endpoint][name][2] is not None for r in rounds for name in names)
    extra = (" database server CPU per request (ms) |", "---:|") if server_cpu else ("", "")
    lines = [
        f"`{endpoint}` on {database}, {len(rounds)} rounds (median (min-max)):",
        "",
        f"| server | req/s | workers' CPU per request (ms) |{extra[0]} ratio to bare |",
        f"|---|---:|---:|{extra[1]}---:|",
    ]
    for name in names:
        rates = [r[endpoint][name][0] for r in rounds]
        cpus = [r[endpoint][name][1] for r in rounds]
        ratios = [r[endpoint][name][0] / r[endpoint]["bare"][0] for r in rounds]
        cells = [f"{median(rates):,.0f}", f"{median(cpus):.2f}"]
        if server_cpu:
            cells.append(f"{median([r[endpoint][name][2] or 0.0 for r in rounds]):.2f}")
        lines.append(f"| {name} | {' | '.join(cells)} | {_spread(ratios)} |")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_floor",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per server")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, servers taken in turn")
    parser.add_argument("--threads", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=None, help="instead of a fresh SQLite file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table."""
    args = parse_args(argv)
    if not wrk_available():
        print("floor benchmark skipped: it needs wrk (Debian package wrk)")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        rounds = measure(Path(tmp), args)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    for endpoint in ENDPOINTS:
        print("\n".join(table(rounds, endpoint, database)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
