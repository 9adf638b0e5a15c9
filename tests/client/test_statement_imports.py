"""Round trips: files exported by the sandbox's banks, imported by the client, then an API sync.

Ground truth is ``/transactions/get``: after any mix of file imports (CSV in the bank's
layout, OFX 1.x, OFX 2.x, QFX; overlapping ranges; re-imports) and API syncs, each account
holds every posted transaction exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from client.imports.importer import import_file
from client.imports.rows import ImportFileError
from client.store.db import Store
from client.store.models import Account, Connection, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import Tenant, ground_truth


def _download(tenant: Tenant, path: str, **query: str) -> bytes:
    reply = requests.get(
        tenant.url + path,
        params=query,
        timeout=30,
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
    )
    assert reply.status_code == 200, reply.text
    return reply.content


def _export(
    tenant: Tenant, item_id: str, account_id: str, start: dt.date, end: dt.date, fmt: str
) -> bytes:
    path = f"/control/items/{item_id}/accounts/{account_id}/export"
    return _download(tenant, path, start=start.isoformat(), end=end.isoformat(), format=fmt)


def _today(tenant: Tenant) -> dt.date:
    """The tenant's simulated today."""
    return dt.date.fromisoformat(json.loads(_download(tenant, "/control/clock"))["today"])


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    target = tmp_path / name
    target.write_bytes(data)
    return target


def _posted(
    truth: list[dict[str, Any]], account_id: str, start: dt.date, end: dt.date
) -> Counter[tuple[str, Decimal]]:
    return Counter(
        (
            t["date"].isoformat() if isinstance(t["date"], dt.date) else t["date"],
            -Decimal(str(t["amount"])).quantize(Decimal("0.01")),
        )
        for t in truth
        if t["account_id"] == account_id
        and not t["pending"]
        and start <= dt.date.fromisoformat(str(t["date"])) <= end
    )


def _local(
    store: Store, account_mask: str, start: dt.date, end: dt.date
) -> Counter[tuple[str, Decimal]]:
    with store.session() as session:
        account = session.scalar(
            select(Account).where(Account.mask == account_mask, Account.connection_id.is_not(None))
        )
        assert account is not None
        rows = session.scalars(
            select(Transaction).where(
                Transaction.account_id == account.id,
                Transaction.removed_at.is_(None),
                Transaction.pending.is_(False),
                Transaction.date >= start,
                Transaction.date <= end,
            )
        )
        return Counter((t.date.isoformat(), t.amount.quantize(Decimal("0.01"))) for t in rows)


@pytest.mark.parametrize("fmt", ["csv", "ofx", "ofx2", "qfx"])
def test_files_then_api_sync_hold_every_posted_transaction_once(
    tenant: Tenant, bank: BankSync, store: Store, tmp_path: Path, fmt: str
) -> None:
    cid = bank.connect_sandbox("ins_56", days_requested=90)
    with store.session() as session:
        item_id = session.get(Connection, cid).item_id
    token = bank.access_token(cid)
    accounts = {a["mask"]: a for a in bank.plaid.accounts_get(token)["accounts"]}
    truth = ground_truth(bank, cid)
    today = _today(tenant)
    first, second = (
        (today - dt.timedelta(days=40), today - dt.timedelta(days=10)),
        (today - dt.timedelta(days=20), today),
    )
    for mask in ("0000", "3333"):
        account_id = accounts[mask]["account_id"]
        for n, (start, end) in enumerate((first, second, first)):  # overlapping, then a re-import
            data = _export(tenant, item_id, account_id, start, end, fmt)
            report = import_file(store, _write(tmp_path, f"{mask}-{n}.{fmt}", data), account=mask)
            assert report.account_id is not None
            if n == 2:
                assert report.added == [], "a re-import adds nothing"
        span = (first[0], today)
        assert _local(store, mask, *span) == _posted(truth, account_id, *span), "files alone"
    bank.sync(cid)
    truth = ground_truth(bank, cid)
    for mask in ("0000", "3333"):
        span = (first[0], today)
        assert _local(store, mask, *span) == _posted(truth, accounts[mask]["account_id"], *span)
        data = _export(tenant, item_id, accounts[mask]["account_id"], *span, fmt)
        report = import_file(store, _write(tmp_path, f"after-{mask}.{fmt}", data), account=mask)
        assert report.added == [], "importing after an API sync adds nothing"
    with store.session() as session:
        leftovers = session.scalars(
            select(Transaction).where(
                Transaction.source != "plaid", Transaction.removed_at.is_(None)
            )
        )
        assert [t.description for t in leftovers] == [], "every imported row was adopted by the API"


