"""Starting and stopping the processes a benchmark measures, without probing for ports.

``serve`` writes its URL to a ready file; gunicorn binds port 0 and logs
"Listening at: http://…", which is read back from its log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
import sqlalchemy
import sqlalchemy.pool

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "bench-client-id"
SECRET = "bench-secret"
_LISTENING = re.compile(r"Listening at: (http://\S+)")


def sandbox_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a sandbox process: database, fixed keys, fixed seed.

    Rate limits are off: the benchmark measures the endpoint, not Plaid's 25/min balance limit.
    """
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SANDBOX_CLIENT_ID=CLIENT_ID,
        SANDBOX_SECRET=SECRET,
        SANDBOX_SEED="7",
        SANDBOX_SECRET_KEY="bench-secret-key",
        SANDBOX_RATE_LIMITS="off",
        SANDBOX_WEBHOOK_DISPATCHER="off",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def plaid_headers() -> dict[str, str]:
    """Plaid's authentication headers with the benchmark tenant's keys."""
    return {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}


def plaid_post(url: str, path: str, **body: Any) -> dict[str, Any]:
    """One Plaid call that must succeed; returns the JSON reply."""
    response = requests.post(url + path, json=body, headers=plaid_headers(), timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
    data: dict[str, Any] = response.json()
    return data


def init_db(env: Mapping[str, str]) -> None:
    """Migrate the database and create the default tenant, as compose does before gunicorn."""
    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "init-db"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"init-db failed ({done.returncode}):\n{done.stderr[-2000:]}")


@dataclass
class Server:
    """A server process and the base URL it listens on."""

    process: subprocess.Popen[bytes]
    url: str
    log: IO[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Terminate the process (gunicorn stops its workers) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_serve(env: Mapping[str, str], ready_file: Path, timeout: float = 60) -> Server:
    """``python -m sandbox serve --port 0 --ready-file F``; returns once F is written."""
    log_path = ready_file.with_suffix(".log")
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--ready-file",
            str(ready_file),
        ],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.perf_counter() + timeout
    while True:
        if ready_file.exists() and ready_file.stat().st_size:
            try:
                url = json.loads(ready_file.read_text())["url"]
                return Server(process, url, log)
            except (ValueError, KeyError):
                pass  # caught mid-write; read it again
        if process.poll() is not None or time.perf_counter() > deadline:
            process.kill()
            process.wait()
            log.close()
            raise RuntimeError(
                f"sandbox serve did not become ready (exit {process.returncode}):\n"
                + log_path.read_text(errors="replace")[-2000:]
            )
        time.sleep(0.002)


def start_gunicorn(
    app: str,
    env: Mapping[str, str],
    log_path: Path,
    *,
    workers: int,
    worker_class: str = "sync",
    extra: Sequence[str] = (),
    timeout: float = 60,
) -> Server:
    """gunicorn on 127.0.0.1 port 0 with the given settings; returns once it listens."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--bind",
            "127.0.0.1:0",
            "--chdir",
            str(ROOT),
            *extra,
            app,
        ],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and process.poll() is None:
        found = _LISTENING.search(log_path.read_text(errors="replace"))
        if found:
            server = Server(process, found.group(1), log)
            _wait_for_workers(server, deadline)
            return server
        time.sleep(0.02)
    process.kill()
    log.close()
    raise RuntimeError(f"gunicorn {app} did not start:\n{log_path.read_text()[-2000:]}")


def _wait_for_workers(server: Server, deadline: float) -> None:
    """Block until a request gets through (workers import the app after the bind)."""
    while time.perf_counter() < deadline:
        try:
            requests.get(server.url + "/", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # a busy machine imports slowly
            time.sleep(0.02)


def worker_pids(server: Server) -> list[int]:
    """gunicorn's workers: the children of the master process."""
    pid = server.process.pid
    return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU one process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def workers_cpu_seconds(server: Server) -> float:
    """User + system CPU the workers have used so far (Linux ``/proc``)."""
    total = 0
    for pid in worker_pids(server):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


class DatabaseServerCpu:
    """The CPU a PostgreSQL database's server processes spend, read from ``/proc``: each
    connection is one backend process, which does a statement's work on the same CPUs as
    the load. Usable when the server runs on this machine (the benchmarks' loopback one);
    elsewhere ``seconds`` is None."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._start: dict[int, float] | None = None

    def _backends(self) -> dict[int, float]:
        """CPU seconds so far of each backend serving the database, this query's excepted."""
        query = (
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        engine = sqlalchemy.create_engine(self._url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as connection:
                pids = connection.execute(sqlalchemy.text(query)).scalars().all()
        finally:
            engine.dispose()
        found = {}
        for pid in pids:
            # OSError: another machine's server, or a backend that just ended
            with contextlib.suppress(OSError):
                found[pid] = process_cpu_seconds(pid)
        return found

    def start(self) -> None:
        """Note where each backend's CPU stands."""
        self._start = self._backends()

    def seconds(self) -> float | None:
        """CPU seconds the backends spent since ``start`` (one born since: all of its own)."""
        assert self._start is not None, "start() first"
        now = self._backends()
        if not now:
            return None
        return sum(spent - self._start.get(pid, 0.0) for pid, spent in now.items())


def workers_rss_mb(server: Server) -> float:
    """The workers' resident memory in MB."""
    total_kb = 0
    for pid in worker_pids(server):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024
