"""The wheel stage: the project as a user installs it, away from the checkout.

Builds the sdist and, from it, the wheel; installs the wheel (extra ``testing``) into a
fresh venv in a temp dir and, from there: checks the console scripts, serves
``bank-sandbox serve --port 0 --ready-file``, drives the official Python and Node SDKs
through link, exchange and a full ``/transactions/sync``, then runs ``user_project/``
(a throwaway app's tests using only the README's fixtures) on SQLite and PostgreSQL with
two seeds, and checks that the same seed gives the same transaction ids across runs,
orders and databases.

Stdlib only: ``python3.11 tests/install/wheel_stage.py`` (``.ci/wheel-stage`` runs it).
``WHEEL_STAGE_POSTGRES_URL`` names a server database to drop and create (default: the
``TEST_POSTGRES_URL`` database with ``_wheel`` appended).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED, OTHER_SEED = 11, 12
WHEEL_MUST_HAVE = (
    "sandbox/_seeds/institutions.json",
    "sandbox/_seeds/personas.json",
    "sandbox/_seeds/categories.json",
    "sandbox/_seeds/pfc.json",
    "sandbox/_seeds/merchants.json",
    "sandbox/_seeds/logos/ins_109508.png",
    "sandbox/web/templates/base.html",
    "sandbox/web/static/site.css",
    "sandbox/migrations/env.py",
    "sandbox/migrations/alembic.ini",
)
TIMINGS: list[tuple[str, float]] = []
# One instant for every run's frozen clock: midnight UTC two days after the stage starts.
FROZEN_AT = (
    dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    + dt.timedelta(days=2)
).isoformat()


@contextmanager
def step(name: str) -> Iterator[None]:
    """Print and time one step of the stage."""
    print(f"--- wheel stage: {name}", flush=True)
    started = time.monotonic()
    yield
    TIMINGS.append((name, time.monotonic() - started))


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, echo its output on failure, return its stdout."""
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(
            f"FAILED ({done.returncode}): {' '.join(map(str, command))}\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout


def copy_checkout(target: Path) -> Path:
    """The tracked and new (not ignored) files: what a clone plus local edits holds."""
    listed = run("git", "ls-files", "-z", "-c", "-o", "--exclude-standard", cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build(work: Path) -> Path:
    """sdist, then the wheel built from the sdist (python -m build's default)."""
    tools = work / "build-venv"
    run(sys.executable, "-m", "venv", tools, cwd=work)
    run(tools / "bin/python", "-m", "pip", "install", "-q", "build", cwd=work)
    source = copy_checkout(work / "src")
    run(tools / "bin/python", "-m", "build", "--outdir", work / "dist", source, cwd=work)
    sdist = next((work / "dist").glob("*.tar.gz"))
    assert sdist.stat().st_size > 0
    wheel = next((work / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in WHEEL_MUST_HAVE if n not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert any(n.startswith("sandbox/migrations/versions/") for n in names), "no migrations"
    assert not any(n.startswith(("seeds/", "tests/")) for n in names), "stray top-level data"
    print(f"    {wheel.name}: {len(names)} files, seeds, templates and migrations included")
    return wheel


def install(work: Path, wheel: Path) -> Path:
    """A fresh venv outside the checkout with the wheel and its ``testing`` extra."""
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=work)
    run(venv / "bin/python", "-m", "pip", "install", "-q", f"{wheel}[testing]", cwd=work)
    return venv


def console_scripts(venv: Path, work: Path, wheel: Path) -> None:
    """Our version and help; ``bank-client``, and ``serve`` with a Redis rate-limit store,
    name their extra until it is installed."""
    version = run(venv / "bin/bank-sandbox", "--version", cwd=work).strip()
    assert version.startswith("bank-sandbox, version "), version
    usage = run(venv / "bin/bank-sandbox", "--help", cwd=work)
    assert "serve" in usage and "--env-file" not in usage, usage
    bare = subprocess.run(
        [venv / "bin/bank-client", "--help"], cwd=work, capture_output=True, text=True
    )
    assert bare.returncode != 0 and "Traceback" not in bare.stderr, bare.stderr
    assert len(bare.stderr.strip().splitlines()) == 1 and "[client]" in bare.stderr, bare.stderr
    no_redis = subprocess.run(
        [venv / "bin/bank-sandbox", "serve", "--port", "0"],
        cwd=work,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'no-redis.db'}",
            "SANDBOX_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/0",
        },
        capture_output=True,
        text=True,
    )
    assert no_redis.returncode == 1 and "Traceback" not in no_redis.stderr, no_redis.stderr
    assert "pip install 'bank-sandbox[redis]'" in no_redis.stderr, no_redis.stderr
    run(venv / "bin/python", "-m", "pip", "install", "-q", f"{wheel}[client]", cwd=work)
    assert "Usage: bank-client" in run(venv / "bin/bank-client", "--help", cwd=work)
    print(f"    {version}; bank-client without its extra: {bare.stderr.strip()!r}; with it: ok")
    print(f"    a Redis rate-limit store without the redis extra: {no_redis.stderr.strip()!r}")


@contextmanager
def served(venv: Path, cwd: Path) -> Iterator[Path]:
    """``bank-sandbox serve --port 0 --ready-file`` from the venv; yields the ready file."""
    ready = cwd / "ready.json"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{cwd / 'served.db'}", "SANDBOX_SEED": "3"}
    command = [venv / "bin/bank-sandbox", "serve", "--port", "0", "--ready-file", ready]
    log = (cwd / "serve.log").open("w")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not ready.exists():
            sys.exit(f"bank-sandbox serve wrote no ready file:\n{(cwd / 'serve.log').read_text()}")
        url = json.loads(ready.read_text())["url"]
        with urllib.request.urlopen(f"{url}/control/health", timeout=10) as reply:
            assert json.load(reply)["status"] == "ok"
        print(f"    serving at {url}, /control/health ok")
        yield ready
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def sdk_flows(venv: Path, work: Path, ready: Path) -> None:
    """plaid-python and the Node SDK: link, exchange, the whole /transactions/sync."""
    python = json.loads(run(venv / "bin/python", HERE / "sdk_flow.py", ready, cwd=work))
    print(f"    plaid-python: {python['added']} transactions in {python['pages']} page(s)")
    node = work / "node"
    node.mkdir()
    for name in ("package.json", "node_flow.mjs"):
        shutil.copy2(HERE / name, node / name)
    run("npm", "install", "--no-audit", "--no-fund", "--loglevel=error", cwd=node)
    flow = json.loads(run("node", "node_flow.mjs", ready, cwd=node))
    version = json.loads((node / "node_modules/plaid/package.json").read_text())["version"]
    print(f"    plaid (node) {version}: {flow['added']} transactions in {flow['pages']} page(s)")
    print(f"    plaid (node) products: {', '.join(sorted(flow['called']))}")


def postgres_url() -> str:
    """The PostgreSQL database the user project may drop and create."""
    explicit = os.environ.get("WHEEL_STAGE_POSTGRES_URL")
    if explicit:
        return explicit
    base = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return f"{base}_wheel"


def recreate_database(venv: Path, url: str, work: Path) -> None:
    """Drop and create the database with the venv's psycopg (a dependency of the wheel)."""
    server, _, name = url.rpartition("/")
    code = (
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1] + '/postgres', autocommit=True) as c:\n"
        "    c.execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')\n"
        "    c.execute(f'CREATE DATABASE \"{sys.argv[2]}\"')\n"
    )
    run(venv / "bin/python", "-c", code, server, name, cwd=work)


