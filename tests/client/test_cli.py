"""`bank-client` as a user meets it: Link URLs, money, real health, history, and every ordinary
mistake as one clear line with a non-zero exit (never a traceback)."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from sqlalchemy import func, select

from client import cli as cli_module
from client.audit import AuditLog
from client.cli import main
from client.crypto import TokenCipher
from client.providers.truelayer_connect import TrueLayerSync
from client.store.db import Store
from client.store.models import Account, Connection, SyncRun, Transaction
from client.sync.history import INTERRUPTED, STOPPED_MESSAGE
from client.worker.config import Settings
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches
from tests.client.truelayer_live import connect, truelayer_sync


class Cli:
    """Runs bank-client in process with an operator's environment."""

    def __init__(self, tenant: Tenant, tmp_path: Path) -> None:
        self.db = f"sqlite:///{tmp_path / 'cli.db'}"
        self.runner = CliRunner(
            env={
                "BANK_CLIENT_DB": self.db,
                "PLAID_BASE_URL": tenant.url,
                "PLAID_CLIENT_ID": tenant.client_id,
                "PLAID_SECRET": tenant.secret,
                "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
            }
        )

    def ok(self, *args: str) -> str:
        """Run and expect success."""
        result = self.runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def fails(self, *args: str) -> str:
        """Run and expect one line of error, exit 1, no traceback."""
        result: Result = self.runner.invoke(main, list(args))
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        return lines[0]


@pytest.fixture
def cli(tenant: Tenant, tmp_path: Path, wide_console: None) -> Cli:
    return Cli(tenant, tmp_path)


def test_cli_connect_prints_link_url_and_reconnect_prints_update_mode_url(
    cli: Cli, tenant: Tenant
) -> None:
    url = cli.ok("connect").strip().splitlines()[0]
    assert url.startswith(f"{tenant.url}/link?token=link-sandbox-")
    assert "connection 1" in cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    update = cli.ok("reconnect", "1").strip()
    assert update.startswith(f"{tenant.url}/link?token=link-sandbox-") and update != url


def test_cli_connect_says_how_to_finish_its_link_for_the_same_user_and_history(
    cli: Cli, tenant: Tenant
) -> None:
    """The hint was `bank-client connect --public-token <token>` whatever --user and --days
    were: followed as printed, it made a connection of the 'default' user though Link was
    opened for alice, and kept 730 days as the history a later re-link asks for."""
    started = cli.runner.invoke(main, ["--user", "alice smith", "connect", "--days", "30"])
    assert started.exit_code == 0, started.output
    finish = "bank-client --user 'alice smith' connect --days 30 --public-token <token>"
    assert f"Open it, sign in, then: {finish}" in started.output.splitlines()
    public = tenant.post(  # what Link's onSuccess hands over
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"transactions": {"days_requested": 30}},
    )["public_token"]
    command = shlex.split(finish.replace("<token>", public))
    assert "connection 1" in cli.ok(*command[1:])
    store = Store(cli.db)
    with store.session() as s:
        conn = s.scalars(select(Connection)).one()
        assert (conn.user_ref, conn.settings["days_requested"]) == ("alice smith", 30)
    store.close()
    plain = cli.runner.invoke(main, ["connect"])
    assert "then: bank-client connect --public-token <token>" in plain.output


