"""``python -m bench`` (``make bench``) runs every benchmark, each printing its own table;
``bench_api`` and ``bench_scale`` also save theirs (``results.md``, ``results-scale.md``,
``scale.png``). The scale benchmark needs a PostgreSQL database it may empty, named by
``BENCH_POSTGRES_URL``; without one it is skipped, with the reason printed.

``python -m bench --quick`` (``make bench-quick``) is the smoke test: every benchmark once,
briefly, on tiny sizes, saving nothing. Its numbers mean nothing; it fails when a
benchmark no longer runs.
"""

import os
import sys

from . import bench_api, bench_floor, bench_ledger, bench_plugin, bench_scale

QUICK = "--quick" in sys.argv[1:]
SAVE_NOTHING = ["--output", "-"]

bench_ledger.main()
bench_plugin.main(["--runs", "1"] if QUICK else [])
QUICK_API = ["--runs", "1", "--duration", "1", "--warmup", "0", "--rounds", "1", "--chains", "1"]
status = bench_api.main([*QUICK_API, *SAVE_NOTHING] if QUICK else [])
status = status or bench_floor.main(
    ["--duration", "1", "--warmup", "0", "--rounds", "1"] if QUICK else []
)
postgres = os.environ.get("BENCH_POSTGRES_URL")
if postgres:
    quick_scale = ["--items", "10,30", "--days", "30", "--duration", "1", "--warmup", "0"]
    status = status or bench_scale.main(
        [*quick_scale, *SAVE_NOTHING, "--plot", "-"] if QUICK else []
    )
else:
    print("scale benchmark skipped: BENCH_POSTGRES_URL names no PostgreSQL database to fill")
raise SystemExit(status)
