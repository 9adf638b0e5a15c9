"""The ``bank-sandbox`` command line: data commands on a SQLite file, its own help and
version, and one line (never a traceback) for every ordinary mistake."""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import cli as flask_cli
from sqlalchemy import select

from sandbox import create_app, worker
from sandbox.cli import clock, init_db, main, reset, seed, tenants_group
from sandbox.core import institutions, tenants
from sandbox.core.models import Account, Item
from sandbox.extensions import ForgivingRateLimiter, db
from sandbox.plaid.ratelimits import PLAID_SANDBOX
from tests.e2e.test_webhook_delivery import Receiver


@pytest.fixture
def cli_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite file, with the default tenant's keys fixed."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "SEED": 3,
            "CLIENT_ID": "cli-client",
            "SECRET": "cli-secret-0123456789",
            "SECRET_KEY": "cli-test",  # nothing is written into the checkout's instance/
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_init_db_creates_schema_and_default_tenant(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(init_db)
    assert result.exit_code == 0, result.output
    assert "default tenant cli-client" in result.output


def test_seed_defaults_link_one_item_per_demo_bank(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed)
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert [m["institution_id"] for m in made] == ["ins_109508", "ins_56", "ins_10"]
    assert all(m["access_token"].startswith("access-sandbox-") for m in made)


def test_seed_unknown_institution_is_a_clean_error(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed, ["--institution", "ins_109508", "--institution", "ins_nope"])
    assert result.exit_code == 1
    assert result.output == (  # it said "invalid institution_id provided", naming none
        "Error: Invalid value for '--institution': ins_nope is no institution of the sandbox\n"
    )


CHECKING_ONLY = json.dumps(
    {"override_accounts": [{"type": "depository", "subtype": "checking", "starting_balance": 12}]}
)


def test_seed_signs_in_with_the_password_given(cli_app: Flask) -> None:
    """It always signed in with ``pass_good``, so ``user_custom`` could not be seeded."""
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    args = ["--institution", "ins_109508", "--username", "user_custom", "--password", CHECKING_ONLY]
    result = runner.invoke(seed, args)
    assert result.exit_code == 0, result.output
    with cli_app.app_context():
        (made,) = json.loads(result.output)
        item = db.session.scalars(select(Item).where(Item.id == made["item_id"])).one()
        accounts = db.session.scalars(select(Account).where(Account.item_pk == item.pk)).all()
        assert (item.username, [a.current_minor for a in accounts]) == ("user_custom", [1200])
        # what the bank offers and the one checking account serves (no liabilities)
        assert sorted(item.products) == ["auth", "identity", "transactions"]


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("user_custom", "pass_good", "user_custom expects a JSON configuration as the password"),
        ("user_custom", "[]", "user_custom expects a JSON object as the password"),
        ("user_good", "pass_bad", "the provided credentials were not correct"),
        ("user_good", "", "the provided credentials were not correct"),
    ],
)
def test_seed_refuses_a_password_that_does_not_sign_in_naming_it(
    cli_app: Flask, username: str, password: str, problem: str
) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed, ["--username", username, "--password", password])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: Invalid value for '--password': {username} does not sign in with it: {problem}"
    )
    assert result.output.count("\n") == 1


