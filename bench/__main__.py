"""``python -m bench`` runs every benchmark (``make bench``)."""

from .bench_api import main

raise SystemExit(main())
