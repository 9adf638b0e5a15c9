"""The README's shell blocks, pasted into bash as a reader would, against a served sandbox.

The curl session of the quick start, then the statement export and the client's import that
build on it, run in one bash process in a fresh folder: its ``instance/credentials.json``
holds the served sandbox's keys, as the checkout's does under ``make run``, and the blocks'
``localhost:8000`` becomes the served sandbox's address (the only edit). The commands come
from the README itself, so a block that stops working fails here.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .served import ROOT

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"


def bash_block(after: str) -> str:
    """The first ```bash block after the README line that starts with ``after``."""
    text = README.read_text()
    start = text.index(f"\n{after}")
    found = re.compile(r"```bash\n(.*?)```", re.S).search(text, start)
    assert found, f"no bash block after {after!r}"
    return found.group(1)


@pytest.fixture
def session(plaid_server: dict[str, Any], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder that looks like the checkout to the blocks, and the reader's environment."""
    instance = tmp_path / "instance"
    instance.mkdir()
    keys = {"client_id": plaid_server["client_id"], "secret": plaid_server["secret"]}
    (instance / "credentials.json").write_text(json.dumps(keys))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'bank-client.db'}",
    }
    env.pop("BANK_CLIENT_KEYS", None)  # the README says importing needs none
    return tmp_path, env


def test_curl_session_statement_export_and_import_work_as_pasted(
    plaid_server: dict[str, Any], session: tuple[Path, dict[str, str]]
) -> None:
    folder, env = session
    blocks = [
        bash_block("Try it with curl"),
        bash_block("dashboard), and the control API serves the same files."),
        bash_block("Into the client's database (`BANK_CLIENT_DB`"),
    ]
    script = "set -euo pipefail\n" + "\n".join(blocks)
    script = script.replace("localhost:8000", plaid_server["url"].removeprefix("http://"))
    done = subprocess.run(
        ["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert '"added": [' in out and '"has_more": true' in out  # the pretty-printed sync page
    assert '"statements": [' in out and '"statement_id": "stmt-' in out  # the monthly PDFs
    lines = (folder / "statement.csv").read_text().splitlines()
    would = re.search(r"statement\.csv \(generic\) -> account .*: would add (\d+)", out)
    added = re.search(r"statement\.csv \(generic\) -> account .*: added (\d+)", out)
    assert would and added, out
    assert int(would[1]) == int(added[1]) == len(lines) - 1 > 0  # every row but the header
    assert "dry run: nothing was stored" in out


def served_here(plaid_server: dict[str, Any], script: str) -> str:
    """``script`` aimed at the served sandbox: the README's port 8000 is the quick start's."""
    host = plaid_server["url"].removeprefix("http://")
    return script.replace("localhost:8000", host).replace("127.0.0.1:8000", host)


def test_quick_start_sdk_and_openapi_blocks_work_as_pasted(
    plaid_server: dict[str, Any], session: tuple[Path, dict[str, str]]
) -> None:
    """The official SDK's sync page and the OpenAPI summary, as the README prints them."""
    folder, env = session
    sdk = bash_block("Or with the official SDK").replace(".venv/bin/python", sys.executable)
    openapi = bash_block("exact shapes:")
    script = "set -euo pipefail\n" + served_here(plaid_server, sdk + openapi)
    done = subprocess.run(
        ["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    page, summary = done.stdout.splitlines()
    assert re.fullmatch(
        r"\[(\(datetime\.date\(\d+, \d+, \d+\), '[^']+', -?\d+\.\d+\)(, )?){3}\]", page
    )
    assert re.fullmatch(r"3\.1\.\d+ \d+ paths", summary), summary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_client_service_block_works_as_pasted(tmp_path: Path) -> None:
    """`Running the client as a service`: its own sandbox, the client's CLI and its worker.

    The block's fixed port 8000, ready file and worker port 9108 become free ones here (the
    only edits), so ``PLAID_BASE_URL`` names the sandbox's port, as the client's default
    ``http://127.0.0.1:8000`` does for the reader; the sandbox's keys and database stay out of
    the checkout's ``instance/``."""
    block = bash_block("start's `make run` first: this serves a sandbox on the same port):")
    sandbox_port, worker_port, ready = free_port(), free_port(), tmp_path / "sandbox.json"
    script = (
        block.replace("--port 8000", f"--port {sandbox_port}")
        .replace("/tmp/sandbox.json", str(ready))
        .replace("9108", str(worker_port))
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
        "SANDBOX_CLIENT_ID": "readme-client-id",
        "SANDBOX_SECRET": "readme-secret",
        "SANDBOX_SECRET_KEY": "readme-secret-key",
        "PLAID_BASE_URL": f"http://127.0.0.1:{sandbox_port}",  # the block's "your Plaid URL"
    }
    script = f"set -euo pipefail\n{script}wait %2; echo worker exited $?\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert f"http://127.0.0.1:{sandbox_port}/link?token=link-sandbox-" in out  # connect
    assert "connected: connection 1" in out and "connection 1: weekly" in out
    assert '"ok": true' in out and 'bank_jobs{status="done"}' in out  # /healthz, /metrics
    assert "healthy: yes" in out  # status
    assert "worker exited 0" in out