@pytest.mark.parametrize("width", [120, 60])
def test_cli_money_is_printed_as_money(
    cli: Cli, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole, on a wide terminal and on a narrow one (other columns give way first)."""
    monkeypatch.setattr(cli_module, "console", Console(width=width))
    store = Store(cli.db)
    with store.session() as s:
        conn = Connection(settings={}, institution_name="First Platypus Bank")
        s.add(conn)
        s.flush()
        s.add(
            Account(
                connection_id=conn.id,
                provider_id="acc-1",
                name="Checking",
                type="depository",
                currency="USD",
                current=Decimal("1490.00"),
                available=Decimal("1234567.5"),
            )
        )
    store.close()
    out = cli.ok("accounts")
    assert "1,490.00" in out and "1,234,567.50" in out and "E+" not in out


def test_cli_status_is_unhealthy_while_login_is_required_and_history_shows_it(
    cli: Cli, tenant: Tenant
) -> None:
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    assert "1: +" in cli.ok("sync", "1")
    assert "healthy: yes" in cli.ok("status")
    store = Store(cli.db)
    with store.session() as s:
        conn = s.get(Connection, 1)
        assert conn is not None and conn.access_token_enc is not None
        token = TokenCipher(cli.runner.env["BANK_CLIENT_KEYS"].split(",")).decrypt(  # type: ignore[union-attr]
            conn.access_token_enc
        )
    store.close()
    tenant.post("/sandbox/item/reset_login", access_token=token)
    failed = cli.runner.invoke(main, ["sync", "1"])
    assert failed.exit_code == 1 and "ITEM_LOGIN_REQUIRED" in failed.output
    assert "bank-client reconnect 1" in failed.output
    status = cli.ok("status")
    assert "login_required" in status and "healthy: no" in status
    history = cli.ok("history", "1")
    assert "manual" in history and "ITEM_LOGIN_REQUIRED" in history


def test_cli_ordinary_mistakes_are_one_line(cli: Cli, tenant: Tenant, tmp_path: Path) -> None:
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    for args in (("sync", "9"), ("history", "9"), ("disconnect", "9"), ("reconnect", "9")):
        assert "no connection 9" in cli.fails(*args)
    assert "no connection 9" in cli.fails("schedule", "9", "weekly")

    public = tenant.post(  # another bank: the same login again is refused as a duplicate
        "/sandbox/public_token/create",
        institution_id="ins_109509",
        initial_products=["transactions"],
    )["public_token"]
    cli.ok("connect", "--public-token", public)
    assert "INVALID_PUBLIC_TOKEN" in cli.fails("connect", "--public-token", public)

    unreachable = cli.runner.invoke(
        main, ["--base-url", "http://127.0.0.1:9", "connect", "--sandbox", "ins_109508"]
    )
    assert unreachable.exit_code == 1 and "could not connect" in unreachable.output
    assert len(unreachable.output.strip().splitlines()) == 1

    no_keys = CliRunner(env={"BANK_CLIENT_KEYS": "", "BANK_CLIENT_DB": cli.db})
    result = no_keys.invoke(main, ["sync", "1"])
    assert result.exit_code == 1 and "set BANK_CLIENT_KEYS" in result.output


def test_cli_disconnect_twice_is_fine_and_sync_reports_it(cli: Cli) -> None:
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    assert "credentials deleted" in cli.ok("disconnect", "1")
    assert "credentials deleted" in cli.ok("disconnect", "1")
    failed = cli.runner.invoke(main, ["sync", "1"])
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    # The provider's message and the advice ran together ("has no credentials disconnected;
    # link again", "to a good state sign in again"), reading as one garbled sentence.
    assert failed.output.strip().endswith(
        "1: NO_CREDENTIALS connection 1 has no credentials — disconnected; link again: "
        "bank-client reconnect 1"
    ), failed.output


def test_cli_reconnect_after_disconnect_relinks_with_the_stored_history_window(
    cli: Cli, live: Any
) -> None:
    from sandbox.core.models import LinkToken
    from sandbox.extensions import db

    cli.ok("connect", "--sandbox", "ins_109508", "--days", "45")
    cli.ok("disconnect", "1")
    url = cli.ok("reconnect", "1").strip().splitlines()[0]
    token = url.split("token=", 1)[1]
    with live.app.app_context():
        config = db.session.get(LinkToken, token).config
        db.session.remove()
    assert "access_token" not in config  # a new Link, not update mode: the Item is gone
    assert config["transactions"] == {"days_requested": 45}
    assert config["user"]["client_user_id"] == "default"


def test_cli_relink_after_disconnect_finishes_in_place_with_the_public_token(
    cli: Cli, tenant: Tenant
) -> None:
    """After a disconnect `reconnect` printed a new Link, but nothing in the CLI finished it:
    `--wait` failed with `NO_CREDENTIALS: connection 1 has no credentials`, and
    `connect --public-token` made another connection. Now `reconnect 1 --public-token` gives
    connection 1 the new Item, with its accounts and history, and says so."""
    cli.ok("connect", "--sandbox", "ins_109508")
    assert "1: +" in cli.ok("sync", "1")
    with Store(cli.db).session() as s:
        accounts = set(s.scalars(select(Account.id)))
    token_hint = "bank-client reconnect 1 --public-token <token>"
    assert cli.fails("reconnect", "1", "--public-token", "public-x") == (
        "Error: connection 1 is still linked: sign in again with the link "
        "`bank-client reconnect 1` prints (there is no token to exchange)"
    )
    cli.ok("disconnect", "1")
    assert token_hint in cli.ok("reconnect", "1")
    assert cli.fails("reconnect", "1", "--wait", "5") == (
        f"Error: connection 1 is disconnected: open its new link, sign in, then: {token_hint}"
    )
    public = tenant.post(  # what the new Link's onSuccess hands over, the same history
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["transactions"],
        options={"transactions": {"days_requested": 730}},
    )["public_token"]
    assert cli.ok("reconnect", "1", "--public-token", public) == "connection 1: linked again\n"
    assert "1: +0" in cli.ok("sync", "1")  # the new Item's transactions adopt the stored ones
    with Store(cli.db).session() as s:
        assert s.scalar(select(func.count()).select_from(Connection)) == 1
        assert set(s.scalars(select(Account.id))) == accounts
    bank = Settings.from_env(cli.runner.env).build()
    try:
        assert_store_matches(bank.store, 1, ground_truth(bank, 1))
    finally:
        bank.plaid.close()
        bank.store.close()


def test_cli_default_base_url_is_the_sandboxs() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    assert "http://127.0.0.1:8000" in out


def test_cli_help_names_the_variable_behind_each_setting() -> None:
    """The help listed --db, --base-url, --client-id and --secret bare: nothing said that
    BANK_CLIENT_DB, PLAID_BASE_URL, PLAID_CLIENT_ID or PLAID_SECRET set them (nor that
    BANK_CLIENT_USER sets --user), nor what form each takes."""
    out = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    for variable in (
        "BANK_CLIENT_DB",
        "PLAID_BASE_URL",
        "PLAID_CLIENT_ID",
        "PLAID_SECRET",
        "BANK_CLIENT_KEYS",
        "BANK_CLIENT_USER",
    ):
        assert f"env var: {variable}" in out, variable
    assert "sqlite:///path or postgresql://" in out and "comma-separated" in out


def test_cli_without_the_client_extra_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['rich'] = None; sys.argv = ['bank-client', 'status'];"
        "from client.launcher import run; run()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "bank-client needs the client extra (rich is missing): pip install 'bank-sandbox[client]'"
    ]


def test_cli_local_commands_need_no_keys_and_provider_commands_say_so(
    tmp_path: Path, wide_console: None
) -> None:
    """Reading and importing into the local database touches no token: no BANK_CLIENT_KEYS.
    Whatever calls the provider still asks for them, in one line."""
    db = f"sqlite:///{tmp_path / 'keyless.db'}"
    runner = CliRunner(env={"BANK_CLIENT_DB": db, "BANK_CLIENT_KEYS": ""})
    chase = tmp_path / "Chase0000_Activity.csv"
    chase.write_text(
        "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
        "DEBIT,03/02/2026,STARBUCKS STORE #4314,-4.45,DEBIT_CARD,100.00,\r\n"
    )
    for args in (
        ["import", str(chase), "--account", "0000", "--dry-run"],
        ["import", str(chase), "--account", "0000"],
        ["accounts"],
        ["transactions"],
        ["status"],
        ["purge-audit"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    assert "Starbucks Store" in runner.invoke(main, ["transactions"]).output  # no connection
    assert "...0000" in runner.invoke(main, ["accounts"]).output
    again = runner.invoke(main, ["import", str(chase), "--account", "0000"]).output
    assert "matched 1" in again and "was made" not in again  # the account made the first time


def test_cli_import_says_when_it_makes_the_files_account(
    tmp_path: Path, wide_console: None
) -> None:
    """No stored account of the file's bank ends in its digits: the import makes one (for a
    later API link to adopt) and says so, in a dry run too (which makes nothing). It said "no
    account ended in those digits" while another bank's account did."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    with store.session() as s:
        s.add(
            Account(
                provider_id="platypus-0000",
                institution_id="ins_109508",
                name="Plaid Checking",
                mask="0000",
                type="depository",
                currency="USD",
            )
        )
    store.close()
    runner = CliRunner(env={"BANK_CLIENT_DB": db})
    chase = tmp_path / "Chase0000_Activity.csv"
    chase.write_text(
        "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\r\n"
        "DEBIT,03/02/2026,STARBUCKS STORE #4314,-4.45,DEBIT_CARD,100.00,\r\n"
    )
    dry = runner.invoke(main, ["import", str(chase), "--account", "0000", "--dry-run"]).output
    assert "no Chase account ended in those digits" in dry and "would be made" in dry
    assert "...0000" not in runner.invoke(main, ["accounts"]).output
    made = runner.invoke(main, ["import", str(chase), "--account", "0000"]).output
    assert "no Chase account ended in those digits" in made and "was made" in made
    assert "...0000" in runner.invoke(main, ["accounts"]).output
    refused = runner.invoke(main, ["sync"])
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: set BANK_CLIENT_KEYS (generate one with `bank-client new-key`)"
    )


