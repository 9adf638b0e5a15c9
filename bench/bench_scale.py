"""Scale on PostgreSQL: latency with 10 items against 10,000 items and 10 million transactions.

    .venv/bin/python -m bench.bench_scale --database-url postgresql://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.bench_scale --items 10,100 --days 30 --duration 1   # a quick look

Each item count of ``--items`` gets a database of its own (``<database>_<count>``, created
when missing). One template item (``user_good``, ``--days`` of history, its historical pull
loaded by one ``/transactions/sync``) is linked over HTTP, then cloned server-side into the
same tenant: ``INSERT … SELECT`` over ``generate_series`` for items, accounts and
transactions (the rows never leave the server), ``COPY`` for the access tokens, which are
hashed in Python. The default, 10,000 items of 400 days (about 1,020 transactions each), is
just over 10 million transactions. A database that already holds its count is reused
(``--fresh`` fills every one again): filling the largest takes a while.

One gunicorn (2 sync workers) serves each database, all at once, and ``wrk`` loads them in
turn, ``--rounds`` times (each round: every size, ``/accounts/balance/get`` then the
first page of ``/transactions/sync``, count 100, for items drawn at random), so a busy
machine weighs on every size alike. The table gives the median over rounds of req/s, p50
and p99, and p99 against the smallest size's (target: at most 2). The workers' memory
(RSS) is read idle, before any load, and after the last round. Tenants' clocks are frozen
so that no request generates new days meanwhile. A PNG plot of latency against item count
is written beside the results (``bench/scale.png``, needs the ``bench`` extra: matplotlib).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from sandbox.core.keyring import Keyring
from sandbox.core.models import Base

from .load import LoadResult, _lua_string, run_wrk_script
from .servers import (
    Server,
    init_db,
    plaid_headers,
    plaid_post,
    sandbox_env,
    start_gunicorn,
    workers_rss_mb,
)

RESULTS = Path(__file__).with_name("results-scale.md")
PLOT = Path(__file__).with_name("scale.png")
SECRET_KEY = "bench-secret-key"
ENDPOINTS = ("/accounts/balance/get", "/transactions/sync")
CLONE_PREFIX = "bench"


@dataclass(frozen=True)
class Point:
    """One endpoint at one item count: every round's load."""

    items: int
    transactions: int
    endpoint: str
    loads: tuple[LoadResult, ...]

    def median(self, what: Callable[[LoadResult], float]) -> float:
        """The median over rounds of ``what`` (a rate, a percentile)."""
        return statistics.median(what(load) for load in self.loads)

    def p(self, fraction: float) -> float:
        """A latency percentile in seconds, the median over rounds."""
        return self.median(lambda load: load.percentile(fraction))

    @property
    def errors(self) -> int:
        return sum(load.errors for load in self.loads)


