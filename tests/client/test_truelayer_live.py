"""The TrueLayer client against a served sandbox: the auth dialog over HTTP, a UK connection
through TrueLayer beside a US one through Plaid in one store, repeated syncs, clock advances,
consent expiry and re-consent, users and tenants kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from client.cli import main
from client.crypto import TokenCipher
from client.providers.errors import SyncError
from client.providers.truelayer_connect import TrueLayerSync
from client.providers.truelayer_mapping import instant
from client.store.db import Store
from client.store.details import Card, DirectDebit, StandingOrder
from client.store.models import Account, Connection, ConnectionStatus, Transaction
from client.sync.connections import BankSync
from tests.client.conftest import Tenant
from tests.client.conftest import ground_truth as plaid_truth
from tests.client.helpers import assert_store_matches, stored_transactions
from tests.client.tl_dialog import authorize
from tests.client.truelayer_live import (
    REDIRECT_URI,
    assert_matches,
    connect,
    ground_truth,
    truelayer_sync,
)

US_BANK = "ins_109508"


@pytest.fixture
def store(any_store: Store) -> Store:
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_store


@pytest.fixture
def tl(tenant: Tenant, store: Store, bank: BankSync) -> Iterator[TrueLayerSync]:
    """TrueLayer on the same tenant, the same store and the same key as the Plaid client."""
    client = truelayer_sync(tenant, store, bank.cipher)
    yield client
    client.api.close()


def test_uk_through_truelayer_and_us_through_plaid_sync_into_one_store(
    tl: TrueLayerSync, bank: BankSync
) -> None:
    uk = connect(tl, "alice")
    us = bank.connect_sandbox(US_BANK, user_ref="alice", days_requested=90)
    first_uk, first_us = tl.sync(uk), bank.sync(us)
    assert first_uk.ok and first_us.ok, (first_uk.error_code, first_us.error_code)
    assert first_uk.added > 0 and first_us.added > 0
    assert_matches(tl, uk)
    assert_store_matches(bank.store, us, plaid_truth(bank, us))
    with tl.store.session() as s:
        providers = dict(s.execute(select(Connection.id, Connection.provider)).all())
        currencies = {
            cid: set(s.scalars(select(Account.currency).where(Account.connection_id == cid)))
            for cid in (uk, us)
        }
        facts = (
            s.query(StandingOrder).count(),
            s.query(DirectDebit).count(),
            s.query(Card).count(),
        )
    assert providers == {uk: "truelayer", us: "plaid"}
    assert currencies[uk] == {"GBP"} and "USD" in currencies[us]
    assert all(n > 0 for n in facts), facts  # standing orders, direct debits, cards stored


def test_a_repeated_sync_imports_nothing(tl: TrueLayerSync) -> None:
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    before = sorted(stored_transactions(tl.store, cid))
    again = tl.sync(cid)
    # TrueLayer's windows overlap, so the rows come again: unchanged, none counts as modified
    assert again.ok and (again.added, again.modified, again.removed) == (0, 0, 0)
    assert sorted(stored_transactions(tl.store, cid)) == before


def test_a_clock_advance_imports_exactly_the_new_transactions(
    tl: TrueLayerSync, tenant: Tenant
) -> None:
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    before = {row[0] for row in ground_truth(tl, cid)}
    tenant.advance(5)  # the access token ends too: the sync refreshes it
    result = tl.sync(cid)
    assert result.ok, result.error_code
    after = {row[0] for row in ground_truth(tl, cid)}
    assert after - before, "five days should bring new transactions"
    assert result.added == len(after - before)
    assert result.removed == len(before - after)  # settled pending rows are replaced
    assert_matches(tl, cid)
    with tl.store.session() as s:
        settled = s.scalars(
            select(Transaction.pending_provider_id).where(
                Transaction.pending_provider_id.is_not(None), Transaction.removed_at.is_(None)
            )
        ).all()
    assert settled and set(settled) <= before - after  # matched to the pending they were
    assert tl.sync(cid).ok  # the overlap reads the settled rows again, without their link
    with tl.store.session() as s:
        kept = s.scalars(
            select(Transaction.pending_provider_id).where(
                Transaction.pending_provider_id.is_not(None), Transaction.removed_at.is_(None)
            )
        ).all()
    assert sorted(kept) == sorted(settled)


def test_purchases_are_categorised_as_the_data_api_classifies_them(tl: TrueLayerSync) -> None:
    """The mock bank's groceries, coffee and fuel were all stored as general merchandise."""
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    token = tl.fresh_tokens(cid).access_token
    tops = {
        raw["description"]: raw["transaction_classification"][0]
        for account in tl.api.results(token, "/accounts")
        for raw in tl.api.results(token, f"/accounts/{account['account_id']}/transactions")
        if raw["transaction_classification"]
    }
    with tl.store.session() as s:
        stored = dict(s.execute(select(Transaction.description, Transaction.category)).all())
    assert tops
    for description, top in tops.items():
        category = stored[description]
        assert category is not None, description
        shopping = category.startswith("GENERAL_MERCHANDISE_")
        assert shopping == (top == "Shopping"), (description, top, category)


