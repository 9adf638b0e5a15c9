"""Subprocess for the crash test: syncs one connection in a loop until it is killed."""

from __future__ import annotations

import os
import sys

from client.api.plaid import PlaidClient
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync
from client.sync.engine import Syncer
from tests.client.conftest import Tenant
from tests.client.truelayer_live import truelayer_sync


def syncer(env: os._Environ[str]) -> Syncer:
    """BankSync (Plaid), or TrueLayerSync when CRASH_PROVIDER says so (its page is a date
    chunk of CRASH_PAGE_SIZE days)."""
    store = Store(env["CRASH_DB"])
    cipher = TokenCipher([env["CRASH_KEY"]])
    if env.get("CRASH_PROVIDER") == "truelayer":
        tenant = Tenant(env["CRASH_URL"], env["CRASH_CLIENT_ID"], env["CRASH_SECRET"])
        return truelayer_sync(tenant, store, cipher, chunk_days=int(env["CRASH_PAGE_SIZE"]))
    plaid = PlaidClient(env["CRASH_URL"], env["CRASH_CLIENT_ID"], env["CRASH_SECRET"], timeout=30)
    return BankSync(plaid, store, cipher, page_size=int(env["CRASH_PAGE_SIZE"]), max_restarts=50)


def main() -> None:
    """Read the setup from the environment and sync forever (the parent sends SIGKILL)."""
    env = os.environ
    bank = syncer(env)
    print("ready", flush=True)
    sys.stdin.readline()  # imports are done; start when the parent says so
    while True:
        result = bank.sync(int(env["CRASH_CONNECTION"]), trigger="crash-test")
        if not result.ok:
            sys.exit(f"sync failed: {result.error_code}")


if __name__ == "__main__":
    main()
