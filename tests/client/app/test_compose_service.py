"""The demo-app service's command line as docker-compose.yml writes it, run without Docker.

Only what Docker provides changes: the ``postgres`` and ``sandbox`` host names become the test
PostgreSQL and a live sandbox, and the ports free ones. The compose health check must pass,
and a bank linked through the API must end up synced by the app's own worker thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import fresh_database_url
from tests.e2e.test_compose_commands import BIN, free_port, start, wait_for
from tests.unit.test_compose import interpolate, service

pytestmark = pytest.mark.e2e


def app_env(tmp_path: Path, sandbox_url: str, port: int) -> dict[str, str]:
    """The service's environment with the compose network's names swapped for local ones."""
    env = {k: str(v) for k, v in interpolate(service("demo-app")["environment"], {}).items()}
    env["BANK_CLIENT_DB"] = fresh_database_url("postgresql", tmp_path, "demoapp")
    env["PLAID_BASE_URL"] = env["BANK_APP_LINK_URL"] = sandbox_url
    env["BANK_APP_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    env["BANK_APP_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/webhooks/plaid"
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, **env, "PATH": path}


def healthy(env: dict[str, str], port: int, cwd: Path) -> bool:
    """The service's compose health check, run as compose runs it (``CMD`` form)."""
    test = [
        part.replace(":8080/", f":{port}/") for part in service("demo-app")["healthcheck"]["test"]
    ]
    return subprocess.run(test[1:], env=env, cwd=cwd, capture_output=True).returncode == 0


def test_demo_app_command_serves_and_syncs(tmp_path: Path, live: Any) -> None:
    keys = live.post("/control/tenants", seed=7).json()
    port = free_port()
    env = app_env(tmp_path, live.url, port)
    env["PLAID_CLIENT_ID"], env["PLAID_SECRET"] = keys["client_id"], keys["secret"]
    command = [str(part).replace("8080", str(port)) for part in service("demo-app")["command"]]
    command[command.index("0.0.0.0")] = "127.0.0.1"
    log = tmp_path / "demo-app.log"
    app = start(command, env, tmp_path, log)
    base, alice = f"http://127.0.0.1:{port}", ("alice", "demo")
    try:
        wait_for(lambda: healthy(env, port, tmp_path), "demo app healthy", [log])
        link = requests.post(f"{base}/api/v1/connections", auth=alice, timeout=30).json()
        assert link["link_url"].startswith(f"{live.url}/link?token=")
        public = requests.post(
            f"{live.url}/sandbox/public_token/create",
            json={"institution_id": "ins_109508", "initial_products": ["transactions"]},
            headers={"PLAID-CLIENT-ID": keys["client_id"], "PLAID-SECRET": keys["secret"]},
            timeout=30,
        ).json()["public_token"]
        done = requests.post(
            f"{base}/api/v1/connections/complete",
            json={"public_token": public},
            auth=alice,
            timeout=30,
        )
        assert done.status_code == 201, done.text
        state_url = f"{base}/api/v1/connections/{done.json()['id']}/sync"

        def synced() -> bool:
            state = requests.get(state_url, auth=alice, timeout=30).json()
            return bool(state["state"] == "done" and state["run"]["added"] > 0)

        wait_for(synced, "the app's worker synced the new connection", [log])
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=30)
