"""The client against a live sandbox on a free port: no mocks of the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from client.store.models import Account, AuditEvent, Connection, SyncRun, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches, count_rows


def test_first_sync_24_months_matches_provider(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=730)
    result = bank.sync(cid)
    assert result.ok and result.added > 1000 and result.pages >= 3
    truth = ground_truth(bank, cid)
    assert_store_matches(bank.store, cid, truth)
    with bank.store.session() as s:
        dates = list(s.scalars(select(Transaction.date)))
        assert (max(dates) - min(dates)).days >= 700
        accounts = list(s.scalars(select(Account)))
        assert {a.type for a in accounts} >= {"depository", "credit", "loan"}
        assert all(a.currency for a in accounts)
        run = s.scalars(select(SyncRun)).one()
        assert run.added == result.added and run.finished_at and run.error_code is None
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "active" and conn.last_success_at
        assert conn.access_token_enc and "access-" not in conn.access_token_enc
        calls = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "call")))
        assert {c.name for c in calls} >= {"/transactions/sync", "/item/public_token/exchange"}
        assert all(c.request_id for c in calls)


def test_incremental_sync_after_clock_applies_added_modified_removed(
    bank: BankSync, tenant: Tenant
) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(cid).ok
    tenant.advance(5)
    second = bank.sync(cid)
    assert second.ok and second.added > 0 and second.removed > 0
    token = bank.access_token(cid)
    tenant.post("/transactions/refresh", access_token=token)
    assert bank.sync(cid).ok
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))


def test_investment_and_loan_balances_follow_the_clock(bank: BankSync, tenant: Tenant) -> None:
    """/transactions/sync names only accounts with transactions: the IRA, 401k and mortgage
    kept the balances they had when the bank was connected, while syncs said ok."""
    cid = bank.connect_sandbox("ins_109508")
    assert bank.sync(cid).ok
    tenant.advance(40)
    assert bank.sync(cid).ok
    reply = bank.plaid.accounts_get(bank.access_token(cid))["accounts"]
    truth = {a["account_id"]: a["balances"]["current"] for a in reply}
    with bank.store.session() as s:
        stored = {a.provider_id: (a.type, a.current) for a in s.scalars(select(Account))}
    assert {kind for kind, _ in stored.values()} >= {"investment", "loan"}
    assert {pid: float(current) for pid, (_, current) in stored.items()} == truth


def test_manual_refresh_calls_refresh_then_syncs_modified(bank: BankSync) -> None:
    public = bank.plaid.sandbox_public_token_create(
        "ins_109508", username="user_transactions_dynamic", password="any"
    )["public_token"]
    cid = bank.connect(public)
    assert bank.sync(cid).ok
    result = bank.refresh(cid)  # /transactions/refresh, then sync
    assert result.ok and result.added and result.modified and result.removed
    with bank.store.session() as s:
        posted = list(
            s.scalars(select(Transaction).where(Transaction.pending_provider_id.is_not(None)))
        )
        assert posted and all(not t.pending for t in posted)
        gone = {t.pending_provider_id for t in posted}
        replaced = list(s.scalars(select(Transaction).where(Transaction.provider_id.in_(gone))))
        assert replaced and all(t.removed_at is not None for t in replaced)  # tombstones
        run = s.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert run is not None and run.trigger == "refresh"
        calls = [c.name for c in s.scalars(select(AuditEvent).where(AuditEvent.kind == "call"))]
        assert calls.index("/transactions/refresh") < len(calls) - 1
        assert calls[calls.index("/transactions/refresh") + 1] == "/transactions/sync"
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))


def test_mutation_during_pagination_restarts_and_converges(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=730)
    assert bank.sync(cid).ok
    tenant.advance(20)
    bank.engine.page_size = 10
    advanced: list[int] = []

    def on_page(pages: int, _counts: object) -> None:
        if pages == 1 and not advanced:
            advanced.append(1)
            tenant.advance(3)  # the log changes between page 1 and page 2

    result = bank.sync(cid, on_page=on_page)
    assert result.ok and result.restarts >= 1
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))


def test_a_reply_cut_short_is_retried_and_the_sync_completes(
    bank: BankSync, tenant: Tenant
) -> None:
    """A sync page whose body ends before its Content-Length (a proxy or a server dying
    mid-write) is a transient error like a dropped connection: retried, never raised out."""
    cid = bank.connect_sandbox("ins_109508", days_requested=90)
    rule = {"endpoint": "/transactions/sync", "truncate": True, "trigger": "next", "n": 1}
    tenant.post("/control/faults", **rule)
    result = bank.sync(cid)
    assert result.ok, result.error_message
    assert_store_matches(bank.store, cid, ground_truth(bank, cid))
    rules = requests.get(
        tenant.url + "/control/faults",
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
        timeout=30,
    ).json()
    assert [rule["fired"] for rule in rules["rules"]] == [1], rules  # the reply was cut short


def test_login_required_then_repair(
    bank: BankSync, tenant: Tenant, live: object, notes: object
) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    assert bank.sync(cid).ok
    token = bank.access_token(cid)
    tenant.post("/sandbox/item/reset_login", access_token=token)
    failed = bank.sync(cid)
    assert failed.error_code == "ITEM_LOGIN_REQUIRED"
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "login_required" and conn.last_error_message
    assert [n.kind for n in notes.notes][-1] == "login_required"  # type: ignore[attr-defined]
    assert bank.repair_link_token(cid).startswith("link-")
    assert bank.mark_repaired(cid) is False  # the user has not been through Link yet
    _complete_update_mode(live, tenant, token)
    assert bank.mark_repaired(cid) is True
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "active" and conn.last_error_code is None
    assert bank.access_token(cid) == token  # update mode keeps the access token


def test_disconnect_removes_credentials(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    assert bank.sync(cid).ok
    token = bank.access_token(cid)
    bank.disconnect(cid)
    with bank.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.access_token_enc is None
        assert conn.status == "disconnected"
        consent = [
            e.name for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == "consent"))
        ]
    assert consent == ["connected", "disconnected"]
    reply = bank.plaid.transport.session.post(
        tenant.url + "/accounts/get",
        json={"access_token": token},
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
        timeout=10,
    )
    assert reply.status_code == 400
    assert count_rows(bank.store, Transaction) > 0  # history stays with the app


def test_relink_matches_accounts_without_duplicates(bank: BankSync) -> None:
    first = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(first).ok
    before_accounts = count_rows(bank.store, Account)
    before_txns = count_rows(bank.store, Transaction)
    bank.disconnect(first)
    second = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(second).ok
    assert count_rows(bank.store, Account) == before_accounts
    assert count_rows(bank.store, Transaction) == before_txns
    assert_store_matches(bank.store, second, ground_truth(bank, second))


def test_relink_after_the_provider_removed_the_item_adopts_its_accounts(
    bank: BankSync, tenant: Tenant
) -> None:
    """ITEM_NOT_FOUND marks a connection disconnected but keeps its (dead) token: connecting
    the bank again must still adopt its accounts, as after a disconnect from the app."""
    first = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(first).ok
    before_accounts = count_rows(bank.store, Account)
    removed = bank.plaid.transport.session.post(
        tenant.url + "/item/remove",
        json={"access_token": bank.access_token(first)},
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
        timeout=10,
    )
    assert removed.status_code == 200
    assert bank.sync(first).error_code == "ITEM_NOT_FOUND"
    with bank.store.session() as s:
        conn = s.get(Connection, first)
        assert conn is not None and conn.status == "disconnected" and conn.access_token_enc
    second = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(second).ok
    assert count_rows(bank.store, Account) == before_accounts
    assert_store_matches(bank.store, second, ground_truth(bank, second))


def _public_token(bank: BankSync, institution: str) -> str:
    """What Link hands back after the user signs in at `institution`."""
    made = bank.plaid.sandbox_public_token_create(institution, days_requested=90)
    return str(made["public_token"])


def test_reconnect_gives_the_disconnected_connection_the_new_item(bank: BankSync) -> None:
    """ "Link again" after a disconnect: the same connection, its accounts and history, no
    second connection and no duplicates."""
    first = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(first).ok
    before_accounts = count_rows(bank.store, Account)
    before_txns = count_rows(bank.store, Transaction)
    bank.disconnect(first)
    assert bank.reconnect(first, _public_token(bank, "ins_109508")) == first
    assert bank.sync(first).ok
    with bank.store.session() as s:
        conn = s.get(Connection, first)
        assert conn is not None and conn.status == "active" and conn.access_token_enc
        assert len(list(s.scalars(select(Connection)))) == 1
    assert count_rows(bank.store, Account) == before_accounts
    assert count_rows(bank.store, Transaction) == before_txns
    assert_store_matches(bank.store, first, ground_truth(bank, first))


def test_reconnect_with_another_bank_connects_it_as_a_new_connection(bank: BankSync) -> None:
    first = bank.connect_sandbox("ins_109508", days_requested=90)
    bank.disconnect(first)
    second = bank.reconnect(first, _public_token(bank, "ins_109509"))
    assert second != first
    with bank.store.session() as s:
        old, new = s.get(Connection, first), s.get(Connection, second)
        assert (
            old is not None and old.status == "disconnected" and old.institution_id == "ins_109508"
        )
        assert new is not None and new.status == "active" and new.institution_id == "ins_109509"


def test_connecting_a_bank_twice_leaves_the_first_connection_whole(bank: BankSync) -> None:
    """Only a disconnected connection's accounts are re-linked (above); a second live
    connection of the same bank, another login sharing an account's name and mask with the
    first (the same login again is refused: tests/client/test_duplicate_items.py), gets
    accounts of its own."""
    dynamic = bank.plaid.sandbox_public_token_create(
        "ins_109508", days_requested=90, username="user_transactions_dynamic", password="any"
    )["public_token"]
    first = bank.connect(str(dynamic), settings={"days_requested": 90})
    assert bank.sync(first).ok
    with bank.store.session() as session:
        before = {a.id: a.provider_id for a in session.scalars(select(Account))}
    second = bank.connect_sandbox("ins_109508", days_requested=90)
    assert bank.sync(second).ok
    with bank.store.session() as session:
        kept = session.scalars(select(Account).where(Account.connection_id == first)).all()
        assert {a.id: a.provider_id for a in kept} == before
        assert session.scalars(select(Account).where(Account.connection_id == second)).all()
    assert_store_matches(bank.store, first, ground_truth(bank, first))
    assert_store_matches(bank.store, second, ground_truth(bank, second))


def test_balance_refresh_and_selective_sync(bank: BankSync) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    with bank.store.session() as s:
        checking = s.scalars(select(Account).where(Account.mask == "0000")).one()
        conn = s.get(Connection, cid)
        assert conn is not None
        conn.settings = {"account_ids": [checking.provider_id]}
    assert bank.sync(cid).ok
    with bank.store.session() as s:
        assert set(s.scalars(select(Transaction.account_id))) == {checking.id}
    assert bank.refresh_balances(cid, live=True) > 0


def _complete_update_mode(live: object, tenant: Tenant, token: str) -> None:
    """Stand-in for the user finishing Link update mode (the Link page drives this later)."""
    from sandbox.core import tenants
    from sandbox.core.bank import Bank
    from sandbox.extensions import db

    with live.app.app_context():  # type: ignore[attr-defined]
        session = db.session()
        owner = tenants.authenticate(session, tenant.client_id, tenant.secret)
        sandbox_bank = Bank(session, owner)
        sandbox_bank.repair_login(sandbox_bank.item(token, allow_error=True))
        db.session.commit()
        db.session.remove()


def test_an_item_the_store_could_not_keep_is_removed_at_the_provider(
    bank: BankSync, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exchange made an Item, then storing it failed: its token would be lost, so the Item
    is removed at Plaid (no longer billed) and the store's error is the one raised."""
    tokens: list[str] = []

    def full_disk(_session: object, _conn: object, linked: Any) -> int:
        tokens.append(linked.token)
        raise OSError("database or disk is full")

    monkeypatch.setattr(bank, "_attach", full_disk)
    with pytest.raises(OSError, match="disk is full"):
        bank.connect_sandbox("ins_109508", days_requested=30)
    reply = requests.post(
        tenant.url + "/item/get",
        json={"access_token": tokens[0]},
        headers={"PLAID-CLIENT-ID": tenant.client_id, "PLAID-SECRET": tenant.secret},
        timeout=10,
    )
    assert reply.status_code == 400 and reply.json()["error_code"] == "ITEM_NOT_FOUND"
    assert count_rows(bank.store, Connection) == 0
