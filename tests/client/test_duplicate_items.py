"""Duplicate Items: linking a login the user has linked already keeps the first connection and
removes the new Item at the provider (Plaid's "Preventing duplicate Items"), on SQLite and
PostgreSQL; other banks, other users and disconnected connections are never duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from client.cli import main
from client.crypto import TokenCipher
from client.store.db import Store
from client.store.models import Account, AuditEvent, Connection
from client.sync.connections import BankSync
from client.sync.duplicates import DuplicateConnection
from tests.client.conftest import Tenant


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


def items_at_the_bank(live: Any, tenant: Tenant) -> int:
    """How many of the tenant's Items the sandbox still has (billed, sending webhooks)."""
    from sandbox.core import tenants
    from sandbox.core.models import Item
    from sandbox.extensions import db

    with live.app.app_context():
        session = db.session()
        owner = tenants.authenticate(session, tenant.client_id, tenant.secret)
        kept = select(func.count()).where(Item.tenant_id == owner.id, Item.removed_at.is_(None))
        return int(session.scalar(kept) or 0)


def connections_of(store: Store, user: str) -> list[tuple[int, str, str | None]]:
    """The user's connections: id, status, institution."""
    with store.session() as session:
        rows = session.execute(
            select(Connection.id, Connection.status, Connection.institution_id)
            .where(Connection.user_ref == user)
            .order_by(Connection.id)
        ).all()
    return [tuple(row) for row in rows]


def accounts_of(store: Store, connection_id: int) -> dict[int, str]:
    with store.session() as session:
        rows = session.scalars(select(Account).where(Account.connection_id == connection_id))
        return {a.id: a.provider_id for a in rows}


def test_linking_the_same_login_again_keeps_the_first_and_removes_the_new_item(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    first = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    assert bank.sync(first).ok
    accounts = accounts_of(bank.store, first)

    with pytest.raises(DuplicateConnection) as refused:
        bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)

    assert refused.value.connection_id == first and not refused.value.login_required
    assert f"connection {first}" in str(refused.value)
    assert connections_of(bank.store, "alice") == [(first, "active", "ins_109508")]
    assert accounts_of(bank.store, first) == accounts, "the first connection is untouched"
    assert items_at_the_bank(live, tenant) == 1, "the new Item was removed: nothing billed"
    with bank.store.session() as session:
        removals = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "call", AuditEvent.name == "/item/remove")
        ).all()
    assert len(removals) == 1
    assert bank.sync(first).ok


