"""TrueLayer provider without HTTP: mapping of TrueLayer's published examples, local ids,
the window cursor, pending-to-settled matching, and whole syncs through the engine against
`FakeTrueLayer`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.providers.truelayer import TrueLayerProvider
from client.providers.truelayer_api import Tokens, TrueLayerError
from client.providers.truelayer_mapping import (
    local_id,
    map_account,
    map_card_account,
    map_direct_debit,
    map_standing_order,
    map_transaction,
    transaction_keys,
)
from client.providers.truelayer_window import Seen, WindowState, reconcile, settle
from client.store.db import Store
from client.store.details import Card, DirectDebit, StandingOrder
from client.store.models import Account, Connection, ConnectionStatus, Transaction
from client.sync.engine import SyncEngine
from tests.client.fake_truelayer import FakeTrueLayer, example, settled

TODAY = dt.date(2018, 3, 20)
NOW = 1_521_500_000.0  # 2018-03-19T22:53Z, inside the examples' dates


# -- mapping: TrueLayer's own OpenAPI examples ---------------------------------------------


def test_account_example_maps_with_balance_and_sort_code_digits() -> None:
    raw = example("GetAccounts200Response")[0]
    balance = example("GetAccountBalance200Response")[0]
    acc = map_account("ns1", raw, balance)
    assert acc.provider_id == "tl-ns1-f1234560abf9f57287637624def390871"
    assert (acc.name, acc.mask, acc.type, acc.subtype) == (
        "Club Lloyds",
        "5678",
        "depository",
        "checking",
    )
    assert (acc.current, acc.available, acc.limit) == (
        Decimal("1161.2"),
        Decimal("2150.8"),
        Decimal("1000"),
    )
    assert map_account("ns1", example("GetAccounts200Response")[1], balance).subtype == "savings"


def test_the_bank_key_names_the_account_not_the_connection() -> None:
    """What a re-link matches on: the IBAN, else sort code and number; a card's network,
    digits and holder; never TrueLayer's account id, new on each connection."""
    raw, balance = example("GetAccounts200Response")[0], {}
    key = map_account("ns1", raw, balance).bank_key
    elsewhere = map_account("ns2", {**raw, "account_id": "another-id"}, balance)
    assert key is not None and elsewhere.bank_key == key and elsewhere.provider_id != key
    assert "GB35" not in key and "12345678" not in key  # the store keeps no account number
    assert map_account("ns1", raw, balance, app="another-app").bank_key != key  # another tenant
    number = {"number": "12345678", "sort_code": "12-34-56"}
    uk_only = map_account("ns1", {**raw, "account_number": number}, balance).bank_key
    spaced = {"number": "12345678", "sort_code": "12 34 56"}
    assert uk_only not in (None, key)
    assert map_account("ns1", {**raw, "account_number": spaced}, balance).bank_key == uk_only
    other = map_account("ns1", example("GetAccounts200Response")[1], balance).bank_key
    assert other not in (None, key)
    assert map_account("ns1", {**raw, "account_number": {}}, balance).bank_key is None
    card = example("GetCards200Response")[0]
    card_key = map_card_account("ns1", card, balance).bank_key
    assert card_key is not None
    assert map_card_account("ns2", {**card, "account_id": "x"}, balance).bank_key == card_key
    renamed = {**card, "name_on_card": "B. Other"}
    assert map_card_account("ns1", renamed, balance).bank_key != card_key
    assert map_card_account("ns1", {**card, "partial_card_number": None}, {}).bank_key is None


def test_card_example_is_a_credit_account_owing_current() -> None:
    card = map_card_account(
        "ns1", example("GetCards200Response")[0], example("GetCardBalance200Response")[0]
    )
    assert (card.type, card.mask, card.current, card.limit) == (
        "credit",
        "0044",
        Decimal("20"),
        Decimal("3300"),
    )