def test_file_account_is_adopted_when_the_bank_is_linked_later(
    tenant: Tenant, bank: BankSync, store: Store, tmp_path: Path
) -> None:
    public = tenant.post(
        "/sandbox/public_token/create", institution_id="ins_56", initial_products=["transactions"]
    )["public_token"]
    token = tenant.post("/item/public_token/exchange", public_token=public)["access_token"]
    item_id = tenant.post("/item/get", access_token=token)["item"]["item_id"]
    card = next(
        a
        for a in tenant.post("/accounts/get", access_token=token)["accounts"]
        if a["mask"] == "3333"
    )
    end = _today(tenant)
    data = _export(tenant, item_id, card["account_id"], end - dt.timedelta(days=25), end, "ofx")
    report = import_file(store, _write(tmp_path, "card.ofx", data))
    assert report.added, "the OFX names its account: no --account needed"
    with store.session() as session:
        made = session.get(Account, report.account_id)
        assert made.provider_id.startswith("file:") and made.mask == "3333"
    cid = bank.connect_sandbox("ins_56", days_requested=30)
    bank.sync(cid)
    with store.session() as session:
        adopted = session.get(Account, report.account_id)
        assert adopted.connection_id == cid and not adopted.provider_id.startswith("file:")
        live = list(
            session.scalars(
                select(Transaction).where(
                    Transaction.account_id == adopted.id,
                    Transaction.removed_at.is_(None),
                    Transaction.pending.is_(False),
                )
            )
        )
        ids = Counter(t.provider_id for t in live)
        assert all(count == 1 for count in ids.values())
        assert not [t for t in live if t.source != "plaid"], "the API adopted every imported row"


def test_two_identical_coffees_on_one_day_count_twice(store: Store, tmp_path: Path) -> None:
    header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
    coffee = "DEBIT,03/02/2026,STARBUCKS STORE #4314,-4.45,DEBIT_CARD,100.00,\r\n"
    one = _write(tmp_path, "one.csv", (header + coffee).encode())
    two = _write(tmp_path, "two.csv", (header + coffee + coffee).encode())
    assert len(import_file(store, one, account="0000").added) == 1
    report = import_file(store, two, account="0000", dry_run=True)
    assert (len(report.added), len(report.matched)) == (1, 1)
    assert len(import_file(store, two, account="0000").added) == 1
    assert len(import_file(store, two, account="0000").added) == 0
    with store.session() as session:
        assert len(list(session.scalars(select(Transaction)))) == 2


def test_a_bad_row_names_its_line_and_imports_nothing(store: Store, tmp_path: Path) -> None:
    text = (
        "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
        "DEBIT,03/02/2026,STARBUCKS,-4.45,DEBIT_CARD,100.00,\r\n"
        "DEBIT,03/31/2026,KROGER,-12.x0,DEBIT_CARD,88.00,\r\n"
    )
    with pytest.raises(ImportFileError, match=r"line 3: Amount: '-12.x0' is not an amount"):
        import_file(store, _write(tmp_path, "bad.csv", text.encode()), account="0000")
    with store.session() as session:
        assert list(session.scalars(select(Transaction))) == []


def test_unknown_layout_takes_a_mapping_once_and_remembers_it(store: Store, tmp_path: Path) -> None:
    text = "When,What,Money\r\n2026-03-02,CORNER SHOP,-3.20\r\n"
    path = _write(tmp_path, "odd.csv", text.encode())
    with pytest.raises(ImportFileError, match="unknown CSV layout"):
        import_file(store, path, account="0000")
    mapping = {"date": "When", "description": "What", "amount": "Money", "bank": "Corner Bank"}
    assert len(import_file(store, path, account="0000", mapping=mapping).added) == 1
    again = _write(tmp_path, "odd2.csv", (text + "2026-03-03,CORNER SHOP,-1.00\r\n").encode())
    report = import_file(store, again, account="0000")
    assert (report.format, len(report.added), len(report.matched)) == ("saved", 1, 1)


def test_pending_rows_stay_out_of_files_and_post_once(
    tenant: Tenant, bank: BankSync, store: Store, tmp_path: Path
) -> None:
    cid = bank.connect_sandbox("ins_56", days_requested=30)
    with store.session() as session:
        item_id = session.get(Connection, cid).item_id
    checking = next(
        a
        for a in bank.plaid.accounts_get(bank.access_token(cid))["accounts"]
        if a["mask"] == "0000"
    )
    start = _today(tenant) - dt.timedelta(days=20)

    def round_trip(name: str) -> int:
        data = _export(tenant, item_id, checking["account_id"], start, _today(tenant), "csv")
        return len(import_file(store, _write(tmp_path, name, data), account="0000").added)

    round_trip("before.csv")
    bank.sync(cid)
    pending = [
        t
        for t in ground_truth(bank, cid)
        if t["pending"] and t["account_id"] == checking["account_id"]
    ]
    assert pending, "the ledger has pending transactions today"
    tenant.advance(5)  # the pending ones post (some with a tip or a settled hold)
    bank.sync(cid)
    assert round_trip("after.csv") == 0
    truth = ground_truth(bank, cid)
    end = _today(tenant)
    assert _local(store, "0000", start, end) == _posted(truth, checking["account_id"], start, end)
    with store.session() as session:
        live_pending = session.scalars(
            select(Transaction.provider_id).where(
                Transaction.pending.is_(True),
                Transaction.removed_at.is_(None),
                Transaction.account_id
                == select(Account.id).where(Account.mask == "0000").scalar_subquery(),
            )
        )
        assert sorted(live_pending) == sorted(
            t["transaction_id"]
            for t in truth
            if t["pending"] and t["account_id"] == checking["account_id"]
        )


