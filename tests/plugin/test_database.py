"""Where the plugin's sandbox keeps its data: never in the project or the checkout.

SQLite in pytest's temp dir by default; with ``--sandbox-database-url`` a private
PostgreSQL schema per session (per xdist worker), dropped at the end of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

import sandbox
from tests.conftest import DATABASES, POSTGRES_URL

from .inner import run

CHECKOUT_INSTANCE = Path(sandbox.__file__).resolve().parent.parent / "instance"

USES_EVERYTHING = """
import os
import pathlib

def test_everything(bank_sandbox, sandbox_tenant, webhook_catcher, sync_engine):
    sandbox_tenant.link_item(webhook=webhook_catcher.url)
    assert webhook_catcher.codes() == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
    sync_engine.sync(sync_engine.connect_sandbox("ins_109508", days_requested=30))
    url = bank_sandbox.app.config["SQLALCHEMY_DATABASE_URI"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    pathlib.Path(os.environ["URLS_OUT"], worker).write_text(url)
"""


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time (bytecode caches and
    pytester's capture of the child's output aside)."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.relative_to(folder).parts not in {("stdout",), ("stderr",)}
    }


def test_plugin_writes_nothing_into_the_project_or_the_checkout(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URLS_OUT", str(tmp_path))
    # The child is a plain session: under xdist it would take this worker's name as its own.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    pytester.makepyfile(USES_EVERYTHING)
    project, instance = snapshot(pytester.path), snapshot(CHECKOUT_INSTANCE)
    basetemp = tmp_path / "basetemp"  # the child's temp dir, outside the project
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error", "--basetemp", str(basetemp)
    )
    result.assert_outcomes(passed=1)
    assert snapshot(pytester.path) == project
    assert snapshot(CHECKOUT_INSTANCE) == instance
    database = (tmp_path / "main").read_text()
    assert database.startswith("sqlite:///")
    assert Path(database.removeprefix("sqlite:///")).is_relative_to(basetemp)


@pytest.mark.skipif(
    "postgresql" not in DATABASES, reason="SANDBOX_TEST_DATABASES excludes postgresql"
)
def test_postgresql_schema_per_worker_is_dropped_after_the_session(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("URLS_OUT", str(tmp_path))
    monkeypatch.setenv("SANDBOX_PYTEST_DATABASE_URL", POSTGRES_URL)
    pytester.makepyfile(USES_EVERYTHING.replace("def test_everything", "def test_one"))
    pytester.makepyfile(test_two=USES_EVERYTHING.replace("def test_everything", "def test_two"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "-n", "2")
    result.assert_outcomes(passed=2)
    schemas = {(tmp_path / w).read_text().split("search_path%3D")[1] for w in ("gw0", "gw1")}
    assert len(schemas) == 2 and all(s.startswith("bank_sandbox_gw") for s in schemas)
    with psycopg.connect(POSTGRES_URL) as conn:
        left = conn.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY(%s)",
            (list(schemas),),
        ).fetchall()
    assert left == []


@pytest.mark.parametrize(
    ("option", "environment"),
    [(("--sandbox-database-url", "sqlite:///sandbox.db"), {}), ((), {"mysql://db/x": None})],
)
def test_a_database_url_that_is_not_postgresql_is_a_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    option: tuple[str, ...],
    environment: dict[str, None],
) -> None:
    for url in environment:
        monkeypatch.setenv("SANDBOX_PYTEST_DATABASE_URL", url)
    result = run(pytester, "def test_never_runs():\n    pass\n", *option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sandbox-database-url*must be a postgresql:// URL*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not os.path.exists(pytester.path / "sandbox.db")
