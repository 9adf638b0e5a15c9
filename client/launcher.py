"""Entry point of `bank-client`: one line, not a traceback, when the client extra is missing."""

from __future__ import annotations

import importlib
import sys

EXTRA_MODULES = ("rich", "prometheus_client")
INSTALL = "pip install 'bank-sandbox[client]'"


def run() -> None:
    """Check the CLI's own dependencies, then hand over to the click group."""
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            sys.stderr.write(f"bank-client needs the client extra ({name} is missing): {INSTALL}\n")
            sys.exit(2)
    from client.cli import main

    main()