def test_cli_import_dry_run_then_import_and_a_bad_file_is_one_line(
    tenant: Tenant, tmp_path: Path, wide_console: None
) -> None:
    from tests.client.test_cli import Cli

    cli = Cli(tenant, tmp_path)
    header = "Transaction Date,Posted Date,Card No.,Description,Category,Debit,Credit\r\n"
    rows = "2026-03-01,2026-03-02,3333,STARBUCKS STORE #4314,Dining,4.45,\r\n"
    rows += "2026-03-03,2026-03-03,3333,AUTOPAY PAYMENT,,,120.00\r\n"
    path = _write(tmp_path, "capone.csv", (header + rows).encode())
    dry = cli.ok("import", str(path), "--dry-run")
    assert "would add 2, matched 0" in dry and "dry run: nothing was stored" in dry
    assert "added 2, matched 0" in cli.ok("import", str(path))
    assert "added 0, matched 2" in cli.ok("import", str(path))
    store = Store(cli.db)
    with store.session() as session:
        coffee = session.scalar(select(Transaction).where(Transaction.amount < 0))
        assert coffee is not None and coffee.category == "FOOD_AND_DRINK"
        assert coffee.payee == "Starbucks Store"
    store.close()
    bad = _write(tmp_path, "bad.csv", (header + "03/01/2026,x,3333,A,,1.00,\r\n").encode())
    line = cli.fails("import", str(bad))
    assert "line 2: Posted Date: 'x' is not a date like %Y-%m-%d" in line


def test_a_bad_ofx_amount_names_its_line_and_imports_nothing(
    tenant: Tenant, bank: BankSync, store: Store, tmp_path: Path
) -> None:
    cid = bank.connect_sandbox("ins_56", days_requested=30)
    with store.session() as session:
        item_id = session.get(Connection, cid).item_id
    card = next(
        a
        for a in bank.plaid.accounts_get(bank.access_token(cid))["accounts"]
        if a["mask"] == "3333"
    )
    today = _today(tenant)
    text = _export(tenant, item_id, card["account_id"], today - dt.timedelta(days=20), today, "ofx")
    lines = text.split(b"\r\n")
    broken = next(n for n, line in enumerate(lines) if line.startswith(b"<TRNAMT>"))
    lines[broken] = b"<TRNAMT>12,34.5x"
    path = _write(tmp_path, "broken.ofx", b"\r\n".join(lines))
    with pytest.raises(ImportFileError, match=rf"line {broken + 1}: TRNAMT: '12,34.5x' is not an"):
        import_file(store, path)
    with store.session() as session:
        assert session.scalar(select(Transaction).where(Transaction.source != "plaid")) is None


def test_two_identical_coffees_from_the_bank_round_trip_as_two(
    tenant: Tenant, bank: BankSync, store: Store, tmp_path: Path
) -> None:
    public = bank.plaid.sandbox_public_token_create(
        "ins_109508", username="user_transactions_dynamic", password="any"
    )["public_token"]
    cid = bank.connect(public)
    token = bank.access_token(cid)
    today = _today(tenant)
    coffee = {
        "date_transacted": (today - dt.timedelta(days=2)).isoformat(),
        "date_posted": (today - dt.timedelta(days=1)).isoformat(),
        "amount": 4.45,
        "description": "BLUE BOTTLE COFFEE",
    }
    tenant.post("/sandbox/transactions/create", access_token=token, transactions=[coffee, coffee])
    tenant.advance(3)  # both post
    truth = ground_truth(bank, cid)
    coffees = [t for t in truth if t["name"] == "BLUE BOTTLE COFFEE" and not t["pending"]]
    assert len(coffees) == 2 and coffees[0]["date"] == coffees[1]["date"]
    account_id = coffees[0]["account_id"]
    mask = next(
        a["mask"]
        for a in bank.plaid.accounts_get(token)["accounts"]
        if a["account_id"] == account_id
    )
    with store.session() as session:
        item_id = session.get(Connection, cid).item_id
    start, end = today - dt.timedelta(days=10), _today(tenant)
    data = _export(tenant, item_id, account_id, start, end, "csv")
    first = import_file(store, _write(tmp_path, "coffee.csv", data), account=mask)
    assert sum(r.description == "BLUE BOTTLE COFFEE" for r in first.added) == 2
    bank.sync(cid)
    assert _local(store, mask, start, end) == _posted(
        ground_truth(bank, cid), account_id, start, end
    )
    again = import_file(store, _write(tmp_path, "coffee-again.csv", data), account=mask)
    assert (
        again.added == [] and sum(r.description == "BLUE BOTTLE COFFEE" for r in again.matched) == 2
    )