def test_account_transaction_example_keeps_its_sign_and_stable_id() -> None:
    raws = example("GetAccountTransactions200Response")
    keys = transaction_keys(raws)
    assert keys == ["txn-ajdifh38fheu5hgue", "txn-2jdh8whf8w9rh3udh"]
    txn = map_transaction("ns1", "acc", raws[0], keys[0], pending=False)
    assert txn.amount == Decimal("-2.99") and txn.currency == "GBP"
    assert txn.date == dt.date(2018, 3, 6)
    assert txn.category == "ENTERTAINMENT_VIDEO_GAMES"
    assert txn.payee == "Google Play" and txn.description == "GOOGLE PLAY STORE"
    assert txn.details.transaction_code == "DEB"
    assert txn.details.payment_meta["transaction_id"] == "03c333979b729315545816aaa365c33f"
    assert txn.source == "truelayer"


def test_card_purchases_are_positive_debits_and_become_outflows() -> None:
    raws = example("GetCardTransactions200Response")
    txn = map_transaction("ns1", "card", raws[0], transaction_keys(raws)[0], pending=False)
    assert raws[0]["amount"] == 24.25 and txn.amount == Decimal("-24.25")
    assert txn.category == "FOOD_AND_DRINK_GROCERIES"
    assert txn.details.payment_channel == "online"


@pytest.mark.parametrize(
    ("classification", "category", "primary"),
    [
        (["Food & Dining", "Groceries"], "FOOD_AND_DRINK_GROCERIES", "FOOD_AND_DRINK"),
        (["Food & Dining", "Fast food"], "FOOD_AND_DRINK_FAST_FOOD", "FOOD_AND_DRINK"),
        (
            ["Food & Dining", "Coffee shops"],
            "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK",
            "FOOD_AND_DRINK",
        ),
        (["Auto & Transport", "Gas"], "TRANSPORTATION_GAS", "TRANSPORTATION"),
        (
            ["Bills and Utilities", "Credit card payment"],
            "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
            "LOAN_PAYMENTS",
        ),
        (["Health & Fitness"], "MEDICAL_OTHER_MEDICAL", "MEDICAL"),
        (["Shopping", "Groceries"], "FOOD_AND_DRINK_GROCERIES", "FOOD_AND_DRINK"),
        (
            ["Something new", "Else"],
            "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
            "GENERAL_MERCHANDISE",
        ),  # an unknown classification: transaction_category decides
    ],
)
def test_a_purchase_takes_the_category_its_classification_names(
    classification: list[str], category: str, primary: str
) -> None:
    """Every classification but four known pairs fell to PURCHASE's general merchandise:
    groceries, coffee, fuel and fares alike (168 of the mock bank's 200 rows)."""
    raw = {**example("GetCardTransactions200Response")[0]}
    raw.update(transaction_category="PURCHASE", transaction_classification=classification)
    txn = map_transaction("ns1", "card", raw, "k1", pending=False)
    assert txn.category == category
    assert txn.details.category.primary == primary


def test_same_provider_ids_on_two_accounts_or_two_connections_stay_apart() -> None:
    # The OpenAPI examples reuse one normalised id on an account and on a card.
    assert local_id("ns1", "acc", "txn-1") != local_id("ns1", "card", "txn-1")
    assert local_id("ns1", "acc", "txn-1") != local_id("ns2", "acc", "txn-1")
    long_id = local_id("ns1", "acc", "x" * 300)
    assert len(long_id) <= 100 and long_id == local_id("ns1", "acc", "x" * 300)


def test_transactions_without_ids_are_keyed_by_content_and_numbered() -> None:
    twin = {"timestamp": "2024-01-02", "amount": -3, "currency": "GBP", "description": "BUS"}
    keys = transaction_keys([twin, dict(twin), {**twin, "amount": -4}])
    assert len(set(keys)) == 3
    assert keys == transaction_keys([twin, dict(twin), {**twin, "amount": -4}])


def test_standing_order_open_end_and_direct_debit_mandate() -> None:
    order = map_standing_order(example("GetAccountStandingOrders200Response")[1])
    assert order.final_date is None and order.final_amount is None
    assert (order.next_date, order.next_amount, order.payee) == (
        dt.date(2019, 7, 30),
        Decimal("500"),
        "JOHN DOE",
    )
    debit = map_direct_debit(example("GetAccountDirectDebits200Response")[1])
    assert (debit.name, debit.mandate_id, debit.previous_amount) == ("PAYPAL", "9", Decimal("4.99"))
    assert debit.previous_at == dt.datetime(2019, 7, 17, 23, 0, tzinfo=dt.UTC)


