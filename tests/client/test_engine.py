"""The sync engine against an in-memory provider: no HTTP, no Plaid, the real store."""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib.util
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import event, func, select

from client.audit import AuditLog
from client.cli_render import advice, history_table
from client.crypto import TokenCipher
from client.notify import CollectingNotifier
from client.providers.errors import (
    AppMisconfigured,
    CursorReset,
    LoginRequired,
    ProviderUnavailable,
    SyncError,
)
from client.providers.model import LocalAccount
from client.store.db import Store
from client.store.models import Account, AuditEvent, Connection, SyncRun, Transaction
from client.sync import history
from client.sync.accounts import upsert_account
from client.sync.engine import SyncEngine, SyncResult
from client.sync.history import INTERRUPTED, STOPPED_MESSAGE
from tests.client.fake_provider import FakeBank, posted, txn


@pytest.fixture
def store(any_store: Store) -> Store:
    """This module runs on SQLite and on PostgreSQL."""
    return any_store


@pytest.fixture
def fake() -> FakeBank:
    """A bank with 23 transactions, two of them pending."""
    bank = FakeBank()
    bank.upsert(*(txn(f"t{n:02}", -n, day=1 + n % 28) for n in range(21)))
    bank.upsert(txn("p1", -7, pending=True), txn("p2", -9, pending=True))
    return bank


@pytest.fixture
def engine(fake: FakeBank, store: Store, notes: CollectingNotifier) -> Iterator[SyncEngine]:
    """The engine over the fake provider, with small pages."""
    yield SyncEngine(
        fake, store, TokenCipher([TokenCipher.generate_key()]), notifier=notes, page_size=4
    )


def _connect(engine: SyncEngine, credentials: str | None = "fake-secret") -> int:
    """A connection row as a provider's link flow would leave it."""
    with engine.store.session() as s:
        conn = Connection(
            provider="fake",
            user_ref="u1",
            access_token_enc=engine.cipher.encrypt(credentials) if credentials else None,
            settings={},
        )
        s.add(conn)
        s.flush()
        return conn.id


def _live(store: Store) -> dict[str, tuple[object, ...]]:
    with store.session() as s:
        rows = s.scalars(select(Transaction).where(Transaction.removed_at.is_(None)))
        return {t.provider_id: (t.amount, t.pending, t.date) for t in rows}


def _expected(fake: FakeBank) -> dict[str, tuple[object, ...]]:
    return {k: (v.amount, v.pending, v.date) for k, v in fake.truth().items()}


def test_engine_pages_fake_provider_to_its_truth(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    result = engine.sync(cid)
    assert result.ok and result.added == 23 and result.pages == 6
    assert _live(engine.store) == _expected(fake)
    again = engine.sync(cid)
    assert again.ok and (again.added, again.modified, again.removed, again.pages) == (0, 0, 0, 1)
    with engine.store.session() as s:
        calls = [e.name for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == "call"))]
    assert calls == ["/changes"] * 7  # the observer the engine attached saw every call


def test_a_sync_with_nothing_new_is_seven_statements_in_two_transactions(
    engine: SyncEngine,
) -> None:
    """Each statement is a round trip to PostgreSQL. The run opens with the connection read
    (with whether a run was left open: none, so no rows to mark interrupted) and its history
    row inserted; the one page writes its call's audit row, reads the connection with its
    accounts, and updates the accounts' balance time, the connection (the chain opens and
    closes in that page: one write) and the run. It took ten before."""
    cid = _connect(engine)
    assert engine.sync(cid).ok
    statements: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split(None, 1)[0])

    def committed(_conn: object) -> None:
        statements.append("COMMIT")

    database = engine.store.engine
    event.listen(database, "before_cursor_execute", executed)
    event.listen(database, "commit", committed)
    try:
        result = engine.sync(cid)
    finally:
        event.remove(database, "before_cursor_execute", executed)
        event.remove(database, "commit", committed)
    assert result.ok and result.pages == 1
    opening, page = ["SELECT", "INSERT", "COMMIT"], ["INSERT", "SELECT", *["UPDATE"] * 3, "COMMIT"]
    assert statements == opening + page
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        run = s.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert conn is not None and not conn.in_chain and conn.chain_cursor is None
        assert run is not None and run.finished_at is not None and run.pages == 1


