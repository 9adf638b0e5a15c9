"""``gunicorn sandbox.wsgi:app`` and ``flask --app sandbox run`` on a database ``init-db``
has not prepared, as a user meets it after upgrading the package or on a fresh database: the
server stops at once with one line saying what to run, instead of serving a 500 to every
call; after ``init-db`` it serves.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox.bootstrap import _revisions, head_revision
from tests.conftest import fresh_database_url

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
MIGRATIONS = Path(__file__).parents[2] / "sandbox" / "migrations"


def _env(database_url: str, **settings: str) -> dict[str, str]:
    """Keys and secret key given: nothing is written into the checkout's instance/."""
    keys = {"SANDBOX_CLIENT_ID": "wsgi-e2e-id", "SANDBOX_SECRET": "wsgi-e2e-secret"}
    base = {**keys, "DATABASE_URL": database_url, "SANDBOX_SECRET_KEY": "wsgi-e2e"}
    return {**os.environ, **base, **settings}


def _gunicorn() -> list[str]:
    return [str(BIN / "gunicorn"), "--workers", "4", "--bind", "127.0.0.1:0", "sandbox.wsgi:app"]


def _error_lines(stderr: str) -> int:
    return sum(line.startswith("Error: ") for line in stderr.splitlines())


def _refused(database_url: str, tmp_path: Path, **settings: str) -> str:
    """gunicorn's stderr after it stopped by itself (it must not keep booting workers). Its
    temp folder is the test's, and stays empty (each refusal left a marker file there)."""
    temp = tmp_path / "gunicorn-tmp"
    temp.mkdir()
    env = {**_env(database_url, **settings), "TMPDIR": str(temp)}
    server = subprocess.Popen(_gunicorn(), env=env, stderr=subprocess.PIPE, text=True)
    try:
        _out, stderr = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "App failed to load" in stderr
    assert "Traceback" not in stderr  # two workers exiting "failed to load" crash gunicorn
    assert _error_lines(stderr) == 1  # said once, not by every worker
    assert not list(temp.iterdir())
    _assert_claim_released(server.pid)
    return stderr


def _assert_claim_released(arbiter: int) -> None:
    """The one-worker claim (sandbox/wsgi.py's abstract socket) is gone: the process that
    held it ended with the arbiter."""
    deadline = time.monotonic() + 10
    while f"@bank-sandbox-refused-{arbiter}-" in Path("/proc/net/unix").read_text():
        assert time.monotonic() < deadline, "the claim outlived gunicorn"
        time.sleep(0.05)


def _sandbox(*args: str, database_url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", *args], env=_env(database_url), check=True, capture_output=True
    )


def _flask_run_refused(database_url: str, *options: str, **settings: str) -> str:
    """``flask --app sandbox run``'s stderr after it stopped by itself (serving, it would run
    until the timeout fails the test)."""
    argv = [sys.executable, "-m", "flask", "--app", "sandbox", "run", "--port", "0", *options]
    env = _env(database_url, **settings)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert _error_lines(done.stderr) == 1, done.stderr
    return done.stderr


def _serves(database_url: str, tmp_path: Path) -> None:
    """gunicorn starts and answers the health check."""
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(_gunicorn(), env=_env(database_url), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(rb"Listening at: (http://\S+)", log.read_bytes())):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        url = found.group(1).decode()
        while True:
            try:
                # Booting workers answer nothing yet: wait for them until the deadline.
                waited = max(1.0, deadline - time.monotonic())
                assert requests.get(f"{url}/control/health", timeout=waited).status_code == 200
                return
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_stops_on_a_sqlite_file_that_does_not_exist(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    stderr = _refused(f"sqlite:///{database}", tmp_path)
    assert f"Error: no database at {database}: run `bank-sandbox init-db` first" in stderr
    assert not database.exists()  # not left behind as an empty file


@pytest.mark.parametrize("options", [(), ("--debug",)])
def test_flask_run_stops_on_a_sqlite_file_that_does_not_exist(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    """``--debug`` too: its reloader printed the traceback and served a 500 to every call."""
    database = tmp_path / "sandbox.db"
    stderr = _flask_run_refused(f"sqlite:///{database}", *options)
    assert f"Error: no database at {database}: run `bank-sandbox init-db` first" in stderr
    assert not database.exists()


# A bad setting, or a database that does not answer: a traceback from every gunicorn worker
# (and often one from its arbiter), and from ``flask run``.
BROKEN_STARTS = [
    pytest.param({"SANDBOX_SEED": "abc"}, "SANDBOX_SEED must be an integer", id="bad-setting"),
    pytest.param(
        {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
        "OperationalError: connection failed",
        id="unreachable-postgresql",
    ),
]


@pytest.mark.parametrize(("settings", "expected"), BROKEN_STARTS)
def test_gunicorn_stops_in_one_line_on_a_bad_setting_or_database(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    stderr = _refused(f"sqlite:///{tmp_path / 'sandbox.db'}", tmp_path, **settings)
    assert "Error: " in stderr and expected in stderr


def test_gunicorn_stopped_while_its_workers_load_a_refused_app_exits_cleanly(
    tmp_path: Path,
) -> None:
    """SIGTERM (``docker stop``, Ctrl-C's neighbour) while the workers still import: the
    worker that meets the bad setting says it and leaves without "failed to load", which
    crashed the stopping arbiter with a traceback; nothing is left in the temp folder."""
    temp = tmp_path / "gunicorn-tmp"
    temp.mkdir()
    env = {**_env(f"sqlite:///{tmp_path / 'sandbox.db'}", SANDBOX_SEED="abc"), "TMPDIR": str(temp)}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(_gunicorn(), env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while b"Booting worker" not in log.read_bytes():  # importing the app takes seconds
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    finally:
        server.kill()
    stderr = log.read_text()
    assert "Traceback" not in stderr
    assert _error_lines(stderr) == 1 and "SANDBOX_SEED must be an integer" in stderr
    assert not list(temp.iterdir())
    _assert_claim_released(server.pid)


@pytest.mark.parametrize(("settings", "expected"), BROKEN_STARTS)
@pytest.mark.parametrize("options", [(), ("--debug",)])
def test_flask_run_stops_in_one_line_on_a_bad_setting_or_database(
    tmp_path: Path, options: tuple[str, ...], settings: dict[str, str], expected: str
) -> None:
    stderr = _flask_run_refused(f"sqlite:///{tmp_path / 'sandbox.db'}", *options, **settings)
    assert expected in stderr


def test_gunicorn_stops_on_an_empty_postgres_database(tmp_path: Path) -> None:
    stderr = _refused(fresh_database_url("postgresql", tmp_path, "wsgi"), tmp_path)
    assert "Error: the database has no tables: run `bank-sandbox init-db` first" in stderr


def test_gunicorn_stops_on_an_older_schema_until_init_db_upgrades_it(tmp_path: Path) -> None:
    head = head_revision(MIGRATIONS)
    assert head is not None
    older = _revisions(MIGRATIONS)[head]  # the schema before this version's last migration
    assert older is not None
    url = f"sqlite:///{tmp_path / 'sandbox.db'}"
    _sandbox("flask", "--app", "sandbox", "db", "upgrade", older, database_url=url)
    stderr = _refused(url, tmp_path)
    assert f"schema is at revision {older}, this sandbox needs {head}: run `bank-sandbox" in stderr
    stderr = _flask_run_refused(url)
    assert f"schema is at revision {older}, this sandbox needs {head}: run `bank-sandbox" in stderr
    _sandbox("sandbox", "init-db", database_url=url)
    _serves(url, tmp_path)
