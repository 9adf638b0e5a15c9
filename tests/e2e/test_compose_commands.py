"""docker-compose.yml's own command lines, run without Docker against the local services.

The sandbox service's ``init-db && exec gunicorn …`` and the worker service's command run
as written, with the compose environment; only what Docker would provide changes: the
``postgres`` and ``redis`` host names become the test PostgreSQL and Redis, and port 8000
becomes a free one. Gunicorn starts no dispatcher, so a webhook that arrives proves the
worker service delivers. Both services' health checks run as compose would run them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import redis
import requests

from tests.conftest import fresh_database_url
from tests.unit.test_compose import interpolate, service

pytestmark = pytest.mark.e2e
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Receiver(BaseHTTPRequestHandler):
    """Collects webhook bodies POSTed to it."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        """Keep the body, answer 200."""
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[str]:
    """A local webhook receiver; yields its URL."""
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def compose_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The services' environment with Docker's host names swapped for the local services."""
    env = {k: str(v) for k, v in interpolate(service("sandbox")["environment"], {}).items()}
    env["DATABASE_URL"] = fresh_database_url("postgresql", tmp_path, "compose")
    env["SANDBOX_RATELIMIT_STORAGE_URL"] = REDIS_URL
    env["SANDBOX_WORKER_HEARTBEAT"] = str(tmp_path / "worker.alive")
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"  # `python`, `gunicorn` of this venv
    return {**os.environ, **env, "PATH": path, "SANDBOX_PORT": str(port)}


def start(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """One service's process, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def healthy(name: str, env: dict[str, str], port: int, cwd: Path) -> bool:
    """The service's compose health check, run as compose runs it (``CMD`` form)."""
    test = [part.replace(":8000/", f":{port}/") for part in service(name)["healthcheck"]["test"]]
    assert test[0] == "CMD"
    return subprocess.run(test[1:], env=env, cwd=cwd, capture_output=True).returncode == 0


def wait_for(check: Any, what: str, logs: list[Path], timeout: float = 60) -> None:
    """Poll ``check`` until it is true; fail with the services' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} within {timeout} s\n" + "\n".join(p.read_text()[-3000:] for p in logs))


def assert_rate_limits_are_counted_in_redis(url: str) -> None:
    """Plaid's 10 /institutions/get a minute per client hold across all gunicorn workers."""
    tenant = requests.post(f"{url}/control/tenants", json={"name": "compose"}, timeout=30).json()
    keys = {"PLAID-CLIENT-ID": tenant["client_id"], "PLAID-SECRET": tenant["secret"]}
    body = {"count": 1, "offset": 0, "country_codes": ["US"]}
    codes = [
        requests.post(f"{url}/institutions/get", json=body, headers=keys, timeout=30).status_code
        for _ in range(11)  # a new connection each, so the calls spread over the workers
    ]
    assert codes == [200] * 10 + [429]
    counters = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(counters.scan_iter(f"*{tenant['client_id']}*")), "no counter in Redis"
    finally:
        counters.close()


def test_compose_commands_serve_and_the_worker_delivers(tmp_path: Path, receiver: str) -> None:
    port = free_port()
    env = compose_env(tmp_path, port)
    command = service("sandbox")["command"]
    web_command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in command]
    logs = [tmp_path / "sandbox.log", tmp_path / "worker.log"]
    web = start(web_command, env, tmp_path, logs[0])
    worker: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: healthy("sandbox", env, port, tmp_path), "sandbox healthy", logs)
        worker = start(service("worker")["command"], env, tmp_path, logs[1])
        wait_for(lambda: healthy("worker", env, port, tmp_path), "worker healthy", logs)
        keys = {"PLAID-CLIENT-ID": env["SANDBOX_CLIENT_ID"], "PLAID-SECRET": env["SANDBOX_SECRET"]}
        created = requests.post(
            f"http://127.0.0.1:{port}/sandbox/public_token/create",
            json={
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
                "options": {"webhook": receiver},
            },
            headers=keys,
            timeout=30,
        )
        assert created.status_code == 200, created.text
        wait_for(lambda: bool(Receiver.received), "a webhook delivered by the worker", logs)
        assert {hook["webhook_type"] for hook in Receiver.received} <= {"TRANSACTIONS", "ITEM"}
        assert_rate_limits_are_counted_in_redis(f"http://127.0.0.1:{port}")
    finally:
        for process in (worker, web):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    assert worker is not None and worker.returncode == 0, logs[1].read_text()[-2000:]
    assert "webhook worker stopped" in logs[1].read_text()