def _driver_url(url: str) -> str:
    """A libpq URL (psycopg) from a SQLAlchemy-style one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_for(url: str, items: int) -> str:
    """The URL of the database that holds ``items`` items, created if missing."""
    base = make_url(_driver_url(url))
    name = f"{base.database}_{items}"
    with psycopg.connect(
        base.set(database="postgres").render_as_string(False), autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def holds(url: str, items: int, days: int) -> bool:
    """Whether the database already holds ``items`` clones of a ``days``-day template (an
    earlier run's, reusable), rather than another size or history, or nothing at all."""
    with psycopg.connect(_driver_url(url)) as conn:
        if not conn.execute("SELECT to_regclass('items')").fetchone()[0]:  # type: ignore[index]
            return False
        count, histories = conn.execute(  # type: ignore[misc]
            "SELECT count(*), array_agg(DISTINCT generated_through - history_start) FROM items"
        ).fetchone()
        return bool(count == items and histories == [days])


def empty_database(url: str) -> None:
    """Drop everything in the database's ``public`` schema."""
    with psycopg.connect(_driver_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def link_template(server: Server, days: int) -> str:
    """Link the template item and load its history; returns its access token."""
    public = plaid_post(
        server.url,
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"transactions": {"days_requested": days}},
    )["public_token"]
    token = plaid_post(server.url, "/item/public_token/exchange", public_token=public)
    access_token: str = token["access_token"]
    plaid_post(server.url, "/transactions/sync", access_token=access_token, count=1)
    return access_token


def _columns(table: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[table].columns]


def clone(url: str, template_pk: int, have: int, want: int) -> float:
    """Clone the template until the tenant has ``want`` cloned items; returns the seconds."""
    if want <= have:
        return 0.0
    items = [c for c in _columns("items") if c != "pk"]
    accounts = [c for c in _columns("accounts") if c != "item_pk"]
    transactions = [c for c in _columns("transactions") if c != "item_pk"]
    item_values = [
        f"'{CLONE_PREFIX}' || lpad(n::text, 32, '0')" if c == "id" else f"t.{c}" for c in items
    ]
    keyring = Keyring(SECRET_KEY)
    began = time.perf_counter()
    with psycopg.connect(_driver_url(url)) as conn:
        first_pk = conn.execute("SELECT coalesce(max(pk), 0) FROM items").fetchone()[0]  # type: ignore[index]
        conn.execute(
            f"INSERT INTO items ({', '.join(items)}) SELECT {', '.join(item_values)} "
            "FROM items t, generate_series(%s::int, %s::int) AS n WHERE t.pk = %s ORDER BY n",
            (have + 1, want, template_pk),
        )
        new = f"i.pk > {int(first_pk)} AND i.id LIKE '{CLONE_PREFIX}%%'"
        conn.execute(
            f"INSERT INTO accounts (item_pk, {', '.join(accounts)}) "
            f"SELECT i.pk, {', '.join('a.' + c for c in accounts)} FROM accounts a, items i "
            f"WHERE a.item_pk = %s AND {new}",
            (template_pk,),
        )
        conn.execute(
            f"INSERT INTO transactions (item_pk, {', '.join(transactions)}) "
            f"SELECT i.pk, {', '.join('t.' + c for c in transactions)} FROM transactions t, "
            f"items i WHERE t.item_pk = %s AND {new}",
            (template_pk,),
        )
        rows = conn.execute(f"SELECT i.pk, i.id FROM items i WHERE {new}").fetchall()
        now = dt.datetime.now(dt.UTC)
        with conn.cursor().copy(
            "COPY access_tokens (token, item_pk, created_at, revoked_at) FROM STDIN"
        ) as copy:
            for pk, item_id in rows:
                raw = clone_token(int(item_id[len(CLONE_PREFIX) :]))
                copy.write_row((keyring.digest(raw), pk, now, None))
        conn.commit()
        conn.execute("ANALYZE")
    return time.perf_counter() - began


def clone_token(n: int) -> str:
    """The access token of clone number ``n`` (stored, like every token, as a keyed hash)."""
    return f"access-sandbox-bench-{n:08d}"


def template_row(url: str) -> tuple[int, int]:
    """The template item's pk and transaction count; freezes the tenant's clock."""
    with psycopg.connect(_driver_url(url)) as conn:
        pk, tenant_id = conn.execute(  # type: ignore[misc]
            f"SELECT pk, tenant_id FROM items WHERE id NOT LIKE '{CLONE_PREFIX}%%'"
        ).fetchone()
        count = conn.execute(
            "SELECT count(*) FROM transactions WHERE item_pk = %s", (pk,)
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "UPDATE tenants SET clock_frozen_at = now(), clock_offset_seconds = 0 WHERE id = %s",
            (tenant_id,),
        )
        conn.commit()
    return int(pk), int(count)


def run_wrk_bodies(
    url: str, bodies: Sequence[bytes], *, connections: int, duration: float, warmup: float
) -> LoadResult:
    """wrk POSTing a body drawn at random from ``bodies`` for each request."""
    script = "\n".join(
        [
            "bodies = {" + ",".join(_lua_string(b.decode()) for b in bodies) + "}",
            "request = function()",
            "  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])",
            "end",
        ]
    )
    return run_wrk_script(
        url, script, plaid_headers(), connections=connections, duration=duration, warmup=warmup
    )


def _bodies(endpoint: str, tokens: Sequence[str]) -> list[bytes]:
    extra = {"count": 100} if endpoint == "/transactions/sync" else {}
    return [json.dumps({"access_token": t, **extra}).encode() for t in tokens]


def fill(url: str, items: int, days: int, log: Path) -> float:
    """Empty the database and fill it with ``items`` items; returns the cloning seconds."""
    empty_database(url)
    env = sandbox_env(url, SANDBOX_SECRET_KEY=SECRET_KEY)
    init_db(env)
    with start_gunicorn("sandbox.wsgi:app", env, log, workers=1) as server:
        link_template(server, days)
    template_pk, _ = template_row(url)
    return clone(url, template_pk, 0, items - 1)  # the template is the first


def measure(
    args: argparse.Namespace,
) -> tuple[list[Point], dict[str, float], dict[int, float], int]:
    """Fill (or reuse) a database per size, serve them all, load them in interleaved rounds;
    (points, memory, seconds spent filling each database, transactions per item)."""
    urls = {size: database_for(args.database_url, size) for size in args.items}
    filled: dict[int, float] = {}
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp, ExitStack() as stack:
        for size, url in urls.items():
            if args.fresh or not holds(url, size, args.days):
                filled[size] = fill(url, size, args.days, Path(tmp) / f"fill-{size}.log")
            else:  # filled by an earlier run, maybe of older code: this code's schema first
                init_db(sandbox_env(url, SANDBOX_SECRET_KEY=SECRET_KEY))
        per_item = template_row(urls[args.items[0]])[1]
        servers = {}
        for size, url in urls.items():
            template_row(url)  # freezes the clock (a reused database too)
            env = sandbox_env(url, SANDBOX_SECRET_KEY=SECRET_KEY)
            log = Path(tmp) / f"gunicorn-{size}.log"
            servers[size] = stack.enter_context(
                start_gunicorn("sandbox.wsgi:app", env, log, workers=args.workers)
            )
        memory = {"idle": sum(workers_rss_mb(server) for server in servers.values())}
        bodies = {}
        for size in args.items:
            tokens = [clone_token(n) for n in range(1, size)]
            sample = rng.sample(tokens, min(len(tokens), args.sample))
            bodies[size] = {e: _bodies(e, sample) for e in ENDPOINTS}
        loads: dict[tuple[int, str], list[LoadResult]] = {}
        for round_number in range(args.rounds):
            for size, server in servers.items():
                for endpoint in ENDPOINTS:
                    load = run_wrk_bodies(
                        server.url + endpoint,
                        bodies[size][endpoint],
                        connections=args.connections,
                        duration=args.duration,
                        warmup=args.warmup,
                    )
                    loads.setdefault((size, endpoint), []).append(load)
                    print(f"round {round_number + 1}: {size:>6} items {endpoint}: "
                          f"{load.rate:,.0f} req/s, p99 {load.percentile(0.99) * 1000:.1f} ms",
                          file=sys.stderr)  # fmt: skip
        memory["after"] = sum(workers_rss_mb(server) for server in servers.values())
    points = [
        Point(size, size * per_item, endpoint, tuple(loads[size, endpoint]))
        for endpoint in ENDPOINTS
        for size in args.items
    ]
    return points, memory, filled, per_item


def table(points: Sequence[Point]) -> list[str]:
    """Markdown rows: per endpoint and size, req/s, p50, p99 and p99 against the smallest."""
    rows = [
        "| endpoint | items | transactions | req/s | p50 | p99 | p99 / smallest | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint in ENDPOINTS:
        mine = [p for p in points if p.endpoint == endpoint]
        base = mine[0].p(0.99) if mine else 0.0
        for p in mine:
            p99 = p.p(0.99)
            rows.append(
                f"| `{endpoint}` | {p.items:,} | {p.transactions:,} "
                f"| {p.median(lambda load: load.rate):,.0f} | {p.p(0.5) * 1000:.1f} ms "
                f"| {p99 * 1000:.1f} ms | {p99 / base if base else 0:.2f} | {p.errors} |"
            )
    return rows


def plot(points: Sequence[Point], path: Path) -> Path:
    """Latency (p50, p99) against item count, one line per endpoint and percentile."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    for endpoint in ENDPOINTS:
        mine = [p for p in points if p.endpoint == endpoint]
        counts = [p.items for p in mine]
        for fraction, style in ((0.5, "--"), (0.99, "-")):
            values = [p.p(fraction) * 1000 for p in mine]
            label = f"{endpoint} p{int(fraction * 100)}"
            axes.plot(counts, values, style, marker="o", label=label)
    axes.set_xscale("log")
    axes.set_xlabel("items in the database (PostgreSQL)")
    axes.set_ylabel("latency (ms)")
    axes.set_ylim(bottom=0)
    axes.set_title("Latency against item count (gunicorn, 2 sync workers, wrk; medians)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/bench_scale"),
        help="PostgreSQL database to empty and fill (default: $BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--items",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[10, 100, 1000, 10000],
        help="item counts to measure at, ascending (comma-separated)",
    )
    parser.add_argument("--days", type=int, default=400, help="history of each item")
    parser.add_argument("--fresh", action="store_true", help="fill every database again")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of load")
    parser.add_argument("--sample", type=int, default=2000, help="items drawn from per size")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown ('-': skip)")
    parser.add_argument("--plot", type=Path, default=PLOT, help="PNG plot ('-': skip)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scale benchmark, print the table, save it and the plot."""
    args = parse_args(argv)
    began = time.perf_counter()
    points, memory, filled, per_item = measure(args)
    largest = max(args.items)
    fills = ", ".join(f"{size:,} items {seconds:.0f} s" for size, seconds in filled.items())
    text = "\n".join(
        [
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs "
            f"(load average {' / '.join(f'{n:.1f}' for n in os.getloadavg())}); PostgreSQL, "
            f"a database per size; one template item of {args.days} days ({per_item:,} "
            f"transactions) cloned to {largest:,} items ({largest * per_item:,} transactions). "
            f"Filling (server-side `INSERT … SELECT`, `COPY` for tokens): "
            f"{fills or 'databases reused from an earlier run'}. wrk, {args.connections} "
            f"connections, {args.duration:g} s per point, {args.rounds} interleaved rounds "
            f"(medians), items drawn at random from up to {args.sample:,}; gunicorn "
            f"`--workers {args.workers}` per database. Workers' RSS, all servers: "
            f"{memory['idle']:.0f} MB idle, {memory['after']:.0f} MB after the last round. "
            f"Whole run {time.perf_counter() - began:.0f} s.",
            "",
            *table(points),
            "",
        ]
    )
    print(text)
    if failing := [p for p in points if p.errors]:
        print(
            f"not saved: {len(failing)} of {len(points)} points had replies other than 2xx "
            "or socket errors: a latency of errors measures nothing",
            file=sys.stderr,
        )
        return 1
    if str(args.output) != "-":
        args.output.write_text("# Scale benchmark (PostgreSQL)\n\n" + text)
    if str(args.plot) != "-":
        print(f"plot: {plot(points, args.plot)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
