"""Hashes of every reply of 40 links: proof that a speed-up left generated data unchanged.

Generated data must stay byte-identical (ids, amounts, names, dates, balances). Run this on
two checkouts and compare the files: one line per reply, ``request_id`` left out::

    PYTHONPATH=/path/to/main python -m bench.reply_hashes main.txt
    python -m bench.reply_hashes branch.txt
    cmp main.txt branch.txt

40 links in 5 tenants (seeds 7, 11, 12345, 7, and 7 again repeating the first tenant's
links, so every one of them meets a warm engine cache), across the personas, ``user_custom``,
8 institutions in 6 countries, ``days_requested`` 30 to 730, investments on every third.
Each item is read whole (every ``/transactions/sync`` page, accounts, balances, transactions,
investments, liabilities, recurring streams), the clock moves 3 days, it is read again, the
clock moves 4 more days. ``--database-url`` runs it on PostgreSQL (the tables are dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from sandbox import create_app
from sandbox.core import tenants
from sandbox.core.models import Base
from sandbox.extensions import current_session, db

FROZEN = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)
SEEDS = (7, 11, 12345, 7, 7)  # the last tenant repeats the first one's links
LINKS_PER_TENANT = 8
USERS = (
    "user_good",
    "user_family",
    "user_yuppie",
    "user_small_business",
    "user_freelancer",
    "user_student",
    "user_ewa_user",
    "user_transactions_dynamic",
)
INSTITUTIONS = (
    "ins_109508",
    "ins_109509",
    "ins_43",
    "ins_116834",
    "ins_120512",
    "ins_121387",
    "ins_122096",
    "ins_109510",
)
DAYS = (730, 90, 365, 30, 730, 180)
CUSTOM_USER = json.dumps(
    {
        "override_accounts": [
            {
                "type": "depository",
                "subtype": "checking",
                "starting_balance": 1500,
                "transactions": [
                    {
                        "date_transacted": "2026-03-10",
                        "date_posted": "2026-03-11",
                        "amount": 12.5,
                        "description": "Coffee",
                    },
                    {
                        "date_transacted": "2026-03-15",
                        "date_posted": "2026-03-18",
                        "amount": 40,
                        "description": "Pending groceries",
                    },
                ],
            },
            {"type": "credit", "subtype": "credit card", "starting_balance": 300},
        ]
    }
)
WINDOW = {"start_date": "2024-01-01", "end_date": "2026-12-31"}
READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/accounts/balance/get", {}),
    ("/transactions/get", {**WINDOW, "options": {"count": 500}}),
    ("/investments/holdings/get", {}),
    ("/investments/transactions/get", WINDOW),
    ("/liabilities/get", {}),
    ("/transactions/recurring/get", {}),
)

Post = Callable[[str, dict[str, Any]], tuple[int, Any]]


def reply_hashes(database_url: str) -> list[str]:
    """One line per reply: link, step, path, status and the reply's SHA-256 (16 digits)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SEED": 7,
            "SECRET_KEY": "reply-hashes",
            "RATE_LIMITS": "off",
            "WEBHOOK_DISPATCHER": "off",
        }
    )
    lines: list[str] = []
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        db.create_all()
        client = app.test_client()
        for number, seed in enumerate(SEEDS):
            tenant, keys = tenants.create(current_session(), f"tenant{number}", seed)
            tenant.clock_frozen_at = FROZEN
            current_session().commit()
            headers = {"PLAID-CLIENT-ID": keys.client_id, "PLAID-SECRET": keys.secret}
            pattern = 0 if number == len(SEEDS) - 1 else number
            for n in range(LINKS_PER_TENANT):
                lines += _one_item(_poster(client, headers), pattern * LINKS_PER_TENANT + n, seed)
    return lines


def _poster(client: FlaskClient, headers: dict[str, str]) -> Post:
    def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = client.post(path, json=body, headers=headers)
        return response.status_code, response.get_json()

    return post


def _one_item(post: Post, index: int, seed: int) -> list[str]:
    """Link item ``index`` of the fixed list, read it, move the clock, read it again."""
    tenant_index, n = divmod(index, LINKS_PER_TENANT)
    user = USERS[(n + tenant_index) % len(USERS)]
    institution = INSTITUTIONS[(n * 3 + tenant_index) % len(INSTITUTIONS)]
    options: dict[str, Any] = {
        "override_username": user,
        "transactions": {"days_requested": DAYS[index % len(DAYS)]},
    }
    if index % 11 == 5:
        options = {"override_username": "user_custom", "override_password": CUSTOM_USER}
    products = ["transactions"] + (["investments"] if index % 3 == 0 else [])
    name = f"{index}:{seed}:{options['override_username']}:{institution}"
    body = {"institution_id": institution, "initial_products": products, "options": options}
    status, created = post("/sandbox/public_token/create", body)
    if status != 200:  # the institution lacks investments
        body["initial_products"] = ["transactions"]
        status, created = post("/sandbox/public_token/create", body)
    if status != 200:
        return [f"{name} create {status} {created.get('error_code')}"]
    token = post("/item/public_token/exchange", {"public_token": created["public_token"]})[1]
    lines: list[str] = []
    for round_ in range(2):
        lines += _read(post, f"{name} r{round_}", token["access_token"], sync_first=index % 2 == 0)
        status, _ = post("/control/clock", {"advance_days": 3 + round_})
        lines.append(f"{name} clock {status}")
    return lines


def _read(post: Post, name: str, token: str, *, sync_first: bool) -> list[str]:
    lines: list[str] = []

    def record(label: str, path: str, body: dict[str, Any]) -> Any:
        status, reply = post(path, {"access_token": token, **body})
        kept = {k: v for k, v in reply.items() if k != "request_id"}
        digest = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]
        lines.append(f"{label} {path} {status} {digest}")
        return reply

    def sync_all() -> None:
        cursor, more, page = "", True, 0
        while more:
            body = {"cursor": cursor, "count": 500 if page % 2 == 0 else 137}
            reply = record(f"{name} p{page}", "/transactions/sync", body)
            cursor, more, page = reply.get("next_cursor"), reply.get("has_more"), page + 1

    if sync_first:
        sync_all()
    record(name, "/accounts/get", {})
    if not sync_first:
        sync_all()
    for path, body in READS:
        record(name, path, body)
    if "dynamic" in name:
        record(name, "/transactions/refresh", {})
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reply hashes to a file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--database-url", default="sqlite://")
    args = parser.parse_args(argv)
    lines = reply_hashes(args.database_url)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} replies hashed to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
