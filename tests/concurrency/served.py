"""A sandbox served by real processes (``serve``, or gunicorn plus a webhook worker).

The concurrency and crash tests talk to the server over HTTP from several threads, the way
an app and its SDK do, so SQLite's file locking, PostgreSQL's row locks and several worker
processes all take part. Nothing is written into the checkout: the database, the instance
folder's keys and the logs live in a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

CLIENT_ID = "concurrency-client"
SECRET = "concurrency-secret"
STARTUP_SECONDS = 60.0
THREADS = 8
GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass
class Served:
    """Server processes on one database; ``kill``/``start`` simulate a crash and a restart."""

    database_url: str
    workdir: Path
    kind: str = "serve"  # or "gunicorn" (2 workers, plus a ``worker`` process)
    extra_env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    spawned: int = 0  # processes started so far, so a restart writes new log and ready files

    def env(self) -> dict[str, str]:
        """The server's settings: fixed keys (nothing saved), no rate limits, a fast worker."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
        env.update(
            DATABASE_URL=self.database_url,
            SANDBOX_CLIENT_ID=CLIENT_ID,
            SANDBOX_SECRET=SECRET,
            SANDBOX_SECRET_KEY="concurrency-tests",
            SANDBOX_RATE_LIMITS="off",
            **self.extra_env,
        )
        return env

    def start(self) -> Served:
        """Start the processes and wait until the server answers."""
        if self.kind == "gunicorn":
            self._run(sys.executable, "-m", "sandbox", "init-db")
            self.url = self._spawn_gunicorn()
            self._spawn("worker", sys.executable, "-m", "sandbox", "worker")
        else:
            self.url = self._spawn_serve()
        return self

    def _run(self, *argv: str) -> None:
        subprocess.run(argv, env=self.env(), cwd=self.workdir, check=True, capture_output=True)

    def _spawn(self, name: str, *argv: str) -> Path:
        log = self.workdir / f"{name}-{self.spawned}.log"
        with log.open("wb") as handle:
            self.processes.append(
                subprocess.Popen(
                    argv, env=self.env(), cwd=self.workdir, stderr=handle, stdout=handle
                )
            )
        self.spawned += 1
        return log

    def _spawn_serve(self) -> str:
        ready = self.workdir / f"ready-{self.spawned}.json"
        log = self._spawn(
            "serve",
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--ready-file",
            str(ready),
        )
        self._wait(lambda: ready.exists() and ready.stat().st_size > 0, log)
        url: str = json.loads(ready.read_text())["url"]
        return url

    def _spawn_gunicorn(self) -> str:
        log = self._spawn(
            "gunicorn", str(GUNICORN), "--workers", "2", "--bind", "127.0.0.1:0", "sandbox.wsgi:app"
        )
        self._wait(lambda: b"Booting worker" in log.read_bytes(), log)
        port = re.search(rb"Listening at: http://127\.0\.0\.1:(\d+)", log.read_bytes())
        assert port, log.read_text()
        url = f"http://127.0.0.1:{int(port.group(1))}"
        self._wait(lambda: _answers(url), log)
        return url

    def _wait(self, ready: Callable[[], bool], log: Path) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL every process: no shutdown handler, no commit, no cleanup runs."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait()
        self.processes.clear()

    def stop(self) -> None:
        """Terminate the processes (SIGTERM, then SIGKILL if they linger)."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def logs(self) -> str:
        """Everything the processes wrote (shown when an assertion fails)."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.log")))

    def post(self, path: str, keys: tuple[str, str] = (CLIENT_ID, SECRET), **body: Any) -> Any:
        """POST JSON with Plaid's key headers; returns the ``requests`` response."""
        headers = {"PLAID-CLIENT-ID": keys[0], "PLAID-SECRET": keys[1]}
        return requests.post(f"{self.url}{path}", json=body, headers=headers, timeout=120)

    def ok(self, path: str, keys: tuple[str, str] = (CLIENT_ID, SECRET), **body: Any) -> Any:
        """POST and require a 200; returns the JSON body."""
        response = self.post(path, keys, **body)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def get(self, path: str, keys: tuple[str, str] = (CLIENT_ID, SECRET)) -> Any:
        """GET with Plaid's key headers (the control API); requires a 200, returns the JSON."""
        headers = {"PLAID-CLIENT-ID": keys[0], "PLAID-SECRET": keys[1]}
        response = requests.get(f"{self.url}{path}", headers=headers, timeout=120)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def tenant(self, seed: int = 7) -> tuple[str, str]:
        """A fresh tenant's keys, so each scenario starts from an empty state."""
        reply = requests.post(f"{self.url}/control/tenants", json={"seed": seed}, timeout=60)
        assert reply.status_code == 201, reply.text
        return reply.json()["client_id"], reply.json()["secret"]


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/control/health", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or a worker still booting
        return False


def hammer(
    calls: Iterable[Callable[[], requests.Response]], threads: int = THREADS
) -> list[requests.Response]:
    """Run the calls on ``threads`` threads at once; the replies in the calls' order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda call: call(), list(calls)))


def link(
    served: Served,
    keys: tuple[str, str],
    username: str = "user_good",
    products: tuple[str, ...] = ("transactions",),
) -> str:
    """A freshly exchanged access token of ``username`` (no read of the item yet)."""
    public = served.ok(
        "/sandbox/public_token/create",
        keys,
        institution_id="ins_109508",
        initial_products=list(products),
        options={"override_username": username, "override_password": "pass_good"},
    )["public_token"]
    token: str = served.ok("/item/public_token/exchange", keys, public_token=public)["access_token"]
    return token


def sync_all(served: Served, keys: tuple[str, str], token: str) -> list[dict[str, Any]]:
    """Every live transaction of the item, read by a full ``/transactions/sync`` from scratch."""
    live: dict[str, dict[str, Any]] = {}
    sync_chain(served, keys, token, "", live, count=500)
    return list(live.values())


def sync_chain(
    served: Served,
    keys: tuple[str, str],
    token: str,
    cursor: str,
    copy: dict[str, dict[str, Any]],
    count: int,
) -> str:
    """Apply one whole ``/transactions/sync`` chain from ``cursor`` to ``copy`` (id → row),
    strictly, as an app's store would: ``added`` is new to it, ``modified`` and ``removed``
    name a row in it; a chain the data moved under is restarted whole (Plaid's advice).
    Returns the cursor after it."""
    start, pages = cursor, []
    while not pages or pages[-1]["has_more"]:
        reply = served.post(
            "/transactions/sync", keys, access_token=token, cursor=cursor, count=count
        )
        if reply.status_code == 400:
            assert reply.json()["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
            cursor, pages = start, []
            continue
        assert reply.status_code == 200, reply.text
        pages.append(reply.json())
        cursor = pages[-1]["next_cursor"]
    for page in pages:
        for row in page["added"]:
            assert row["transaction_id"] not in copy, "added twice"
            copy[row["transaction_id"]] = row
        for row in page["modified"]:
            assert row["transaction_id"] in copy, "modified before added"
            copy[row["transaction_id"]] = row
        for row in page["removed"]:
            assert copy.pop(row["transaction_id"], None), "removed before added"
    return cursor