def test_a_chain_restarted_before_its_first_page_goes_back_to_where_the_run_began(
    engine: SyncEngine, fake: FakeBank
) -> None:
    """A chain opens with its first page stored; a restart before that (the provider says the
    log changed at the run's first call) begins it at the stored cursor, not at the start of
    the history (which paged all 24 rows again)."""
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.upsert(txn("new", -3))
    fake.failures.append(CursorReset("MUTATION", "the log changed during pagination"))
    result = engine.sync(cid)
    assert result.ok and (result.restarts, result.pages, result.added) == (1, 1, 1)
    assert _live(engine.store) == _expected(fake)


def test_a_run_whose_first_page_lands_after_another_run_restarts_where_it_began(
    engine: SyncEngine, fake: FakeBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two syncs of one connection at once (a webhook's and the scheduler's): the other runs
    its whole chain while this one's first page is on its way. This run's chain begins where
    this run began, not at the cursor the other left: a restart from there would not deliver
    this run's first page again, and the sweep would tombstone its rows, which still exist."""
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.upsert(*(txn(f"n{n:02}", n, day=3) for n in range(10)))
    fetch, calls = fake.fetch_changes, [0]

    def racing(credentials: str, cursor: str | None, count: int) -> Any:
        calls[0] += 1
        page = fetch(credentials, cursor, count)
        if calls[0] == 1:
            other = engine.sync(cid)  # the other run, from start to end
            assert other.ok and other.added == 10
            fake.upsert(txn("late", 1))  # this run's next page finds the log changed
        return page

    monkeypatch.setattr(fake, "fetch_changes", racing)
    result = engine.sync(cid)
    assert result.ok and result.restarts == 1
    assert _live(engine.store) == _expected(fake)


def test_posting_modifying_removing_leaves_tombstones(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.upsert(posted(txn("p1", -7, pending=True), "s1"), txn("t03", -300))
    fake.remove("p1", "t04")
    result = engine.sync(cid)
    assert (result.added, result.modified, result.removed) == (1, 1, 2)
    assert _live(engine.store) == _expected(fake)
    with engine.store.session() as s:
        gone = {t.provider_id: t.removed_at for t in s.scalars(select(Transaction))}
    assert gone["p1"] and gone["t04"] and gone["s1"] is None
    fake.upsert(txn("t04", -4))  # back again at the bank: the tombstone comes back to life
    assert engine.sync(cid).added == 1 and "t04" in _live(engine.store)


def test_the_new_transactions_notice_counts_in_words_that_agree(
    engine: SyncEngine, fake: FakeBank, notes: CollectingNotifier
) -> None:
    """One new transaction was told as "1 new transactions" (the log, email and webhook)."""
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.upsert(txn("one-more", -2))
    assert engine.sync(cid).added == 1
    assert [n.message for n in notes.notes] == ["23 new transactions", "1 new transaction"]


def test_mutation_during_paging_restarts_and_converges(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.upsert(*(txn(f"n{n:02}", n, day=3) for n in range(10)))

    def change_the_log(page: int, _counts: object) -> None:
        if page == 1:
            fake.upsert(txn("late", 1))  # created and removed while the chain was paged:
            fake.remove("late", "n09")  # the restarted chain never mentions "late"

    result = engine.sync(cid, on_page=change_the_log)
    assert result.ok and result.restarts == 1
    assert _live(engine.store) == _expected(fake) and "late" not in _live(engine.store)


@pytest.mark.parametrize("hooked", [False, True], ids=["no hook", "page hook"])
def test_a_run_that_reaches_the_end_marks_the_connection_healthy(
    engine: SyncEngine, hooked: bool
) -> None:
    """The app and the CLI pass a page hook; their runs must record success as well (the
    scheduler reads ``last_success_at``: without it a daily connection is always due)."""
    cid = _connect(engine)
    pages: list[int] = []
    result = engine.sync(
        cid, on_page=(lambda page, _counts: pages.append(page)) if hooked else None
    )
    assert result.ok and pages == ([1, 2, 3, 4, 5, 6] if hooked else [])
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        run = s.scalars(select(SyncRun)).one()
        assert conn is not None and conn.status == "active"
        assert conn.last_sync_at is not None and conn.last_success_at is not None
        assert run.finished_at is not None and (run.added, run.pages) == (23, 6)


def test_login_required_is_recorded_not_raised(
    engine: SyncEngine, fake: FakeBank, notes: CollectingNotifier
) -> None:
    cid = _connect(engine)
    fake.failures.append(LoginRequired("BANK_SAYS_LOGIN", "sign in again", display_message="Hi"))
    result = engine.sync(cid)
    assert (result.error_code, result.retryable) == ("BANK_SAYS_LOGIN", False)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        run = s.scalars(select(SyncRun)).one()
        assert conn is not None and (conn.status, conn.last_error_message) == (
            "login_required",
            "Hi",
        )
        assert run.error_code == "BANK_SAYS_LOGIN" and run.finished_at
    assert [n.kind for n in notes.notes] == ["login_required"]


def test_a_passing_failure_leaves_a_login_required_connection_asking_for_the_login(
    engine: SyncEngine, fake: FakeBank, notes: CollectingNotifier
) -> None:
    """A sync that met the provider down (a network error, a 5xx) after the bank had asked
    for a new login turned `login_required` into `error`: `status` then advised waiting for
    the next scheduled sync instead of `bank-client reconnect`, though nothing said the
    login was repaired. The app is told of the failure as what it is (`sync_failed`), not
    asked for the login a second time with the outage's advice."""
    cid = _connect(engine)
    fake.failures.append(LoginRequired("BANK_SAYS_LOGIN", "sign in again", display_message="Hi"))
    fake.failures.append(ProviderUnavailable("BANK_DOWN", "try later"))
    engine.sync(cid)
    result = engine.sync(cid)
    assert (result.error_code, result.retryable) == ("BANK_DOWN", True)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        assert (conn.status, conn.last_error_code, conn.last_error_message) == (
            "login_required",
            "BANK_SAYS_LOGIN",
            "Hi",
        )
        assert "sign in again" in advice(conn)
        runs = s.scalars(select(SyncRun.error_code).order_by(SyncRun.id)).all()
        assert runs == ["BANK_SAYS_LOGIN", "BANK_DOWN"]  # the run keeps what happened
    assert [(n.kind, n.error_code) for n in notes.notes] == [
        ("login_required", "BANK_SAYS_LOGIN"),
        ("sync_failed", "BANK_DOWN"),
    ]


@pytest.mark.parametrize(
    ("failure", "status", "retryable"),
    [
        (ProviderUnavailable("BANK_DOWN", "try later"), "error", True),
        (SyncError("ODD", "something else"), "error", False),
    ],
)
def test_failures_set_status_and_retryable(
    engine: SyncEngine, fake: FakeBank, failure: SyncError, status: str, retryable: bool
) -> None:
    cid = _connect(engine)
    fake.failures.append(failure)
    result = engine.sync(cid)
    assert (result.error_code, result.retryable) == (failure.code, retryable)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == status
    assert engine.sync(cid).ok  # the next run recovers and marks the connection active
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and (conn.status, conn.last_error_code) == ("active", None)


def test_revoked_credentials_mark_connection_disconnected(engine: SyncEngine) -> None:
    cid = _connect(engine, credentials="not-what-the-bank-issued")
    assert engine.sync(cid).error_code == "UNKNOWN_CREDENTIALS"
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "disconnected"


def test_refresh_asks_the_provider_then_syncs(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    result = engine.refresh(cid)
    assert result.ok and fake.refreshes == 1 and result.added == 23
    with engine.store.session() as s:
        assert s.scalars(select(SyncRun.trigger)).one() == "refresh"


def test_sync_without_credentials_reports_instead_of_raising(
    engine: SyncEngine, notes: CollectingNotifier
) -> None:
    cid = _connect(engine, credentials=None)
    result = engine.sync(cid)
    assert (result.ok, result.error_code) == (False, "NO_CREDENTIALS") and not notes.notes
    with engine.store.session() as s:
        assert s.scalars(select(SyncRun.error_code)).one() == "NO_CREDENTIALS"


def test_renewed_credentials_are_stored_with_the_page(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    fake.rotate_to = "renewed-secret"  # like an OAuth refresh: the old secret stops working
    result = engine.sync(cid)
    assert result.ok and result.pages == 6  # later pages of the same run used the new secret
    assert engine.credentials(cid) == "renewed-secret" and engine.sync(cid).ok


def test_malformed_rule_is_recorded_not_raised(engine: SyncEngine) -> None:
    cid = _connect(engine)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        conn.settings = {"rules": [{"type": "rename_payee", "match": "(", "payee": "X"}]}
    result = engine.sync(cid)
    assert result.error_code == "INVALID_RULE" and "rules[0].match" in (result.error_message or "")
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "error"
        assert conn.cursor is None  # the page stored nothing: the next run starts where it did
        conn.settings = {}
    again = engine.sync(cid)
    assert again.ok and again.added == 23


def test_connection_of_another_provider_is_left_alone(engine: SyncEngine, fake: FakeBank) -> None:
    cid = _connect(engine)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        conn.provider = "truelayer"
    fake.failures.append(SyncError("NEVER_CALLED"))
    assert engine.sync(cid).error_code == "OTHER_PROVIDER" and fake.failures  # no call made


def _client_imports(module: str, seen: set[str]) -> set[str]:
    """Every client module `module` imports, transitively (package __init__ files aside)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    for node in ast.walk(tree):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.startswith("client.") and name not in seen:
                seen.add(name)
                _client_imports(name, seen)
    return seen


def test_engine_knows_no_provider() -> None:
    reached = _client_imports("client.sync.engine", set())
    assert "client.providers.base" in reached and "client.store.models" in reached
    assert not [m for m in reached if "plaid" in m], "the engine must not depend on Plaid"


def test_audit_log_is_the_engines_own(engine: SyncEngine) -> None:
    assert isinstance(engine.audit, AuditLog) and engine.audit.store is engine.store


def _sync_items(
    engine: SyncEngine, store: Store, *banks: tuple[FakeBank, str, dict[str, Any]]
) -> SyncResult:
    """Each (bank, item, settings) connected in turn, as a user re-linking does, and synced."""
    for bank, item, settings in banks:
        with store.session() as s:
            conn = Connection(
                provider="fake",
                user_ref="u1",
                item_id=item,
                access_token_enc=engine.cipher.encrypt("fake-secret"),
                settings=settings,
            )
            s.add(conn)
            s.flush()
            cid = conn.id
        result = SyncEngine(bank, store, engine.cipher, page_size=10).sync(cid)
        assert result.ok
    return result


def test_relinked_item_adopts_each_earlier_row_once(engine: SyncEngine, store: Store) -> None:
    """Two transactions alike in every fingerprint field take the earlier Item's two rows,
    one each, on the same page: none is adopted twice, none is duplicated."""
    twins = [replace(txn(t, -5, day=3), description="coffee") for t in ("a1", "a2")]
    old, new = FakeBank(), FakeBank()
    old.upsert(*twins, txn("a3", -8))
    new.upsert(*(replace(t, provider_id="b" + t.provider_id[1:]) for t in old.truth().values()))
    ids = {}
    for bank, item, settings in ((old, "item-1", {}), (new, "item-2", {"adopt_history": True})):
        result = _sync_items(engine, store, (bank, item, settings))
        with store.session() as s:
            ids[item] = {t.provider_id: t.id for t in s.scalars(select(Transaction))}
    assert (result.added, result.modified) == (0, 3)
    assert sorted(ids["item-2"]) == ["b1", "b2", "b3"]
    assert sorted(ids["item-2"].values()) == sorted(ids["item-1"].values())


def test_relinked_item_adopts_a_row_that_posted_while_it_was_away(
    engine: SyncEngine, store: Store
) -> None:
    """The earlier Item saw a coffee pending, the new one knows it only as posted (with a tip,
    two days later): the pending row becomes the posted one instead of staying pending
    beside it for good. A pending row of another day is left alone."""
    old, new = FakeBank(), FakeBank()
    old.upsert(txn("a1", -5, pending=True, day=3), txn("a2", -7, pending=True, day=4))
    tipped = txn("b1", -6, day=5, authorized_date=dt.date(2026, 1, 3), pending_provider_id="bp1")
    new.upsert(replace(tipped, description="shop a1"), txn("b2", -9, day=5))
    _sync_items(engine, store, (old, "item-1", {}))
    with store.session() as s:
        before = {t.provider_id: t.id for t in s.scalars(select(Transaction))}
    _sync_items(engine, store, (new, "item-2", {"adopt_history": True}))
    with store.session() as s:
        live = {t.provider_id: t for t in s.scalars(select(Transaction)) if t.removed_at is None}
    assert sorted(live) == ["a2", "b1", "b2"]
    assert live["b1"].id == before["a1"] and not live["b1"].pending
    assert live["b1"].amount == Decimal(-6) and live["b1"].date == dt.date(2026, 1, 5)
    assert live["a2"].pending  # nothing posted from it: not the new Item's to take


IRA = LocalAccount("acc-ira", "IRA", "9999", "investment", "ira", "USD", Decimal(100), None, None)


def _balance(store: Store, provider_id: str) -> Decimal | None:
    with store.session() as s:
        return s.scalar(select(Account.current).where(Account.provider_id == provider_id))


def _calls(store: Store) -> list[str]:
    with store.session() as s:
        return [e.name for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == "call"))]


def test_an_account_no_page_names_gets_its_balance_after_a_run_that_changed_data(
    engine: SyncEngine, fake: FakeBank, caplog: pytest.LogCaptureFixture
) -> None:
    """Plaid's sync names only accounts with transactions: an investment account's balance
    stayed what it was when the bank was connected."""
    cid = _connect(engine)
    with engine.store.session() as s:  # stored when connected, as a link flow stores them
        upsert_account(s, s.get(Connection, cid), IRA)  # type: ignore[arg-type]
    fake.quiet = [replace(IRA, current=Decimal(250))]
    assert engine.sync(cid).ok
    assert _balance(engine.store, "acc-ira") == 250
    assert _calls(engine.store).count("/accounts") == 1

    fake.quiet = [replace(IRA, current=Decimal(300))]
    assert engine.sync(cid).ok  # nothing new: the bank's data did not move, no extra call
    assert _balance(engine.store, "acc-ira") == 250
    assert _calls(engine.store).count("/accounts") == 1

    def down(credentials: str) -> list[LocalAccount]:
        raise ProviderUnavailable("INSTITUTION_DOWN", "the bank is down")

    fake.left_out_accounts = down  # type: ignore[method-assign]
    fake.upsert(txn("t99", -5))
    result = engine.sync(cid)
    assert result.ok and result.added == 1, "the run's own changes are kept"
    assert _balance(engine.store, "acc-ira") == 250
    assert "balances the sync left out not read" in caplog.text


class _Killed(BaseException):
    """Stands for SIGKILL after a page's commit: see the test below."""


def test_a_killed_run_is_marked_interrupted_with_what_it_stored_when_the_next_starts(
    engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed with SIGKILL never closes its history row; it used to show "running"
    for ever. The next run of the connection marks it interrupted, keeping its counts."""
    cid = _connect(engine)

    def die_after_page_two(page: int, _counts: object) -> None:
        if page == 2:
            raise _Killed

    with monkeypatch.context() as killed:  # SIGKILL runs no `finally`: the row stays open
        killed.setattr(engine, "_finish_run", lambda *_args: None)
        with pytest.raises(_Killed):
            engine.sync(cid, on_page=die_after_page_two)
    with engine.store.session() as s:
        open_run = s.scalars(select(SyncRun)).one()
        assert open_run.finished_at is None and (open_run.pages, open_run.added) == (2, 8)
    result = engine.sync(cid)
    assert result.ok and result.added == 15
    with engine.store.session() as s:
        first, second = s.scalars(select(SyncRun).order_by(SyncRun.id))
        assert (first.error_code, first.pages, first.added) == (INTERRUPTED, 2, 8)
        assert first.finished_at is not None and first.duration is None
        assert second.error_code is None and second.added == 15
        table = Console(width=200, record=True)
        table.print(history_table([second, first]))
    assert "INTERRUPTED" in table.export_text() and "running" not in table.export_text()


def test_a_run_stopped_by_ctrl_c_closes_its_row_as_interrupted_and_the_next_carries_on(
    engine: SyncEngine,
) -> None:
    """Ctrl-C (and SIGTERM, which `bank-client sync` turns into it) was recorded as a
    failure, `CLIENT_EXCEPTION` / `KeyboardInterrupt`."""
    cid = _connect(engine)

    def ctrl_c_after_page_two(page: int, _counts: object) -> None:
        if page == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.sync(cid, on_page=ctrl_c_after_page_two)
    assert engine.sync(cid).added == 15
    with engine.store.session() as s:
        stopped = s.scalars(select(SyncRun).order_by(SyncRun.id)).first()
        assert stopped is not None and stopped.finished_at is not None
        assert (stopped.error_code, stopped.pages, stopped.added) == (INTERRUPTED, 2, 8)
        assert stopped.error_message == STOPPED_MESSAGE
        assert s.scalar(select(func.count()).select_from(Transaction)) == 23


def _ctrl_c_after_the_commit_of(
    monkeypatch: pytest.MonkeyPatch, store: Store, step: str, nth: int
) -> None:
    """Ctrl-C lands just after the transaction holding the `nth` call of `history.<step>`
    commits, before the engine has counted it (`bank-client sync` stopped by SIGTERM while
    a loaded machine held it between the two)."""
    armed, calls = [False], [0]
    recorded = getattr(history, step)

    def record(*args: Any) -> None:
        calls[0] += 1
        armed[0] = armed[0] or calls[0] == nth
        recorded(*args)

    opened = store.session

    @contextlib.contextmanager
    def session() -> Iterator[Any]:
        with opened() as s:
            yield s
        if armed[0]:
            armed[0] = False
            raise KeyboardInterrupt

    monkeypatch.setattr(history, step, record)
    monkeypatch.setattr(store, "session", session)


def test_ctrl_c_right_after_a_page_commits_keeps_the_pages_count(
    engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupted run's row was closed with the counts the engine held, which did not
    yet include the page just committed: the history said 0 pages for a run that stored
    one (seen as a flaky `test_cli_sync_stopped_by_sigterm_...`)."""
    cid = _connect(engine)
    with monkeypatch.context() as m:
        _ctrl_c_after_the_commit_of(m, engine.store, "record_progress", 2)
        with pytest.raises(KeyboardInterrupt):
            engine.sync(cid, on_page=lambda *_: None)
    with engine.store.session() as s:
        stopped = s.scalars(select(SyncRun)).one()
        assert (stopped.error_code, stopped.pages, stopped.added) == (INTERRUPTED, 2, 8)


def test_ctrl_c_right_after_the_last_page_closed_the_run_leaves_it_a_success(
    engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last page closes its run in its own transaction; a stop just after that commit
    closed the row again, as interrupted, with the counts of one page fewer."""
    cid = _connect(engine)
    with monkeypatch.context() as m:
        _ctrl_c_after_the_commit_of(m, engine.store, "close_run", 1)
        with pytest.raises(KeyboardInterrupt):
            engine.sync(cid)
    with engine.store.session() as s:
        run = s.scalars(select(SyncRun)).one()
        assert (run.error_code, run.pages, run.added) == (None, 6, 23)
    assert engine.sync(cid).added == 0


def test_an_app_side_error_leaves_the_connection_healthy_and_says_what_to_check(
    engine: SyncEngine, fake: FakeBank, notes: CollectingNotifier
) -> None:
    """Wrong keys are the app's to fix: the connection is not marked unhealthy for them."""
    cid = _connect(engine)
    assert engine.sync(cid).ok
    fake.failures.append(AppMisconfigured("INVALID_API_KEYS", "invalid client_id or secret"))
    result = engine.sync(cid)
    assert (result.ok, result.error_code, result.retryable) == (False, "INVALID_API_KEYS", False)
    with engine.store.session() as s:
        conn = s.get(Connection, cid)
        run = s.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert conn is not None and (conn.status, conn.last_error_code) == ("active", None)
        assert run is not None and run.error_code == "INVALID_API_KEYS"
        assert "check PLAID_CLIENT_ID and PLAID_SECRET" in advice(conn, result.error_code)
    assert [n.kind for n in notes.notes] == ["new_transactions"]
