"""Subprocess for the crash test: syncs one connection in a loop until it is killed."""

from __future__ import annotations

import os
import sys

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync


def main() -> None:
    """Read the setup from the environment and sync forever (the parent sends SIGKILL)."""
    env = os.environ
    store = Store(env["CRASH_DB"])
    plaid = PlaidClient(env["CRASH_URL"], env["CRASH_CLIENT_ID"], env["CRASH_SECRET"], timeout=30)
    bank = BankSync(
        plaid,
        store,
        TokenCipher([env["CRASH_KEY"]]),
        page_size=int(env["CRASH_PAGE_SIZE"]),
        max_restarts=50,
    )
    print("ready", flush=True)
    sys.stdin.readline()  # imports are done; start when the parent says so
    while True:
        result = bank.sync(int(env["CRASH_CONNECTION"]), trigger="crash-test")
        if not result.ok:
            sys.exit(f"sync failed: {result.error_code}")


if __name__ == "__main__":
    main()