def test_users_and_tenants_stay_apart(
    tl: TrueLayerSync, live: Any, store: Store, bank: BankSync
) -> None:
    # Another tenant with the same seed: its bank may hand out the very same ids.
    reply = requests.post(live.url + "/control/tenants", json={"seed": 7}, timeout=30)
    keys = reply.json()
    other = Tenant(live.url, keys["client_id"], keys["secret"])
    elsewhere = truelayer_sync(other, store, bank.cipher)
    alice, bob = connect(tl, "alice"), connect(tl, "bob")
    carol = connect(elsewhere, "carol")
    for client, cid in ((tl, alice), (tl, bob), (elsewhere, carol)):
        assert client.sync(cid).ok
    for client, cid in ((tl, alice), (tl, bob), (elsewhere, carol)):
        assert_matches(client, cid)
    ids = [{row[0] for row in stored_transactions(store, cid)} for cid in (alice, bob, carol)]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    with store.session() as s:
        owners = dict(s.execute(select(Account.connection_id, Account.user_ref).distinct()).all())
    assert owners == {alice: "alice", bob: "bob", carol: "carol"}
    elsewhere.api.close()


def test_consent_expiry_then_reconsent_through_the_bank(tl: TrueLayerSync, tenant: Tenant) -> None:
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    tenant.advance(91)  # consent lasts 90 days
    failed = tl.sync(cid)
    assert failed.error_code in ("access_denied", "invalid_grant"), failed.error_code
    with tl.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == ConnectionStatus.LOGIN_REQUIRED
    action = tl.reconsent(cid)
    assert action.url is not None, action
    with requests.Session() as browser:
        back = authorize(browser, action.url, REDIRECT_URI)
    assert tl.complete(back) == cid
    resumed = tl.sync(cid)
    assert resumed.ok, resumed.error_code
    assert resumed.added > 0  # the 91 days the consent was over
    assert_matches(tl, cid)


def _consent_ends(tl: TrueLayerSync, cid: int) -> tuple[Any, Any]:
    """The stored end of consent, and the one the Data API's /me states now."""
    me = tl.api.results(tl.fresh_tokens(cid).access_token, "/me")[0]
    with tl.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        return conn.consent_expires_at, instant(me["consent_expires_at"])


@pytest.mark.parametrize("password", ["doe", "eternal"])
def test_renewed_consent_stores_its_new_end(
    tl: TrueLayerSync, tenant: Tenant, password: str
) -> None:
    """After a re-consent (through the bank, or extended at once) the connection kept the old
    end of consent: past already, so no reminder came before the new one ended either."""
    cid = connect(tl, "alice", "john", password)
    assert tl.sync(cid).ok
    first, _ = _consent_ends(tl, cid)
    tenant.advance(91 if password == "doe" else 30)
    action = tl.reconsent(cid)
    if action.url is not None:
        with requests.Session() as browser:
            assert tl.complete(authorize(browser, action.url, REDIRECT_URI)) == cid
    stored, stated = _consent_ends(tl, cid)
    assert stated is not None and stated > first
    assert stored == stated


def test_an_eternal_user_is_extended_without_the_bank(tl: TrueLayerSync, tenant: Tenant) -> None:
    cid = connect(tl, "alice", "john", "eternal")
    assert tl.sync(cid).ok
    assert tl.reconsent(cid).action == "no_action_needed"
    assert tl.sync(cid).ok