# -- the window cursor ---------------------------------------------------------------------


def _local(tid: str, day: str, amount: str, text: str = "SHOP", *, pending: bool = False) -> Any:
    raw = settled(tid, day, float(amount), text)
    return map_transaction("n", "acc", raw, tid, pending=pending)


def test_window_reads_history_first_then_an_overlap_before_the_last_end() -> None:
    state = WindowState()
    assert state.window(TODAY, 90, 14) == (TODAY - dt.timedelta(days=90), TODAY)
    state.synced_to = dt.date(2018, 3, 10)
    assert state.window(TODAY, 90, 14) == (dt.date(2018, 2, 24), TODAY)
    restored = WindowState.loads(state.dumps())
    assert restored.synced_to == state.synced_to and restored.run is None


def test_a_pending_transaction_that_settles_is_replaced_not_doubled() -> None:
    state = WindowState(pending={"A": {"p1": Seen(Decimal("-5"), dt.date(2018, 3, 1), "COFFEE")}})
    booked = [_local("b1", "2018-03-02", "-5", "Coffee"), _local("b2", "2018-03-02", "-5", "TEA")]
    out = reconcile(state, "A", (dt.date(2018, 3, 1), TODAY), booked, [], dt.date(2018, 3, 6))
    by_id = {t.provider_id: t for t in out.upserts}
    assert by_id[booked[0].provider_id].pending_provider_id == "p1"  # same words wins
    assert by_id[booked[1].provider_id].pending_provider_id is None
    assert out.removed == [] and state.pending["A"] == {}


def test_a_pending_transaction_that_vanishes_is_removed() -> None:
    state = WindowState(pending={"A": {"p1": Seen(Decimal("-5"), dt.date(2018, 3, 1), "X")}})
    out = reconcile(state, "A", (dt.date(2018, 3, 1), TODAY), [], [], dt.date(2018, 3, 6))
    assert out.removed == ["p1"]


def test_a_pending_transaction_still_pending_is_kept() -> None:
    still = _local("p1", "2018-03-01", "-5", pending=True)
    state = WindowState(pending={"A": {still.provider_id: Seen(Decimal("-5"), still.date, "SHOP")}})
    out = reconcile(state, "A", (dt.date(2018, 3, 1), TODAY), [], [still], dt.date(2018, 3, 6))
    assert out.removed == [] and [t.provider_id for t in out.upserts] == [still.provider_id]


def test_settling_needs_the_same_amount_and_a_near_date() -> None:
    seen = {"p1": Seen(Decimal("-5"), dt.date(2018, 3, 1), "SHOP")}
    far = _local("b1", "2018-03-30", "-5")
    other = _local("b2", "2018-03-02", "-6")
    out, unmatched = settle([far, other], seen)
    assert unmatched == ["p1"] and all(t.pending_provider_id is None for t in out)


def test_a_settled_transaction_gone_from_the_overlap_is_removed_older_ones_stay() -> None:
    state = WindowState(recent={"A": {"old": dt.date(2018, 3, 1), "gone": dt.date(2018, 3, 12)}})
    kept = _local("k", "2018-03-15", "-1")
    out = reconcile(state, "A", (dt.date(2018, 3, 10), TODAY), [kept], [], dt.date(2018, 3, 6))
    assert out.removed == ["gone"]
    assert state.recent["A"] == {kept.provider_id: kept.date}  # "old" fell out of the overlap


# -- whole syncs through the engine --------------------------------------------------------


@pytest.fixture
def fake() -> FakeTrueLayer:
    bank = FakeTrueLayer()
    acc = bank.accounts[0]["account_id"]
    bank.booked[acc] = [
        settled(f"t{i}", f"2018-0{1 + i % 3}-1{i % 9}", -1.0 - i) for i in range(12)
    ]
    return bank