def test_cli_user_cannot_touch_another_users_connection(cli: Cli) -> None:
    """`--user bob` names bob's connections only: alice's id is as unknown to him as an id
    that does not exist (it was synced, rescheduled, re-linked and disconnected before)."""
    assert "connection 1" in cli.ok("--user", "alice", "connect", "--sandbox", "ins_109508")
    assert "connection 2" in cli.ok("--user", "bob", "connect", "--sandbox", "ins_109511")
    for args in (
        ("sync", "1"),
        ("history", "1"),
        ("schedule", "1", "weekly"),
        ("reconnect", "1"),
        ("disconnect", "1"),
    ):
        assert cli.fails("--user", "bob", *args) == "Error: no connection 1", args
    assert cli.fails("--user", "bob", "history", "9") == "Error: no connection 9"
    with Store(cli.db).session() as session:
        alice = session.get(Connection, 1)
        assert alice is not None and alice.access_token_enc is not None
        assert alice.schedule != "weekly" and alice.status != "disconnected"
    assert "1: +" in cli.ok("--user", "alice", "sync", "1")
    cli.ok("--user", "bob", "schedule", "2", "weekly")


def test_cli_transactions_of_an_account_not_the_users_is_refused_like_a_connection(
    cli: Cli, tmp_path: Path
) -> None:
    """`transactions --account` with an id no account has, or (with --user) another user's,
    printed an empty table, or wrote an empty CSV file, and exited 0, as if the account
    had no transactions; every other command says the id is unknown."""
    cli.ok("--user", "alice", "connect", "--sandbox", "ins_109508")
    cli.ok("sync", "1")
    export = tmp_path / "bob.csv"
    assert cli.fails("--user", "bob", "transactions", "--account", "1") == "Error: no account 1"
    assert (
        cli.fails("--user", "bob", "transactions", "--account", "1", "--csv", str(export))
        == "Error: no account 1"
    )
    assert not export.exists()
    assert cli.fails("transactions", "--account", "99999") == "Error: no account 99999"
    assert "wrote" in cli.ok(
        "--user", "alice", "transactions", "--account", "1", "--csv", str(export)
    )
    assert len(export.read_text().splitlines()) > 1


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "70000"],
        ["serve", "--port", "-1"],
        ["worker", "--port", "70000"],
        ["worker", "--port", "-1"],
        ["purge-audit", "--days", "-1"],
        ["transactions", "--limit", "-1"],
        ["history", "1", "--limit", "-1"],
        ["sync", "0"],
        ["transactions", "--account", "0"],
        ["sync", str(2**63)],
        ["history", "99999999999999999999"],
        ["transactions", "--account", "99999999999999999999"],
        ["history", "1", "--limit", "99999999999999999999"],
        ["worker", "--interval", "-5"],
        ["worker", "--interval", "0"],
        ["worker", "--interval", "nan"],
        ["worker", "--interval", "inf"],
        ["reconnect", "1", "--wait", "nan"],
    ],
)
def test_cli_out_of_range_numbers_are_refused_before_anything_runs(
    tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port beyond 65535 used to wrap around (70000 listened on 4464), a negative one was a
    traceback, and `purge-audit --days -1` deleted every audit row. `sync 0` synced every
    connection and `--account 0` listed every account's transactions; an id or limit past 64
    bits was an OverflowError traceback; a worker `--interval` of 0, a negative number or NaN
    spun the loop without pause (a CPU busy with the database), and `inf` was a traceback;
    `reconnect --wait nan` waited for ever."""
    from client.worker import main as worker_main

    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the worker started")

    monkeypatch.setattr(worker_main, "run_service", must_not_run)
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("days", ["9999999", "99999999999999999999"])
def test_cli_purge_audit_beyond_the_calendar_keeps_every_row(tmp_path: Path, days: str) -> None:
    """A retention reaching back before year 1 was an OverflowError traceback."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    AuditLog(store).record_consent("connected", 1)
    store.close()
    result = CliRunner(env={"BANK_CLIENT_DB": db}).invoke(main, ["purge-audit", "--days", days])
    assert result.exit_code == 0 and result.output == "purged 0 audit rows\n", result.output


def test_cli_sync_stopped_by_sigterm_closes_its_run_and_the_next_stores_everything_once(
    cli: Cli, tenant: Tenant
) -> None:
    """SIGTERM's default action left the run's history row "running" until the connection's
    next run; now the run closes it as interrupted, as Ctrl-C does."""
    cli.ok("connect", "--sandbox", "ins_109508")  # two years of history: several pages
    slow = {"endpoint": "/transactions/sync", "trigger": "nth", "n": 2, "latency_ms": 30_000}
    tenant.post("/control/faults", **slow)  # the second page takes long enough to stop it
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "bank-client"), "sync", "1"],
        env={**os.environ, **cli.runner.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    store = Store(cli.db)
    try:
        _wait_for_a_stored_page(store)
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1 and "Traceback" not in output, output
    with store.session() as s:
        stopped = s.scalars(select(SyncRun)).one()
        assert stopped.finished_at is not None and stopped.pages == 1
        assert (stopped.error_code, stopped.error_message) == (INTERRUPTED, STOPPED_MESSAGE)
    assert "INTERRUPTED" in cli.ok("history", "1") and "running" not in cli.ok("history", "1")
    assert "1: +" in cli.ok("sync", "1")
    bank = Settings.from_env(cli.runner.env).build()
    try:
        assert_store_matches(store, 1, ground_truth(bank, 1))
    finally:
        bank.plaid.close()
        bank.store.close()
        store.close()


def test_cli_sync_run_from_another_thread_leaves_sigterm_alone(tmp_path: Path) -> None:
    """Only the main thread may set a signal handler: from another one (an app running the
    command in a thread) the sync must still run."""
    env = {"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"}
    env["BANK_CLIENT_KEYS"] = TokenCipher.generate_key()
    results: list[Result] = []
    worker = threading.Thread(
        target=lambda: results.append(CliRunner(env=env).invoke(main, ["sync"]))
    )
    worker.start()
    worker.join(timeout=60)
    assert results and results[0].exit_code == 0, results[0].output if results else "hung"


def _wait_for_a_stored_page(store: Store) -> None:
    """Until the sync's first page is committed (its run row counts it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with store.session() as s:
            if s.scalar(select(SyncRun.pages)):
                return
        time.sleep(0.05)
    raise AssertionError("the sync stored no page")


@pytest.mark.parametrize("user", ["", "  ", "u" * 101])
def test_cli_user_the_store_cannot_keep_is_refused_before_the_provider_is_called(
    cli: Cli, user: str
) -> None:
    """An empty --user connected as 'default' and then listed nothing; one past the column's
    100 characters connected on SQLite, and on PostgreSQL failed after the provider had made
    the Item."""
    result = cli.runner.invoke(main, ["--user", user, "connect", "--sandbox", "ins_109508"])
    said = "Invalid value for '--user' (env var: 'BANK_CLIENT_USER'): the app user is"
    assert result.exit_code == 2 and said in result.output
    store = Store(cli.db)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Connection)) == 0
    store.close()
    assert "connection 1" in cli.ok("--user", "é" * 100, "connect", "--sandbox", "ins_109508")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["schedule", "1", "hourly"], "Invalid value for 'SCHEDULE': 'hourly' is not one of"),
        (["worker", "--log-level", "loud"], "Invalid value for '--log-level': 'loud' is not one"),
        (["connect", "--public-token", ""], "Invalid value for '--public-token': it is empty"),
        (["connect", "--sandbox", " "], "Invalid value for '--sandbox': it is empty"),
        (["reconnect", "1", "--public-token", ""], "Invalid value for '--public-token'"),
        (
            ["import", str(Path(__file__).parent / "files" / "rent.csv"), "--account", ""],
            "'--account'",
        ),
        (["connect", "--sandbox", "ins_109508", "--public-token", "p"], "not both"),
        (
            ["transactions", "--csv", "{tmp}/no-such-folder/t.csv"],
            "Invalid value for '--csv': cannot",
        ),
    ],
)
def test_cli_values_a_command_does_not_take_are_usage_errors_naming_the_option(
    tmp_path: Path, args: list[str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each was something else: `schedule 1 hourly` and `worker --log-level loud` exit 1 (the
    latter as "Unknown level: 'LOUD'", naming no option); `connect --public-token "$TOKEN"`
    with the variable unset printed a Link URL and exited 0, as if the bank were connected
    (an empty --account imported by the file's digits); `--sandbox` beside `--public-token`
    was ignored; an export into a folder that does not exist was "[Errno 2] No such file or
    directory". Now each is click's usage error (exit 2) naming what to change, before any
    provider call or database write."""
    from client.worker import main as worker_main

    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the worker started")

    monkeypatch.setattr(worker_main, "run_service", must_not_run)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner(
        env={
            "BANK_CLIENT_DB": db,
            "PLAID_BASE_URL": "http://127.0.0.1:9",  # nothing listens: no call may be made
            "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
        }
    )
    result = runner.invoke(main, [arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.exit_code == 2, result.output
    assert said in result.output and "Traceback" not in result.output
    store = Store(db)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
    store.close()


@pytest.mark.parametrize(
    ("db", "said"),
    [
        (
            "sqlite:///{tmp}/no-such-folder/c.db",
            "Error: database sqlite:///{tmp}/no-such-folder/c.db: unable to open database file",
        ),
        (
            "postgresql://postgres:hunter2@127.0.0.1:1/bank",  # nothing listens on port 1
            "Error: database postgresql://postgres:***@127.0.0.1:1/bank: connection failed: ",
        ),
        (
            "postgres ql://postgres:hunter2@127.0.0.1/bank",
            "Error: --db (BANK_CLIENT_DB) is not a database URL: use sqlite:///path or",
        ),
    ],
)
def test_cli_a_database_it_cannot_open_is_named_without_its_password(
    tmp_path: Path, db: str, said: str
) -> None:
    """It was the driver's words alone, "(sqlite3.OperationalError) unable to open database
    file" or "Could not parse SQLAlchemy URL from given URL string": which database, set
    where, was left to guess."""
    db, said = (text.replace("{tmp}", str(tmp_path)) for text in (db, said))
    result = CliRunner(env={"BANK_CLIENT_DB": db}).invoke(main, ["accounts"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(said), result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://127.0.0.1", "http://"])
def test_cli_a_provider_url_requests_cannot_call_names_the_setting(
    tmp_path: Path, url: str
) -> None:
    """It failed at the first call in requests' words ("Invalid URL '127.0.0.1:8000/link/
    token/create': No scheme supplied", "No connection adapters were found"); commands that
    call no provider still run."""
    env = {"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}", "PLAID_BASE_URL": url}
    runner = CliRunner(env={**env, "BANK_CLIENT_KEYS": TokenCipher.generate_key()})
    result = runner.invoke(main, ["connect", "--sandbox", "ins_109508"])
    assert result.exit_code == 1 and result.output == (
        f"Error: PLAID_BASE_URL (--base-url) must be an http:// or https:// URL, not {url!r}\n"
    )
    assert runner.invoke(main, ["status"]).exit_code == 0


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999", "Port out of range 0-65535"),
        ("http://127.0.0.1:port", "Port could not be cast to integer value as 'port'"),
    ],
)
def test_cli_a_malformed_provider_url_names_the_setting(tmp_path: Path, url: str, why: str) -> None:
    """They failed in the URL parser's words alone ("Error: Invalid IPv6 URL", "Error: Failed
    to parse: http://127.0.0.1:99999/link/token/create"), naming no setting."""
    env = {"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}", "PLAID_BASE_URL": url}
    runner = CliRunner(env={**env, "BANK_CLIENT_KEYS": TokenCipher.generate_key()})
    result = runner.invoke(main, ["connect"])
    assert result.exit_code == 1 and result.output == (
        f"Error: PLAID_BASE_URL (--base-url) is not a valid URL ({why}): {url!r}\n"
    )


def test_cli_counts_agree_with_their_nouns(tmp_path: Path) -> None:
    """ "wrote 1 rows", "purged 1 audit rows", and "left out TrueLayer connection 3: they sync
    with TrueLayerSync.sync in the app that connected them"."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    with store.session() as s:
        account = Account(provider_id="acc-1", name="Checking", type="depository", currency="USD")
        s.add(account)
        s.flush()
        s.add_all(
            Transaction(
                account_id=account.id,
                provider_id=f"tx-{day}",
                amount=Decimal("-4.50"),
                currency="USD",
                date=dt.date(2026, 11, day),
                description="COFFEE",
            )
            for day in (3, 4)
        )
        s.add_all(
            Connection(provider="truelayer", user_ref=user, access_token_enc="t", settings={})
            for user in ("alice", "alice", "bob")
        )
    AuditLog(store).record_consent("connected", 1)
    store.close()
    runner = CliRunner(env={"BANK_CLIENT_DB": db, "BANK_CLIENT_KEYS": TokenCipher.generate_key()})

    def said(*args: str) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert said("transactions", "--csv", str(one), "--limit", "1") == f"wrote 1 row to {one}"
    assert said("transactions", "--csv", str(two)) == f"wrote 2 rows to {two}"
    assert said("purge-audit", "--days", "0") == "purged 1 audit row"
    assert said("purge-audit", "--days", "0") == "purged 0 audit rows"
    assert said("--user", "bob", "sync") == (
        "left out TrueLayer connection 3: it syncs with TrueLayerSync.sync in the app that "
        "connected it (see docs/client-truelayer.md)"
    )
    assert said("sync").startswith(
        "left out TrueLayer connections 1, 2, 3: they sync with TrueLayerSync.sync in the app "
        "that connected them"
    )


def test_cli_sync_with_nothing_to_sync_says_so(tmp_path: Path) -> None:
    """It printed nothing and exited 0, as after syncing every connection: a Link never
    finished, or the wrong --user or database, looked like success."""
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    with store.session() as s:
        s.add(Connection(user_ref="alice", access_token_enc=None, settings={}))  # not linked
    store.close()
    env = {"BANK_CLIENT_DB": store.url, "BANK_CLIENT_KEYS": TokenCipher.generate_key()}
    result = CliRunner(env=env).invoke(main, ["sync"])
    assert result.exit_code == 0 and result.output == (
        "nothing to sync: no linked connection (`bank-client connect`)\n"
    )


def test_cli_serve_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner(
        env={
            "BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}",
            "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
        }
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def test_cli_wrong_app_keys_advise_the_keys_and_leave_the_connection_healthy(cli: Cli) -> None:
    """INVALID_API_KEYS used to say "reconnect the bank" and mark the connection unhealthy."""
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    assert "1: +" in cli.ok("sync", "1")
    failed = cli.runner.invoke(main, ["--secret", "wrong", "sync", "1"])
    assert failed.exit_code == 1 and "INVALID_API_KEYS" in failed.output
    assert "check PLAID_CLIENT_ID and PLAID_SECRET" in " ".join(failed.output.split())
    assert "reconnect" not in failed.output
    assert "healthy: yes" in cli.ok("status")
    assert "INVALID_API_KEYS" in cli.ok("history", "1")


FILES = Path(__file__).parent / "files"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", str(FILES / "garbage.csv"), "--account", "0000"], "Error: line 1: not valid"),
        (["import", str(FILES / "quote2.csv"), "--account", "0000", "--dry-run"], "Error: line 3"),
        (["--db", "mysql://x/y", "status"], "Error: database mysql: its driver is not installed"),
    ],
)
def test_cli_unreadable_files_and_missing_drivers_are_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """These were tracebacks (`_csv.Error`, `ModuleNotFoundError`) or a partial import."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[0].startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_cli_import_without_a_user_refuses_last_four_that_several_users_share(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    with store.session() as s:
        s.add_all(
            [
                Account(
                    user_ref=user,
                    provider_id=f"acc-{user}",
                    name="Checking",
                    mask="0000",
                    type="depository",
                    currency="USD",
                )
                for user in ("alice", "bob")
            ]
        )
    store.close()
    runner = CliRunner(env={"BANK_CLIENT_DB": db})
    path = str(FILES / "rent.csv")
    result = runner.invoke(main, ["import", path, "--account", "0000"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: several accounts end in 0000: 1 (alice), 2 (bob); "
        "name the user (--user) or the account id"
    )
    assert (
        "-> account 2"
        in runner.invoke(main, ["--user", "bob", "import", path, "--account", "0000"]).output
    )
    assert "-> account 1" in runner.invoke(main, ["import", path, "--account", "1"]).output


def test_cli_import_of_its_own_export_stays_in_the_exported_account(tmp_path: Path) -> None:
    """A `transactions --csv` export of every account, imported into one, added the other
    accounts' rows to it; one account's export without --account was "the file does not
    say which account it is", though every row names it."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    with store.session() as s:
        for n, mask in enumerate(("0000", "1111"), start=1):
            account = Account(
                user_ref="alice",
                provider_id=f"plaid-acc-{mask}",
                name=f"Account {mask}",
                mask=mask,
                type="depository",
                currency="USD",
            )
            s.add(account)
            s.flush()
            s.add_all(
                Transaction(
                    account_id=account.id,
                    provider_id=f"plaid-tx-{mask}-{day}",
                    amount=Decimal(f"-{n}{day}.25"),
                    currency="USD",
                    date=dt.date(2026, 11, day),
                    description=f"SHOP {mask} {day}",
                )
                for day in (3, 4)
            )
    runner = CliRunner(env={"BANK_CLIENT_DB": db})
    every, first = tmp_path / "every.csv", tmp_path / "first.csv"
    for export in (["--csv", str(every)], ["--account", "1", "--csv", str(first)]):
        assert runner.invoke(main, ["transactions", *export]).exit_code == 0
    mixed = runner.invoke(main, ["import", str(every), "--account", "1"])
    assert mixed.exit_code == 1 and mixed.output.startswith("Error: line 3: account: ")
    assert "import one account's rows" in mixed.output
    own = runner.invoke(main, ["import", str(first)])
    assert own.exit_code == 0 and "-> account 1 Account 0000: added 0, matched 2" in own.output
    stranger = runner.invoke(main, ["--user", "bob", "import", str(first)])
    assert stranger.output == (
        "Error: no account here is the file's (plaid-acc-0000): pass the account (id or last 4)\n"
    )
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Transaction)) == 4
    store.close()


# A good key (32 zero bytes) before a bad one: a fixed value, so every xdist worker collects
# the same test ids.
GOOD_THEN_BAD = f"{'A' * 43}=,x"


@pytest.mark.parametrize("keys", ["garbage", "abc,def", GOOD_THEN_BAD])
def test_cli_a_malformed_key_names_the_setting(tmp_path: Path, keys: str) -> None:
    """It was cryptography's "Fernet key must be 32 url-safe base64-encoded bytes."."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["--keys", keys, "sync"])
    assert result.exit_code == 1 and result.output == (
        "Error: BANK_CLIENT_KEYS (--keys) holds a key that is not a Fernet key (32 url-safe "
        "base64-encoded bytes); generate one with `bank-client new-key`\n"
    )


@pytest.mark.parametrize("mapping", ["garbage", "date=Date,,amount=Amount"])
def test_cli_import_map_without_key_equals_column_is_a_usage_error(
    tmp_path: Path, mapping: str
) -> None:
    """It was "Error: dictionary update sequence element #0 has length 1; 2 is required"."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["import", str(FILES / "rent.csv"), "--map", mapping])
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value for '--map': " in result.output
    assert "is not key=column" in result.output


@pytest.mark.parametrize("days", ["0", "-5", "731"])
def test_cli_connect_days_outside_plaids_range_are_refused_alike(tmp_path: Path, days: str) -> None:
    """`--days 0` used to connect with the default history while -5 was refused."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["connect", "--sandbox", "ins_109508", "--days", days])
    assert result.exit_code == 2 and "Invalid value for '--days'" in result.output


def test_cli_transactions_since_after_until_is_a_usage_error(tmp_path: Path) -> None:
    """A window that ends before it starts is a slip: said, not answered with no rows."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'w.db'}"})
    result = runner.invoke(main, ["transactions", "--since", "2026-03-02", "--until", "2026-03-01"])
    assert result.exit_code == 2
    assert "2026-03-02 is after --until 2026-03-01" in result.output
    assert runner.invoke(main, ["transactions", "--since", "2026-03-01"]).exit_code == 0


def _truelayer_connection(cli: Cli, tenant: Tenant) -> tuple[TrueLayerSync, int]:
    """A TrueLayer connection, synced, in the CLI's store, made as the app that embeds
    `TrueLayerSync` makes it."""
    keys = cli.runner.env["BANK_CLIENT_KEYS"].split(",")  # type: ignore[union-attr]
    tl = truelayer_sync(tenant, Store(cli.db), TokenCipher(keys))
    cid = connect(tl, "default")
    assert tl.sync(cid).ok
    return tl, cid


@pytest.mark.parametrize(
    ("command", "instead"),
    [
        ("sync", "TrueLayerSync.sync"),
        ("reconnect", "TrueLayerSync.reconsent"),
        ("disconnect", "TrueLayerSync.disconnect"),
    ],
)
def test_cli_plaid_commands_refuse_a_truelayer_connection_saying_what_to_use(
    cli: Cli, tenant: Tenant, command: str, instead: str
) -> None:
    """`sync 1` on a TrueLayer connection was a failed run in its history and one line,
    `OTHER_PROVIDER: connection 1 belongs to 'truelayer'`, with nothing to do about it (so were
    `reconnect` and `disconnect`): no setting makes bank-client serve TrueLayer, so the id is
    a usage error that names the call to use, and the connection's history is left alone.
    Without `BANK_CLIENT_KEYS` too: `sync` asked for the keys first, to then refuse the id."""
    tl, cid = _truelayer_connection(cli, tenant)
    for env in ({}, {"BANK_CLIENT_KEYS": None}):
        result = cli.runner.invoke(main, [command, str(cid)], env=env)
        assert result.exit_code == 2, result.output
        assert f"connection {cid} is a TrueLayer connection" in result.output
        assert instead in result.output and "docs/client-truelayer.md" in result.output
    with tl.store.session() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun)) == 1  # the app's sync only
        conn = s.get(Connection, cid)
        assert conn is not None and conn.status == "active" and conn.last_error_code is None
    tl.store.close()


def test_cli_sync_of_every_connection_says_which_truelayer_ones_it_left(
    cli: Cli, tenant: Tenant
) -> None:
    """`sync` with no id left TrueLayer connections out without a word: with only those,
    it printed nothing and exited 0, as if all were synced."""
    _, cid = _truelayer_connection(cli, tenant)
    result = cli.runner.invoke(main, ["sync"])
    assert result.exit_code == 0, result.output
    assert f"left out TrueLayer connection {cid}" in result.output
    assert "TrueLayerSync.sync" in result.output
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    both = cli.ok("sync")
    assert f"{cid + 1}: +" in both and f"left out TrueLayer connection {cid}" in both
    assert "left out" not in cli.ok("--user", "bob", "sync")  # bob has none


def test_cli_status_advises_a_truelayer_connection_through_the_app(
    cli: Cli, tenant: Tenant
) -> None:
    """After TrueLayer's consent ran out, `status` advised `bank-client reconnect 1`, which
    cannot renew a TrueLayer consent."""
    tl, cid = _truelayer_connection(cli, tenant)
    tenant.advance(91)  # consent lasts 90 days
    assert not tl.sync(cid).ok
    tl.store.close()
    status = cli.ok("status")
    assert "login_required" in status and "TrueLayerSync.reconsent" in status
    assert "bank-client reconnect" not in status


def test_cli_csv_export_honours_an_explicit_limit_and_exports_everything_without_one(
    cli: Cli, tmp_path: Path
) -> None:
    """`transactions --csv F --limit 3` wrote every row, saying nothing of the limit."""
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30")
    cli.ok("sync", "1")
    every, three = tmp_path / "every.csv", tmp_path / "three.csv"
    total = int(cli.ok("transactions", "--csv", str(every)).split()[1])
    assert total > 50  # more than the screen's default limit: an export is whole by default
    assert "wrote 3 rows" in cli.ok("transactions", "--csv", str(three), "--limit", "3")
    assert three.read_text().splitlines() == every.read_text().splitlines()[:4]  # header + 3


def _store_one_transaction(
    db: str, *, user_ref: str, account_name: str, description: str, payee: str, **more: str
) -> None:
    """A store holding one connection of ``user_ref`` with one account and one transaction
    (``more``: the connection's ``institution_name``, the transaction's ``category``)."""
    store = Store(db)
    with store.session() as s:
        conn = Connection(
            provider="plaid",
            user_ref=user_ref,
            institution_name=more.get("institution_name"),
            settings={},
        )
        s.add(conn)
        s.flush()
        account = Account(
            connection_id=conn.id,
            provider_id="acc-1",
            name=account_name,
            type="depository",
            currency="USD",
        )
        s.add(account)
        s.flush()
        s.add(
            Transaction(
                account_id=account.id,
                provider_id="tx-1",
                amount=Decimal("-4.50"),
                currency="USD",
                date=dt.date(2026, 11, 3),
                description=description,
                payee=payee,
                category=more.get("category"),
            )
        )
    store.close()


def test_cli_shows_bank_text_as_it_is_never_as_markup(tmp_path: Path, wide_console: None) -> None:
    """Names and descriptions come from banks, files and users; printed as rich markup, a
    payee spelt `[bold]` vanished and a description holding `[/]` stopped `transactions`
    with a MarkupError traceback."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _store_one_transaction(
        db,
        user_ref="[u]",
        institution_name="[red]Bank[/red]",
        account_name="[/] Savings",
        description="CARD [/] 1234",
        payee="[bold]Acme[/bold]",
        category="[dim]FOOD",
    )
    runner = CliRunner(env={"BANK_CLIENT_DB": db})
    for command, shown in (
        ("accounts", ["[/] Savings"]),
        ("transactions", ["[bold]Acme[/bold]", "[dim]FOOD"]),
        ("status", ["[u]", "[red]Bank[/red]"]),
    ):
        result = runner.invoke(main, [command])
        assert result.exit_code == 0 and result.exception is None, result.output
        assert all(text in result.output for text in shown), result.output


def test_cli_never_sends_stored_control_characters_to_the_terminal(
    tmp_path: Path, wide_console: None
) -> None:
    """A user ref or payee holding ESC reached the terminal raw (`evil\\x1b[31m` turned the
    rest of the table red; an OSC sequence can retitle the window): they are shown escaped,
    as the sandbox's `tenants list` shows a tenant's name."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _store_one_transaction(
        db,
        user_ref="evil\x1b[31m",
        account_name="Checking",
        description="ACME",
        payee="\x1b]0;owned\x07Acme",
    )
    runner = CliRunner(env={"BANK_CLIENT_DB": db})
    for command, shown in (("status", "evil\\x1b[31m"), ("transactions", "\\x1b]0;owned\\x07")):
        result = runner.invoke(main, [command])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, repr(result.output)
        assert shown in result.output, result.output


@pytest.mark.parametrize("user", ["evil\x1b[31m", "a\nb", "tab\there"])
def test_cli_refuses_a_user_with_a_control_character(tmp_path: Path, user: str) -> None:
    """`--user $'a\\nb'` was taken as a user of its own, stored, and printed raw later."""
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["--user", user, "status"])
    assert result.exit_code == 2, result.output
    assert "the app user holds a control character" in result.output


def test_cli_error_line_escapes_control_characters_it_quotes(tmp_path: Path) -> None:
    """An import's error quoted the file's header raw: an ESC sequence in a downloaded file
    reached the terminal through `Error: line 1: unknown CSV layout (header: …)`."""
    statement = tmp_path / "s.csv"
    statement.write_bytes(b"\x1b[31mWhen,How much\n2026-11-03,1.00\n")
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["import", str(statement), "--account", "0000"])
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output and "\\x1b[31mWhen" in result.output, result.output


def test_cli_connect_registers_a_webhook_url(cli: Cli, tenant: Tenant) -> None:
    """`bank-client serve` receives webhooks, but a connection the CLI made had no webhook:
    its Item never sent one, so only schedules ever synced it."""
    hook = "http://127.0.0.1:8080/webhooks/plaid"
    cli.ok("connect", "--sandbox", "ins_109508", "--days", "30", "--webhook", hook)
    with Store(cli.db).session() as s:
        conn = s.get(Connection, 1)
        assert conn is not None and conn.access_token_enc is not None
        keys = cli.runner.env["BANK_CLIENT_KEYS"]
        assert keys is not None
        token = TokenCipher(keys.split(",")).decrypt(conn.access_token_enc)
    assert tenant.post("/item/get", access_token=token)["item"]["webhook"] == hook
    url = cli.ok("connect", "--webhook", hook).strip().splitlines()[0]
    link_token = url.split("token=", 1)[1]
    assert tenant.post("/link/token/get", link_token=link_token)["metadata"]["webhook"] == hook


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--webhook", "ftp://x/h"], "'--webhook': must be an http:// or https:// URL"),
        (["--webhook", "http://[::1"], "'--webhook': must be an http:// or https:// URL"),
        (
            ["--webhook", "http://h/w", "--public-token", "public-x"],
            "--webhook goes with the Link the token came from",
        ),
    ],
)
def test_cli_connect_refuses_a_webhook_it_cannot_use(
    tmp_path: Path, args: list[str], said: str
) -> None:
    runner = CliRunner(env={"BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'c.db'}"})
    result = runner.invoke(main, ["connect", *args])
    assert result.exit_code == 2 and said in result.output, result.output