def test_disconnect_ends_the_connection_at_truelayer_and_keeps_history(tl: TrueLayerSync) -> None:
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    token = tl.tokens(cid).access_token
    kept = stored_transactions(tl.store, cid)
    tl.disconnect(cid)
    refused = requests.get(
        tl.api.config.api_url + "/data/v1/accounts",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert refused.status_code == 401, refused.text
    assert stored_transactions(tl.store, cid) == kept
    with tl.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == ConnectionStatus.DISCONNECTED
    tl.disconnect(cid)  # a second call is a no-op


def test_a_forged_or_replayed_redirect_is_refused(tl: TrueLayerSync) -> None:
    link = tl.auth_link("alice")
    with pytest.raises(SyncError, match="UNKNOWN_STATE"):
        tl.complete(REDIRECT_URI + "?code=x&state=forged")
    with requests.Session() as browser:
        back = authorize(browser, link, REDIRECT_URI)
    cid = tl.complete(back)
    with pytest.raises(SyncError, match="UNKNOWN_STATE"):
        tl.complete(back)  # a redirect is used once
    assert cid > 0


def test_a_sign_in_begun_before_a_key_rotation_completes_with_the_new_key_alone(
    tenant: Tenant, store: Store
) -> None:
    """`rotate-keys` re-encrypted the connections' tokens but not the PKCE verifiers of
    sign-ins still open, so once the old key was retired such a sign-in could not complete."""
    old_key, new_key = TokenCipher.generate_key(), TokenCipher.generate_key()
    before = truelayer_sync(tenant, store, TokenCipher([old_key]))
    renewing = connect(before, "alice")
    assert before.sync(renewing).ok
    tenant.advance(91)  # consent over: renewing it goes through the bank's dialog
    assert not before.sync(renewing).ok
    reconsent = before.reconsent(renewing).url
    assert reconsent is not None
    with requests.Session() as browser:
        back_new = authorize(browser, before.auth_link("bob"), REDIRECT_URI)
        back_renewed = authorize(browser, reconsent, REDIRECT_URI)
    before.api.close()
    rotated = CliRunner(env={"BANK_CLIENT_DB": store.url}).invoke(
        main, ["--keys", f"{new_key},{old_key}", "rotate-keys"]
    )
    assert rotated.exit_code == 0, rotated.output
    assert rotated.output == "re-encrypted 1 token and 2 sign-ins in progress\n"
    after = truelayer_sync(tenant, store, TokenCipher([new_key]))  # the old key is retired
    try:
        new = after.complete(back_new)
        assert after.complete(back_renewed) == renewing
        for cid in (new, renewing):
            result = after.sync(cid)
            assert result.ok, result.error_code
            assert_matches(after, cid)
    finally:
        after.api.close()


def _live_rows(store: Store, user: str) -> int:
    """The user's live transactions, whichever connection holds them."""
    with store.session() as s:
        return len(
            s.scalars(
                select(Transaction.id)
                .join(Account)
                .where(Account.user_ref == user, Transaction.removed_at.is_(None))
            ).all()
        )


def _masks(store: Store, cid: int) -> list[str | None]:
    """The last digits of a connection's accounts and cards."""
    with store.session() as s:
        return sorted(s.scalars(select(Account.mask).where(Account.connection_id == cid)).all())


def _accounts(store: Store, user: str) -> dict[int, int | None]:
    """The user's accounts: local id → the connection holding it."""
    with store.session() as s:
        rows = s.execute(select(Account.id, Account.connection_id).where(Account.user_ref == user))
        return dict(rows.all())


def test_connecting_the_same_bank_again_after_a_disconnect_keeps_one_copy_of_everything(
    tl: TrueLayerSync, store: Store, wide_console: None
) -> None:
    """The sandbox gives a new connection new account ids (and, unlike TrueLayer, new
    transaction ids): the new connection adopts the old accounts, matched on their numbers,
    and their history with the user's notes, instead of showing everything twice; `status`
    says where the old connection went. Bob signing in with the same test login gets his own
    copy, and takes nothing of alice's."""
    first = connect(tl, "alice")
    assert tl.sync(first).ok
    accounts, count = _accounts(tl.store, "alice"), _live_rows(tl.store, "alice")
    with tl.store.session() as s:
        noted = s.scalars(select(Transaction).order_by(Transaction.id)).first()
        assert noted is not None
        noted.notes, noted_id = "shared with bob", noted.id
    tl.disconnect(first)
    again = connect(tl, "alice")
    result = tl.sync(again)
    assert result.ok and result.added == 0, result
    assert _accounts(tl.store, "alice") == dict.fromkeys(accounts, again)
    assert _live_rows(tl.store, "alice") == count
    assert_matches(tl, again)
    with tl.store.session() as s:
        kept = s.get(Transaction, noted_id)
        assert kept is not None and kept.notes == "shared with bob"
    status = CliRunner(env={"BANK_CLIENT_DB": store.url}).invoke(main, ["status"])
    assert f"linked again as connection {again}" in status.output, status.output
    assert "connect again in the app" not in status.output
    bob = connect(tl, "bob")
    assert tl.sync(bob).added == count
    assert _live_rows(tl.store, "alice") == _live_rows(tl.store, "bob") == count
    assert set(_accounts(tl.store, "alice")) == set(accounts)
    assert not set(_accounts(tl.store, "bob")) & set(accounts)


def test_signing_in_at_the_bank_again_for_a_connection_keeps_one_copy(tl: TrueLayerSync) -> None:
    """A new sign-in for the connection (its auth link) reads the accounts under new ids:
    the connection keeps its accounts and rows, none doubled."""
    cid = connect(tl, "alice")
    assert tl.sync(cid).ok
    accounts, count = _accounts(tl.store, "alice"), _live_rows(tl.store, "alice")
    with requests.Session() as browser:
        back = authorize(browser, tl.auth_link("alice", connection_id=cid), REDIRECT_URI)
    assert tl.complete(back) == cid
    result = tl.sync(cid)
    assert result.ok and result.added == 0, result
    assert _accounts(tl.store, "alice") == accounts
    assert _live_rows(tl.store, "alice") == count
    assert_matches(tl, cid)


def test_a_relink_after_days_away_adds_what_is_new_and_leaves_nothing_pending_twice(
    tl: TrueLayerSync, tenant: Tenant
) -> None:
    """Days pass between the disconnect and the new connection: what the bank booked
    meanwhile is added, the pending transactions that posted meanwhile are not left pending
    beside their posted copy, and rows older than the bank now serves stay as history."""
    first = connect(tl, "alice")
    assert tl.sync(first).ok
    tl.disconnect(first)
    tenant.advance(6)
    again = connect(tl, "alice")
    result = tl.sync(again)
    assert result.ok and result.added > 0 and result.removed > 0, result
    mine, truth = stored_transactions(tl.store, again), ground_truth(tl, again)
    assert len(mine) == len({m[0] for m in mine}), "duplicate provider ids"
    assert set(truth) <= set(mine)
    kept = set(mine) - set(truth)
    oldest = min(date for _, _, date, _ in truth)
    assert all(not pending and date < oldest for _, _, date, pending in kept), sorted(kept)


def test_the_same_user_and_bank_through_another_tenant_adopts_nothing(
    tl: TrueLayerSync, live: Any, store: Store, bank: BankSync
) -> None:
    """Another tenant (another app's client id) with the same seed has the very same account
    numbers: alice's disconnected connection there stays apart from her new one here."""
    reply = requests.post(live.url + "/control/tenants", json={"seed": 7}, timeout=30)
    keys = reply.json()
    elsewhere = truelayer_sync(
        Tenant(live.url, keys["client_id"], keys["secret"]), store, bank.cipher
    )
    try:
        there = connect(elsewhere, "alice")
        assert elsewhere.sync(there).ok
        elsewhere.disconnect(there)
    finally:
        elsewhere.api.close()
    theirs = _accounts(store, "alice")
    here = connect(tl, "alice")
    result = tl.sync(here)
    assert result.ok and result.added == len(stored_transactions(store, there)), result
    assert _masks(store, here) == _masks(store, there)  # the same numbers: another tenant
    assert {a: c for a, c in _accounts(store, "alice").items() if a in theirs} == theirs
