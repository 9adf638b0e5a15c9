"""The README's "client in a dozen lines", run as a user pastes it: a process of its own, the
keys in the environment variables it reads, against a live sandbox. Only the host changes
(the README's is the quick start's port 8000; the test's sandbox has a free port)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from client.crypto import TokenCipher
from client.store.db import Store
from client.store.models import Connection, Transaction
from tests.client.conftest import Tenant

README = Path(__file__).resolve().parents[2] / "README.md"
README_HOST = "http://127.0.0.1:8000"


def dozen_lines() -> str:
    """The first Python block under the README's "The client in a dozen lines" heading."""
    section = README.read_text().split("## The client in a dozen lines", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the section has no Python block"
    return found.group(1)


def test_the_readme_client_snippet_runs_as_pasted_and_syncs(
    live: Any, tenant: Tenant, tmp_path: Path
) -> None:
    code = dozen_lines()
    assert code.count(README_HOST) == 1
    keys = TokenCipher.generate_key()
    env = {
        **os.environ,
        "PLAID_CLIENT_ID": tenant.client_id,
        "PLAID_SECRET": tenant.secret,
        "BANK_CLIENT_KEYS": keys,
    }
    ran = subprocess.run(
        [sys.executable, "-c", code.replace(README_HOST, live.url)],
        cwd=tmp_path,  # the snippet's store is `bank.db` where it runs
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    store = Store(f"sqlite:///{tmp_path / 'bank.db'}")
    try:
        with store.session() as session:
            conn = session.scalars(select(Connection)).one()
            assert conn.user_ref == "user-42" and conn.last_success_at is not None
            assert session.scalar(select(func.count()).select_from(Transaction)) > 100
    finally:
        store.close()