def test_seed_refuses_an_error_password_naming_it_with_its_error(cli_app: Flask) -> None:
    """It printed ``Error: ITEM_LOCKED: …``, without saying that the password caused it."""
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(seed, ["--password", "error_ITEM_LOCKED"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: Invalid value for '--password': ITEM_LOCKED: the account is locked."
    )
    assert result.output.count("\n") == 1


def test_tenants_create_then_list_shows_client_id_not_secret(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    created = json.loads(
        runner.invoke(tenants_group, ["create", "--name", "ci", "--seed", "9"]).output
    )
    listed = runner.invoke(tenants_group, ["list"]).output
    assert created["client_id"] in listed
    assert created["secret"] not in listed


def test_tenants_list_escapes_control_characters_of_names_stored_before_they_were_refused(
    cli_app: Flask,
) -> None:
    """A name with ESC ``]0;`` … BEL retitled the operator's terminal when listed."""
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    with cli_app.app_context():
        tenants.create(db.session, "old\x1b]0;owned\x07\x85name", 5)
        db.session.commit()
    listed = runner.invoke(tenants_group, ["list"]).output
    assert listed.endswith(" old\\x1b]0;owned\\x07\\x85name\n")
    assert not any(unicodedata.category(char) == "Cc" for char in listed.replace("\n", ""))


def test_reset_forgets_the_default_tenants_items(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    runner.invoke(seed, ["--institution", "ins_109508"])
    assert runner.invoke(reset).output.strip() == "reset"
    again = json.loads(runner.invoke(seed, ["--institution", "ins_109508"]).output)
    assert len(again) == 1  # item ids restart after a reset, without clashing with old rows


def test_clock_freezes_and_advances_the_default_tenant(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    frozen = runner.invoke(clock, ["--set", "2031-01-01T00:00:00", "--freeze"])
    assert frozen.exit_code == 0, frozen.output
    assert frozen.output.startswith("2031-01-01T00:00:00+00:00 (frozen)")
    moved = runner.invoke(clock, ["--advance-days", "3"])
    assert moved.output.startswith("2031-01-04T00:00:00+00:00 (frozen)")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2031-01-01T00:00:00Z", "2031-01-01T00:00:00+00:00"),  # the control API's form
        ("2031-01-01T02:00:00+02:00", "2031-01-01T00:00:00+00:00"),
        ("2031-01-01", "2031-01-01T00:00:00+00:00"),
    ],
)
def test_clock_set_takes_iso_8601_with_or_without_an_offset(
    cli_app: Flask, given: str, shown: str
) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(clock, ["--set", given, "--freeze"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{shown} (frozen)")


@pytest.mark.parametrize("given", ["tomorrow", "0001-01-01T00:00:00+05:00"])
def test_clock_set_refuses_what_is_no_instant_naming_the_option(cli_app: Flask, given: str) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    result = runner.invoke(clock, ["--set", given])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--set': {given!r} is no ISO 8601 instant" in result.output


def test_clock_refuses_to_go_back(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    runner.invoke(init_db)
    runner.invoke(clock, ["--set", "2031-01-01T00:00:00", "--freeze"])
    result = runner.invoke(clock, ["--set", "2030-01-01T00:00:00"])
    assert result.exit_code == 1, result.output
    assert result.output == "Error: Invalid value for '--set': the clock only moves forward\n"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Settings that keep every command out of the checkout's instance folder."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'main.db'}",
        "SANDBOX_SECRET_KEY": "cli-test",
        "SANDBOX_CLIENT_ID": "cli-client",
        "SANDBOX_SECRET": "cli-secret-0123456789",
    }


def run_main(args: list[str], env: dict[str, str]) -> Result:
    """``bank-sandbox ARGS`` in this process, as the console script runs it."""
    return CliRunner().invoke(main, args, env=env, prog_name="bank-sandbox")


def assert_one_line_error(result: Result, *expected: str) -> None:
    """Exit status 1, a single ``Error:`` line naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert all(word in lines[0] for word in expected), lines[0]


def test_version_is_the_installed_distributions(cli_env: dict[str, str]) -> None:
    result = run_main(["--version"], cli_env)
    assert result.exit_code == 0
    assert result.output.strip() == f"bank-sandbox, version {metadata.version('bank-sandbox')}"
    assert "Flask" not in result.output


def test_help_lists_our_commands_and_none_of_flasks_options(cli_env: dict[str, str]) -> None:
    result = run_main(["--help"], cli_env)
    assert result.exit_code == 0
    for command in ("serve", "init-db", "tenants", "seed", "reset", "clock", "worker", "faults"):
        assert f"  {command} " in result.output
    for flask_option in ("--env-file", "--app", "--debug"):
        assert flask_option not in result.output


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", "OperationalError"),
        # SQLAlchemy named a plugin or a missing driver module ("No module named 'MySQLdb'"),
        # not the setting nor what would do.
        ("DATABASE_URL", "nodb://x", "DATABASE_URL names a nodb database: the sandbox runs on"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL names a mysql database: the sandbox runs"),
        (
            "DATABASE_URL",
            "postgresql+psycopg2://x/y",
            "DATABASE_URL names the driver psycopg2, which is not installed: use postgresql://",
        ),
        ("SANDBOX_SEED", "seven", "cannot start from these settings"),
        # SQLite said only "unable to open database file".
        (
            "DATABASE_URL",
            "sqlite:////no-such-folder-bank-sandbox/sandbox.db",
            "DATABASE_URL names /no-such-folder-bank-sandbox/sandbox.db, in a folder that does",
        ),
        ("DATABASE_URL", f"sqlite:///{Path(__file__).parent}", "DATABASE_URL names the folder"),
        # Out of range: a seed beyond 64 bits was a traceback at the first write; a negative
        # one, a body limit or a nesting depth below 1 started (every call then refused).
        ("SANDBOX_SEED", str(2**63), "SANDBOX_SEED must be an integer from 0 to 922337"),
        ("SANDBOX_SEED", "-5", "SANDBOX_SEED must be an integer from 0 to"),
        ("SANDBOX_JSON_MAX_DEPTH", "0", "SANDBOX_JSON_MAX_DEPTH must be an integer of at least 1"),
        ("SANDBOX_MAX_CONTENT_LENGTH", "-1", "SANDBOX_MAX_CONTENT_LENGTH must be an integer of"),
        ("SANDBOX_PORT", "70000", "SANDBOX_PORT must be an integer from 0 to 65535, not '70000'"),
        ("SANDBOX_RATE_LIMITS", "maybe", "SANDBOX_RATE_LIMITS must be one of on,"),
        ("SANDBOX_WEBHOOK_DISPATCHER", "bogus", "SANDBOX_WEBHOOK_DISPATCHER must be one of"),
        ("SANDBOX_WEBHOOK_REJECTION_RULE", "sometimes", "SANDBOX_WEBHOOK_REJECTION_RULE must be"),
        ("SANDBOX_SHARED", "perhaps", "SANDBOX_SHARED must be one of auto, on,"),
    ],
)
def test_bad_settings_are_one_line(
    cli_env: dict[str, str], variable: str, value: str, expected: str
) -> None:
    result = run_main(["init-db"], {**cli_env, variable: value})
    assert_one_line_error(result, expected)
    if "must be" in expected or "names" in expected:  # the sandbox's own check, said plainly
        assert "Error:" not in result.output.replace("Error: ", "", 1), result.output


@pytest.mark.parametrize("args", [["init-db"], ["routes"], ["db", "current"]])
@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SANDBOX_RATE_LIMITS", "maybe", "SANDBOX_RATE_LIMITS must be one of on,"),
        ("SANDBOX_SEED", "seven", "SANDBOX_SEED must be an integer"),
        ("DATABASE_URL", "nodb://x", "DATABASE_URL names a nodb database"),
    ],
)
def test_flask_cli_with_bad_settings_is_one_line(
    cli_env: dict[str, str], args: list[str], variable: str, value: str, expected: str
) -> None:
    """``flask --app sandbox`` builds the app itself, before any command of ours runs: a bad
    setting there printed Flask's traceback of ``create_app``."""
    env = {**cli_env, variable: value}
    result = CliRunner().invoke(flask_cli, ["--app", "sandbox", *args], env=env, prog_name="flask")
    assert_one_line_error(result, "cannot start from these settings", expected)


@pytest.mark.parametrize(
    ("key", "value", "meaning"),
    [
        ("RATE_LIMITS", "false", "off"),
        ("RATE_LIMITS", "0", "off"),
        ("SHARED", "ON", "on"),
        ("WEBHOOK_REJECTION_RULE", "False", "off"),
    ],
)
def test_word_settings_accept_their_spellings(key: str, value: str, meaning: str) -> None:
    """``RATE_LIMITS=false`` left the limits on: only ``off`` turned them off."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "k", key: value})
    assert app.config[key] == meaning


@pytest.mark.parametrize(
    "args", [["init-db"], ["tenants", "list"], ["clock"], ["faults", "list"], ["db", "current"]]
)
def test_flask_cli_commands_are_one_line_too(args: list[str]) -> None:
    """``flask --app sandbox`` runs the same commands, and Flask-Migrate's ``db``: an
    unreachable database was a 130-line traceback there."""
    app = create_app(
        {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "cli-test"}
    )
    result = app.test_cli_runner().invoke(args=args)
    assert_one_line_error(result, "OperationalError")


def test_corrupt_credentials_file_is_one_line(
    tmp_path: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app({"DATABASE_URL": cli_env["DATABASE_URL"], "SECRET_KEY": "cli-test"})
    app.instance_path = str(tmp_path)
    (tmp_path / "credentials.json").write_text("{not json")
    monkeypatch.setattr("sandbox.cli._app", lambda: app)
    result = run_main(["init-db"], {"DATABASE_URL": cli_env["DATABASE_URL"]})
    assert_one_line_error(result, "credentials.json", "delete it")


def test_a_database_without_the_schema_says_to_run_init_db(cli_env: dict[str, str]) -> None:
    assert_one_line_error(run_main(["tenants", "list"], cli_env), "no such table", "init-db")


@pytest.mark.parametrize("command", [["init-db"], ["serve", "--port", "0"]])
def test_a_schema_from_a_newer_version_is_one_line_saying_so(
    cli_env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    """Alembic's "Can't locate revision identified by '…'" said neither why nor what to do."""
    assert run_main(["init-db"], cli_env).exit_code == 0
    with sqlite3.connect(tmp_path / "main.db") as database:
        database.execute("UPDATE alembic_version SET version_num = 'f00dfacef00d'")
    result = run_main(command, cli_env)
    assert_one_line_error(result, "revision f00dfacef00d", "a newer version made it")


def test_unknown_tenant_is_one_line_pointing_to_the_tenant_list(cli_env: dict[str, str]) -> None:
    assert run_main(["init-db"], cli_env).exit_code == 0
    result = run_main(["reset", "--client-id", "nope"], cli_env)
    assert_one_line_error(result, "no tenant nope", "tenants list")
    assert "init-db" not in result.output  # it would not make that tenant


def test_serve_on_a_taken_port_is_one_line(cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_main(["serve", "--port", str(port)], cli_env)
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_serve_with_an_unwritable_ready_file_is_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "missing-dir" / "ready.json"
    result = run_main(["serve", "--port", "0", "--ready-file", str(target)], cli_env)
    assert_one_line_error(result, f"cannot write {target}")


def test_serve_that_cannot_start_leaves_no_earlier_ready_file(cli_env: dict[str, str]) -> None:
    """A script waiting for the ready file (the README's ``until [ -s ready.json ]``) must not
    take an earlier run's file for a server that is listening now."""
    ready = Path(cli_env["DATABASE_URL"].removeprefix("sqlite:///")).parent / "ready.json"
    ready.write_text('{"url": "http://127.0.0.1:1", "client_id": "old", "secret": "old"}')
    env = {**cli_env, "SANDBOX_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/0"}
    result = run_main(["serve", "--port", "0", "--ready-file", str(ready)], env)
    assert_one_line_error(result, "SANDBOX_RATELIMIT_STORAGE_URL")
    assert not ready.exists()


def test_serve_refuses_to_start_without_its_catalogue(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(institutions, "SEEDS_DIR", tmp_path / "no-seeds")
    institutions.catalogue.cache_clear()
    try:
        result = run_main(["serve", "--port", "0"], cli_env)
    finally:
        institutions.catalogue.cache_clear()
    assert_one_line_error(result, "seed catalogue cannot load", "institutions.json")


def _serve(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A ``serve --port 0 --ready-file`` process and its ready file, once written."""
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", "0", "--ready-file", str(ready)],
        cwd=tmp_path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not ready.exists():
        process.kill()
        pytest.fail(f"serve did not write its ready file: {process.communicate(timeout=5)}")
    info: dict[str, str] = json.loads(ready.read_text())
    return process, info


def test_serve_on_port_zero_reports_the_bound_port_and_stops_on_sigterm(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    process, info = _serve(cli_env, tmp_path)
    try:
        assert info["client_id"] == "cli-client" and info["secret"] == "cli-secret-0123456789"
        port = int(info["url"].rsplit(":", 1)[1])
        assert port != 0
        health = requests.get(f"{info['url']}/control/health", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    # SIGTERM (``docker stop``) stops it with exit status 0; unhandled, a container's first
    # process ignores it until Docker's SIGKILL.
    assert process.returncode == 0, err


def test_serve_removes_its_ready_file_when_it_stops(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Once stopped, no ready file claims a server: the next run's waiting script blocks
    until that run writes its own."""
    process, _info = _serve(cli_env, tmp_path)
    process.terminate()
    _out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert not (tmp_path / "ready.json").exists()


def test_serve_on_a_taken_port_leaves_the_running_servers_ready_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A second ``serve`` on the same port and ready file cannot bind: it must leave the file
    of the server that listens there (it removed it, then failed)."""
    process, info = _serve(cli_env, tmp_path)
    ready = tmp_path / "ready.json"
    written = ready.read_text()
    try:
        port = info["url"].rsplit(":", 1)[1]
        result = run_main(["serve", "--port", port, "--ready-file", str(ready)], cli_env)
        assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")
        assert ready.read_text() == written
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_a_stopping_server_leaves_the_ready_file_its_successor_wrote(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """An overlapping restart: the new server, on another port, writes the shared ready file
    while the old one still runs; stopping the old one must not remove the new one's file."""
    old, old_info = _serve(cli_env, tmp_path)
    ready = tmp_path / "ready.json"
    ready.unlink()  # so that ``_serve`` waits for the new server's file
    try:
        new, new_info = _serve(cli_env, tmp_path)
    finally:
        old.terminate()
        old.communicate(timeout=30)
    try:
        assert new_info["url"] != old_info["url"]
        assert json.loads(ready.read_text()) == new_info
    finally:
        new.terminate()
        new.communicate(timeout=30)
    assert not ready.exists()


def _thread_started(pid: int, threads: int) -> int:
    """How many threads process ``pid`` has, once it has more than ``threads`` (``serve``
    starts one per connection it takes)."""
    deadline = time.monotonic() + 30
    while (now := len(os.listdir(f"/proc/{pid}/task"))) <= threads:
        assert time.monotonic() < deadline, "serve never took the connection"
        time.sleep(0.01)
    return now


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_sigterm_lets_the_call_in_flight_finish_and_refuses_new_connections(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``docker stop`` during a slow call: the call gets its whole reply (it was a reset
    connection), the port refuses new connections meanwhile and the ready file is gone, a
    connection that has sent nothing (a browser's preconnect) is closed rather than waited
    for, and ``serve`` exits 0."""
    settings = {"SANDBOX_WEBHOOK_DISPATCHER": "off", "SANDBOX_SHUTDOWN_GRACE_SECONDS": "600"}
    process, info = _serve({**cli_env, **settings}, tmp_path)
    host, port = info["url"].removeprefix("http://").rsplit(":", 1)
    try:
        threads = len(os.listdir(f"/proc/{process.pid}/task"))
        silent = socket.create_connection((host, int(port)), timeout=60)
        threads = _thread_started(process.pid, threads)
        call = http.client.HTTPConnection(host, int(port), timeout=60)
        body = {"count": 2, "offset": 0, "country_codes": ["US"]}
        call.request(
            "POST",
            "/institutions/get",
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "PLAID-CLIENT-ID": info["client_id"],
                "PLAID-SECRET": info["secret"],
                "Sandbox-Fault": "latency_ms=5000",
            },
        )
        _thread_started(process.pid, threads)
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while True:  # until the listener is closed, connections are still accepted
            try:
                socket.create_connection((host, int(port)), timeout=5).close()
            except ConnectionRefusedError:
                break
            except ConnectionResetError:
                pass  # queued as the listener closed
            assert time.monotonic() < deadline, "serve kept accepting connections"
            time.sleep(0.05)
        assert process.poll() is None  # refusing while the call is still in flight
        assert not (tmp_path / "ready.json").exists()  # no file names a closed port
        reply = call.getresponse()
        assert reply.status == 200
        assert len(json.loads(reply.read())["institutions"]) == 2
        assert silent.recv(1) == b""  # closed
        silent.close()
        process.wait(timeout=30)  # not the 600 s grace
    finally:
        if process.poll() is None:
            process.kill()
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert err.decode().rstrip().endswith("stopped")  # no call cut off


def test_sigterm_lets_the_webhook_in_flight_be_delivered_and_recorded(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``docker stop`` while ``serve``'s dispatcher waits for a slow receiver: the attempt is
    recorded once the receiver answers. Cut off, the webhook stayed queued, to be sent a
    second time at the next start. A webhook the pass had not tried yet stays queued, untried
    (the next start sends it once)."""
    receiver = Receiver()
    receiver.script = [3.0]  # the first webhook's receiver answers 200 after 3 s
    process, info = _serve(cli_env, tmp_path)
    try:
        keys = {"PLAID-CLIENT-ID": info["client_id"], "PLAID-SECRET": info["secret"]}
        public = requests.post(
            f"{info['url']}/sandbox/public_token/create",
            json={
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
                "options": {"webhook": receiver.url},
            },
            headers=keys,
            timeout=30,
        ).json()["public_token"]
        requests.post(
            f"{info['url']}/item/public_token/exchange",
            json={"public_token": public},
            headers=keys,
            timeout=30,
        ).raise_for_status()
        receiver.wait_for(1, timeout=30)  # the dispatcher is waiting for the slow answer
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        _out, err = process.communicate(timeout=30)
        receiver.server.shutdown()
    assert process.returncode == 0, err
    app = create_app({"DATABASE_URL": cli_env["DATABASE_URL"], "SECRET_KEY": "cli-test"})
    log = app.test_client().get("/control/webhooks", headers=keys).get_json()["webhooks"]
    with app.app_context():
        db.engine.dispose()
    states = {webhook["webhook_code"]: (webhook["status"], webhook["attempts"]) for webhook in log}
    assert states["INITIAL_UPDATE"] == ("delivered", 1), states  # the attempt in flight
    assert all(state in {("delivered", 1), ("pending", 0)} for state in states.values()), states


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--name", "x", "--seed", str(2**63)], "--seed"),
        (["--name", "x", "--seed", "-1"], "--seed"),
        (["--name", "x" * 121], "--name"),
        (["--name", ""], "--name"),
        (["--name", "a\x1b]0;owned\x07b"], "--name"),
    ],
)
def test_tenants_create_refuses_what_the_control_api_refuses(
    cli_env: dict[str, str], args: list[str], option: str
) -> None:
    """A seed beyond 64 bits was an 81-line traceback; the API's limits now apply here too."""
    assert run_main(["init-db"], cli_env).exit_code == 0
    assert_one_line_error(run_main(["tenants", "create", *args], cli_env), option)


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("postgresql://nobody@127.0.0.1:1/none", "OperationalError"),
        ("sqlite:////nonexistent/dir/x.db", "in a folder that does not exist"),
    ],
)
def test_worker_on_an_unreachable_database_is_one_line(
    cli_env: dict[str, str], database: str, expected: str
) -> None:
    """It used to run on, printing a traceback every second."""
    result = run_main(["worker"], {**cli_env, "DATABASE_URL": database})
    assert_one_line_error(result, expected)


@pytest.mark.parametrize("threads", ["0", "-5"])
def test_worker_with_fewer_than_one_thread_is_a_usage_error(
    cli_env: dict[str, str], threads: str
) -> None:
    """It ran one loop instead (here: failed on the database it never reaches now)."""
    env = {**cli_env, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run_main(["worker", "--threads", threads], env)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--threads': {threads} is not in the range x>=1" in result.output


def test_worker_with_an_unwritable_heartbeat_file_is_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """It used to print a thread's traceback and exit 0."""
    assert run_main(["init-db"], cli_env).exit_code == 0
    target = tmp_path / "missing-dir" / "hb"
    result = run_main(["worker", "--heartbeat-file", str(target)], cli_env)
    assert_one_line_error(result, f"cannot write the heartbeat file {target}")


def test_worker_loop_stops_when_its_heartbeat_can_no_longer_be_written(
    cli_app: Flask, tmp_path: Path
) -> None:
    assert cli_app.test_cli_runner().invoke(init_db).exit_code == 0
    heartbeat = worker.Heartbeat(tmp_path / "gone" / "hb")
    worker.run(cli_app, threading.Event(), heartbeat=heartbeat)  # returns: no endless loop
    assert heartbeat.failed and "gone" in heartbeat.failed


def test_worker_loop_logs_a_database_error_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "SECRET_KEY": "k"})
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(app, stop), kwargs={"poll": 0.01})
    with caplog.at_level(logging.WARNING, logger="sandbox.worker"):
        loop.start()
        time.sleep(0.2)
        stop.set()
        loop.join(timeout=10)
    assert caplog.records, "no retry was logged"
    for record in caplog.records:
        assert record.exc_info is None and "retrying" in record.getMessage()
        assert "\n" not in record.getMessage()


def test_serve_on_a_read_only_database_is_one_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    """It started, wrote its ready file and reported healthy, then answered 500 to writes."""
    assert run_main(["init-db"], cli_env).exit_code == 0
    read_only = f"sqlite:///file:{tmp_path / 'main.db'}?mode=ro&uri=true"
    result = run_main(["serve", "--port", "0"], {**cli_env, "DATABASE_URL": read_only})
    assert_one_line_error(result, "readonly database")


def test_serve_with_an_unreachable_rate_limit_store_is_one_line(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "SANDBOX_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/0"}
    result = run_main(["serve", "--port", "0"], env)
    assert_one_line_error(result, "SANDBOX_RATELIMIT_STORAGE_URL", "does not answer")


def test_serve_with_a_redis_store_but_no_redis_package_says_what_to_install(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """limits' "'redis' prerequisite not available" did not name the extra to install."""
    monkeypatch.setitem(sys.modules, "redis", None)  # as without the redis extra
    env = {**cli_env, "SANDBOX_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/0"}
    result = run_main(["serve", "--port", "0"], env)
    assert_one_line_error(
        result, "SANDBOX_RATELIMIT_STORAGE_URL", "pip install 'bank-sandbox[redis]'"
    )


def test_a_rate_limit_store_outage_lets_calls_through() -> None:
    """Every rate-limited call answered 500 while Redis was away."""
    limiter = ForgivingRateLimiter("redis://127.0.0.1:1/0")
    limiter.hit("tenant", "/accounts/get", "item", PLAID_SANDBOX["/accounts/get"])  # no error