def test_the_app_way_of_connecting_refuses_the_same_login_too(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    """`connect_in_place` (the demo app's) goes through the same check as `connect`."""
    first = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    public = bank.plaid.sandbox_public_token_create("ins_109508")["public_token"]
    with pytest.raises(DuplicateConnection) as refused:
        bank.connect_in_place(str(public), user_ref="alice")
    assert refused.value.connection_id == first
    assert len(connections_of(bank.store, "alice")) == 1
    assert items_at_the_bank(live, tenant) == 1


def test_a_login_waiting_for_sign_in_is_repaired_in_update_mode_not_linked_again(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    """Plaid's advice for a broken Item is update mode, which keeps the Item: a new Link of
    its login is refused and the error says how to repair the connection instead."""
    first = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    bank.set_error_from_webhook(first, {"error_code": "ITEM_LOGIN_REQUIRED"})

    with pytest.raises(DuplicateConnection) as refused:
        bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)

    assert refused.value.connection_id == first and refused.value.login_required
    assert "update mode" in str(refused.value)
    assert connections_of(bank.store, "alice") == [(first, "login_required", "ins_109508")]
    assert items_at_the_bank(live, tenant) == 1
    assert bank.repair_link(first).url, "update mode is open to it"


def test_another_bank_and_another_user_are_never_duplicates(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    alice = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    other_bank = bank.connect_sandbox("ins_109509", user_ref="alice", days_requested=30)
    bob = bank.connect_sandbox("ins_109508", user_ref="bob", days_requested=30)

    assert [c[0] for c in connections_of(bank.store, "alice")] == [alice, other_bank]
    assert [c[0] for c in connections_of(bank.store, "bob")] == [bob]
    assert set(accounts_of(bank.store, bob)).isdisjoint(accounts_of(bank.store, alice))
    assert items_at_the_bank(live, tenant) == 3


def test_an_item_with_an_account_the_connection_lacks_is_connected(bank: BankSync) -> None:
    """user_transactions_dynamic's two accounts are among user_good's twelve (same names,
    masks, types): after user_good it brings nothing new and is refused; before it, user_good
    brings ten accounts more and is another connection."""

    def link(username: str) -> int:
        public = bank.plaid.sandbox_public_token_create(
            "ins_109508", username=username, password="pass_good"
        )["public_token"]
        return bank.connect(str(public), user_ref="alice")

    dynamic = link("user_transactions_dynamic")
    good = link("user_good")
    assert [c[0] for c in connections_of(bank.store, "alice")] == [dynamic, good]
    with pytest.raises(DuplicateConnection) as refused:
        link("user_transactions_dynamic")
    assert refused.value.connection_id == dynamic, "the oldest connection holding them all"


def test_a_disconnected_connection_is_linked_again_not_refused(bank: BankSync) -> None:
    first = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    bank.disconnect(first)
    public = bank.plaid.sandbox_public_token_create("ins_109508")["public_token"]
    done = bank.connect_in_place(str(public), user_ref="alice")
    assert done.connection_id == first and done.relinked


def test_relinking_a_disconnected_connection_with_a_login_linked_elsewhere_is_refused(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    """*Link again* on a disconnected connection, where the user signs in to a bank another
    of their connections already has: no new connection of that login either."""
    linked = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    gone = bank.connect_sandbox("ins_109509", user_ref="alice", days_requested=30)
    bank.disconnect(gone)
    public = bank.plaid.sandbox_public_token_create("ins_109508")["public_token"]

    with pytest.raises(DuplicateConnection) as refused:
        bank.reconnect(gone, str(public))

    assert refused.value.connection_id == linked
    statuses = [c[1] for c in connections_of(bank.store, "alice")]
    assert statuses == ["active", "disconnected"]
    assert items_at_the_bank(live, tenant) == 1


def test_cli_connect_of_a_linked_login_says_so_in_one_line(
    store: Store, tenant: Tenant, live: Any, wide_console: None
) -> None:
    runner = CliRunner(
        env={
            "BANK_CLIENT_DB": store.url,
            "PLAID_BASE_URL": tenant.url,
            "PLAID_CLIENT_ID": tenant.client_id,
            "PLAID_SECRET": tenant.secret,
            "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
        }
    )
    connect = ["connect", "--sandbox", "ins_109508", "--days", "30"]
    first = runner.invoke(main, connect)
    assert first.exit_code == 0 and "connection 1" in first.output, first.output

    again = runner.invoke(main, connect)

    assert again.exit_code == 1, again.output
    lines = again.output.strip().splitlines()
    assert len(lines) == 1, again.output
    assert lines[0].startswith("Error: already connected: ") and "connection 1" in lines[0]
    assert "removed" in lines[0]
    assert len(connections_of(store, "default")) == 1
    assert items_at_the_bank(live, tenant) == 1


def test_a_duplicate_whose_removal_fails_does_not_claim_it_was_removed(
    bank: BankSync, live: Any, tenant: Tenant
) -> None:
    """The provider refusing `/item/remove` leaves the new Item linked (billed): the message
    must tell the user to remove it there, not that it is gone."""
    first = bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)
    tenant.post("/control/faults", endpoint="/item/remove", http_status=500, trigger="always")

    with pytest.raises(DuplicateConnection) as refused:
        bank.connect_sandbox("ins_109508", user_ref="alice", days_requested=30)

    assert refused.value.connection_id == first and not refused.value.new_item_removed
    assert "could not be removed at the provider" in str(refused.value)
    assert "was removed" not in str(refused.value)
    assert items_at_the_bank(live, tenant) == 2, "the refused removal left the new Item"
