"""The README's "client in a dozen lines", and its `Books` block after it, run as a user pastes
them: a process of its own, the keys in the environment variables it reads, against a live
sandbox. Only the host changes (the README's is the quick start's port 8000; the test's
sandbox has a free port)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from client.books import Books
from client.crypto import TokenCipher
from client.store.db import Store
from client.store.models import Connection, Transaction
from tests.client.conftest import Tenant

README = Path(__file__).resolve().parents[2] / "README.md"
README_HOST = "http://127.0.0.1:8000"


def python_block(after: str) -> str:
    """The first Python block of the README after the text ``after``."""
    section = README.read_text().split(after, 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, f"no Python block after {after!r}"
    return found.group(1)


def dozen_lines() -> str:
    """The first Python block under the README's "The client in a dozen lines" heading."""
    return python_block("## The client in a dozen lines")


def run_as_pasted(code: str, live: Any, tenant: Tenant, folder: Path) -> None:
    """``code`` in a process of its own, in ``folder``, with the keys the snippet reads."""
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
        cwd=folder,  # the snippet's store is `bank.db` where it runs
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]


def test_the_readme_client_snippet_runs_as_pasted_and_syncs(
    live: Any, tenant: Tenant, tmp_path: Path
) -> None:
    run_as_pasted(dozen_lines(), live, tenant, tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'bank.db'}")
    try:
        with store.session() as session:
            conn = session.scalars(select(Connection)).one()
            assert conn.user_ref == "user-42" and conn.last_success_at is not None
            assert session.scalar(select(func.count()).select_from(Transaction)) > 100
    finally:
        store.close()


def test_the_readme_books_snippet_runs_after_the_dozen_lines(
    live: Any, tenant: Tenant, tmp_path: Path
) -> None:
    """ "What the user decides lives in `Books`": its block, pasted after the dozen lines
    (whose ``bank`` and ``cid`` it uses), keeps the user's category, rule, edit and cash."""
    books_block = python_block("What the user decides lives in `Books`")
    run_as_pasted(dozen_lines() + books_block, live, tenant, tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'bank.db'}")
    try:
        books = Books(store, user_ref="user-42")
        treats = next(c for c in books.categories() if c.name == "Treats")
        assert [r.pattern for r in books.rules()] == ["starbucks|blue bottle"]
        edited = [t for t in books.transactions() if t.notes == "team coffee"]
        assert [(t.payee, t.category_id) for t in edited] == [("Corner cafe", treats.id)]
        wallet = next(a for a in books.accounts() if a.name == "Wallet")
        coffee = books.transactions(account_id=wallet.id)
        assert [(t.description, t.amount, t.manual) for t in coffee] == [
            ("Coffee", Decimal("-4.50"), True)
        ]
    finally:
        store.close()