def user_run(
    venv: Path, project: Path, work: Path, label: str, seed: int, *extra: str
) -> dict[str, str]:
    """One pytest run of the user project; returns each test's recorded transaction ids."""
    report = work / f"junit-{label}.xml"
    run(
        venv / "bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
        f"--junitxml={report}", "-o", "junit_family=xunit1", f"--sandbox-seed={seed}", *extra,
        cwd=project,
        env={"PYTHONDONTWRITEBYTECODE": "1", "FROZEN_AT": FROZEN_AT},
    )  # fmt: skip
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None, f"no test suite in {report}"
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    not_passed = counts["failures"] + counts["errors"] + counts["skipped"]
    assert counts["tests"] > 0 and not_passed == 0, f"{label}: {counts}"
    cases = suite.iter("testcase")
    recorded = {
        case.get("name", ""): " ".join(
            p.get("value", "") for p in case.iter("property") if p.get("name") == "transaction_ids"
        )
        for case in cases
    }
    print(f"    {label}: {counts['tests']} passed, none skipped")
    return recorded


def user_project(venv: Path, work: Path) -> None:
    """The README's fixtures on SQLite and PostgreSQL; same seed, same ids; another, other ids."""
    project = work / "project"
    shutil.copytree(HERE / "user_project", project)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    pg = postgres_url()
    recreate_database(venv, pg, work)
    runs = {"sqlite": user_run(venv, project, work, "sqlite", SEED)}
    order = [f"test_my_app.py::{name}" for name in reversed(list(runs["sqlite"]))]
    runs["sqlite-reversed"] = user_run(venv, project, work, "sqlite-reversed", SEED, *order)
    pg_option = f"--sandbox-database-url={pg}"
    runs["postgresql"] = user_run(venv, project, work, "postgresql", SEED, pg_option)
    runs["postgresql-reused-reversed"] = user_run(
        venv, project, work, "postgresql-reused-reversed", SEED, pg_option, *order
    )
    other = {
        "sqlite": user_run(venv, project, work, f"sqlite-seed-{OTHER_SEED}", OTHER_SEED),
        "postgresql": user_run(venv, project, work, "pg-other", OTHER_SEED, pg_option),
    }
    compare(runs, other)
    after = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert after == before, f"the tests wrote into the user's project: {set(after) - set(before)}"


def compare(same: dict[str, dict[str, str]], other: dict[str, dict[str, str]]) -> None:
    """Equal ids for the same seed everywhere; other ids for another seed (pinned tests aside)."""
    reference = same["sqlite"]
    recorded = {name: ids for name, ids in reference.items() if ids}
    assert len(recorded) >= 3, f"too few tests recorded ids: {reference}"
    for label, ids in same.items():
        assert ids == reference, f"seed {SEED}: {label} gave other ids than sqlite"
    for label, ids in other.items():
        for name, value in recorded.items():
            pinned = "pinned_seed" in name
            assert (ids[name] == value) == pinned, f"seed {OTHER_SEED} ({label}) {name}"
    total = sum(len(v.split()) for v in recorded.values())
    print(
        f"    seed {SEED}: {total} transaction ids identical across {len(same)} runs "
        f"(SQLite, PostgreSQL, reversed order, reused database); seed {OTHER_SEED}: different"
    )


def main() -> None:
    """Run every step in a temp dir outside the checkout, then print the timings."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wheel-stage-") as tmp:
        work = Path(tmp)
        with step("build sdist and wheel"):
            wheel = build(work)
        with step("install the wheel into a fresh venv"):
            venv = install(work, wheel)
        with step("console scripts"):
            console_scripts(venv, work, wheel)
        with step("official SDKs against bank-sandbox serve"), served(venv, work) as ready:
            sdk_flows(venv, work, ready)
        with step("user project on SQLite and PostgreSQL"):
            user_project(venv, work)
    for name, seconds in TIMINGS:
        print(f"    {seconds:6.1f} s  {name}")
    print(f"wheel stage passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