def _engine(
    tmp_path: Path, fake: FakeTrueLayer, today: Callable[[], dt.date] = lambda: TODAY
) -> tuple[SyncEngine, Store, int, TokenCipher]:
    """The engine over the fake, 20-day pages, and alice's connection."""
    store = Store(f"sqlite:///{tmp_path / 'tl.db'}")
    cipher = TokenCipher([TokenCipher.generate_key()])
    provider = TrueLayerProvider(
        fake,  # type: ignore[arg-type]
        history_days=120,
        chunk_days=20,
        today=today,
        clock=lambda: NOW,
    )
    sync = SyncEngine(provider, store, cipher, notifier=CollectingNotifier())
    cid = _connect(store, cipher, "alice", Tokens("at-1", "rt-1", NOW + 3600, "aaaa"))
    return sync, store, cid, cipher


@pytest.fixture
def engine(tmp_path: Path, fake: FakeTrueLayer) -> tuple[SyncEngine, Store, int, TokenCipher]:
    return _engine(tmp_path, fake)


def _connect(store: Store, cipher: TokenCipher, user: str, tokens: Tokens) -> int:
    with store.session() as session:
        conn = Connection(
            provider="truelayer",
            user_ref=user,
            item_id=f"tl:{tokens.ns}",
            access_token_enc=cipher.encrypt(tokens.dumps()),
        )
        session.add(conn)
        session.flush()
        return conn.id


def _rows(store: Store, cid: int) -> dict[str, tuple[Decimal, bool]]:
    with store.session() as session:
        rows = session.execute(
            select(Transaction.provider_id, Transaction.amount, Transaction.pending)
            .join(Account)
            .where(Account.connection_id == cid, Transaction.removed_at.is_(None))
        ).all()
    return {p: (a, pend) for p, a, pend in rows}


