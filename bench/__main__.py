"""``python -m bench`` (``make bench``) runs every benchmark, each printing its own table."""

from . import bench_api, bench_ledger, bench_plugin

bench_ledger.main()
bench_plugin.main([])
raise SystemExit(bench_api.main())