def test_first_sync_stores_history_and_a_repeat_imports_nothing(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, cid, _ = engine
    first = sync.sync(cid)
    assert first.ok and first.added == 12
    assert first.pages > 4  # the plan page, then 20-day chunks of each account and card
    again = sync.sync(cid)
    assert again.ok and again.added == 0 and again.removed == 0
    assert len(_rows(store, cid)) == 12
    with store.session() as session:
        assert session.query(StandingOrder).count() == 4  # two per current/savings account
        assert session.query(DirectDebit).count() == 6
        assert {c.network for c in session.query(Card)} == {"VISA", "MASTERCARD"}
        assert session.query(Account).count() == 4


def test_new_settled_and_pending_that_settles_later(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, cid, _ = engine
    acc = fake.accounts[0]["account_id"]
    fake.pending[acc] = [settled("p-coffee", "2018-03-18", -3.5, "COFFEE")]
    assert sync.sync(cid).added == 13
    # The bank settles the coffee under a new id, and a new purchase arrives.
    fake.pending[acc] = []
    fake.booked[acc] += [
        settled("b-coffee", "2018-03-19", -3.5, "COFFEE"),
        settled("new", "2018-03-19", -9.0),
    ]
    result = sync.sync(cid)
    assert result.ok and result.added == 2 and result.removed == 1
    rows = _rows(store, cid)
    assert len(rows) == 14 and not any(pending for _, pending in rows.values())
    with store.session() as session:
        coffee = session.scalars(
            select(Transaction).where(Transaction.description == "COFFEE")
        ).all()
    settled_row, pending_row = sorted(coffee, key=lambda t: t.pending)
    assert settled_row.removed_at is None and pending_row.removed_at is not None
    assert settled_row.pending_provider_id == pending_row.provider_id


def test_an_expired_access_token_is_refreshed_and_stored_with_the_data(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, cid, cipher = engine
    fake.valid_tokens = {"at-9"}  # the stored token no longer works (revoked early)
    result = sync.sync(cid)
    assert result.ok, result.error_code
    with store.session() as session:
        conn = session.get(Connection, cid)
        assert conn is not None and conn.access_token_enc is not None
        stored = Tokens.loads(cipher.decrypt(conn.access_token_enc))
    assert (stored.access_token, stored.refresh_token, stored.ns) == ("at-2", "rt-2", "aaaa")


def test_a_token_refused_after_every_refresh_ends_in_login_required_not_a_loop(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, _, cid, _ = engine
    fake.failure = TrueLayerError(401, "invalid_token", "The token expired")
    result = sync.sync(cid)
    assert result.error_code == "invalid_token" and len(fake.refreshes) == 2


def test_consent_expiry_moves_the_connection_to_login_required(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, cid, _ = engine
    fake.failure = TrueLayerError(403, "access_denied", "consent expired")
    result = sync.sync(cid)
    assert result.error_code == "access_denied" and not result.retryable
    with store.session() as session:
        conn = session.get(Connection, cid)
        assert conn is not None and conn.status == ConnectionStatus.LOGIN_REQUIRED
    notifier = sync.notifier
    assert isinstance(notifier, CollectingNotifier)
    assert [n.kind for n in notifier.notes] == ["login_required"]
    assert "consent" in notifier.notes[0].message


def test_reads_outside_the_granted_scopes_are_not_made(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, _, cipher = engine
    scopes = ("accounts", "balance", "transactions", "offline_access")
    cid = _connect(store, cipher, "bob", Tokens("at-1", "rt-1", NOW + 3600, "bbbb", scopes))
    assert sync.sync(cid).ok
    assert not [c for c in fake.calls if "cards" in c or "standing" in c or "direct" in c]
    with store.session() as session:
        assert session.query(StandingOrder).count() == 0


def test_rate_limits_are_retryable(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, _, cid, _ = engine
    fake.failure = TrueLayerError(429, "provider_request_limit_exceeded", "4 a day")
    result = sync.sync(cid)
    assert result.error_code == "provider_request_limit_exceeded" and result.retryable


def test_two_users_of_the_same_bank_login_keep_their_own_rows(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, alice, cipher = engine
    bob = _connect(store, cipher, "bob", Tokens("at-1", "rt-1", NOW + 3600, "bbbb"))
    assert sync.sync(alice).ok and sync.sync(bob).ok
    mine, theirs = _rows(store, alice), _rows(store, bob)
    assert len(mine) == len(theirs) == 12 and not mine.keys() & theirs.keys()
    with store.session() as session:
        owners = {
            a.user_ref for a in session.scalars(select(Account).where(Account.connection_id == bob))
        }
    assert owners == {"bob"}


def _relinked_bank(fake: FakeTrueLayer) -> None:
    """The same login signed in again: every account and card under a new id (TrueLayer's
    are new on each connection), their numbers, the bank's transaction ids and history kept."""
    for raw in [*fake.accounts, *fake.cards]:
        old, raw["account_id"] = raw["account_id"], "relinked-" + raw["account_id"]
        fake.booked[raw["account_id"]] = fake.booked.pop(old)
        fake.pending[raw["account_id"]] = fake.pending.pop(old)


def test_a_relink_adopts_the_accounts_and_matches_transactions_by_the_banks_ids(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    """Disconnect, then connect the same login again: the accounts (matched on their IBAN,
    sort code and number, a card on its network, digits and holder) and their history carry
    over, the user's notes too; a transaction the bank re-worded since is matched on the
    bank's own id, not stored again. Another user of the same login adopts nothing."""
    sync, store, alice, cipher = engine
    assert sync.sync(alice).ok
    with store.session() as session:
        before = {a.id: a.name for a in session.scalars(select(Account))}
        noted = session.scalars(select(Transaction).order_by(Transaction.id)).first()
        assert noted is not None
        noted.notes, noted_id, noted_bank_id = "split with bob", noted.id, noted.payment_meta
        conn = session.get(Connection, alice)
        assert conn is not None
        conn.status, conn.access_token_enc = ConnectionStatus.DISCONNECTED, None
    _relinked_bank(fake)
    reworded = next(t for t in fake.booked[fake.accounts[0]["account_id"]] if t["amount"] == -1.0)
    reworded["description"] = "SHOP LTD"
    again = _connect(store, cipher, "alice", Tokens("at-1", "rt-1", NOW + 3600, "cccc"))
    result = sync.sync(again)
    assert result.ok and result.added == 0 and result.modified == 12, result
    with store.session() as session:
        accounts = session.scalars(select(Account)).all()
        assert {a.id: a.name for a in accounts} == before
        assert {a.connection_id for a in accounts} == {again}
        kept = session.get(Transaction, noted_id)
        assert kept is not None and kept.notes == "split with bob"
        assert (
            kept.payment_meta["normalised_provider_transaction_id"]
            == (noted_bank_id["normalised_provider_transaction_id"])
        )
        assert session.scalars(
            select(Transaction.description).where(Transaction.amount == -1)
        ).all() == ["SHOP LTD"]
    assert len(_rows(store, again)) == 12 and not _rows(store, alice)
    bob = _connect(store, cipher, "bob", Tokens("at-1", "rt-1", NOW + 3600, "bbbb"))
    assert sync.sync(bob).added == 12
    assert len(_rows(store, again)) == len(_rows(store, bob)) == 12


def test_a_pending_transaction_that_posted_while_disconnected_is_not_left_pending(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    """The old connection's pending coffee settled (under a new id and date) before the
    re-link: the new connection stores the settled one, and the pending copy, which no sync
    of the old connection will ever remove, is removed rather than left pending beside it."""
    sync, store, alice, cipher = engine
    acc = fake.accounts[0]["account_id"]
    fake.pending[acc] = [settled("p-coffee", "2018-03-18", -3.5, "COFFEE")]
    assert sync.sync(alice).added == 13
    with store.session() as session:
        conn = session.get(Connection, alice)
        assert conn is not None
        conn.status, conn.access_token_enc = ConnectionStatus.DISCONNECTED, None
    fake.pending[acc] = []
    fake.booked[acc].append(settled("b-coffee", "2018-03-19", -3.5, "COFFEE"))
    _relinked_bank(fake)
    again = _connect(store, cipher, "alice", Tokens("at-1", "rt-1", NOW + 3600, "cccc"))
    result = sync.sync(again)
    assert result.ok and (result.added, result.removed) == (1, 1), result
    rows = _rows(store, again)
    assert len(rows) == 13 and not any(pending for _, pending in rows.values())


def test_connecting_a_linked_bank_twice_leaves_the_first_connection_its_accounts(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer
) -> None:
    sync, store, alice, cipher = engine
    assert sync.sync(alice).ok
    _relinked_bank(fake)
    twice = _connect(store, cipher, "alice", Tokens("at-1", "rt-1", NOW + 3600, "cccc"))
    assert sync.sync(twice).added == 12
    assert len(_rows(store, alice)) == len(_rows(store, twice)) == 12


class Killed(BaseException):
    """Stands for SIGKILL between two page commits."""


@pytest.mark.parametrize("after_pages", [1, 2, 5, 9])
def test_a_sync_stopped_between_pages_resumes_without_loss_or_doubles(
    engine: tuple[SyncEngine, Store, int, TokenCipher], fake: FakeTrueLayer, after_pages: int
) -> None:
    sync, store, cid, _ = engine

    def stop(pages: int, _counts: object) -> None:
        if pages == after_pages:
            raise Killed

    with pytest.raises(Killed):
        sync.sync(cid, on_page=stop)
    with store.session() as session:
        conn = session.get(Connection, cid)
        assert conn is not None and conn.in_chain  # the cursor stands inside the run
    resumed = sync.sync(cid)
    assert resumed.ok and len(_rows(store, cid)) == 12
    assert sync.sync(cid).added == 0


def test_a_run_resumed_after_the_banks_day_moved_on_reads_up_to_the_new_day(
    tmp_path: Path, fake: FakeTrueLayer
) -> None:
    days = [TODAY]
    sync, store, cid, _ = _engine(tmp_path, fake, lambda: days[0])

    def stop(pages: int, _counts: object) -> None:
        if pages == 3:
            raise Killed

    with pytest.raises(Killed):
        sync.sync(cid, on_page=stop)
    days[0] = TODAY + dt.timedelta(days=10)  # the run in the cursor still ends at TODAY
    acc = fake.accounts[0]["account_id"]
    fake.booked[acc].append(settled("later", "2018-03-28", -4.0))
    assert sync.sync(cid).ok
    assert len(_rows(store, cid)) == 13
