"""Helpers the SDK end-to-end tests share: a served sandbox process, the official SDKs.

``served_sandbox`` starts ``python -m sandbox serve --port 0 --ready-file`` (the way a
developer runs it) and yields the ready file's URL and keys; ``sdk_client`` points
plaid-python at it; ``plaid_node`` installs the official Node SDK (``plaid`` from npm) once
into pytest's cache directory and ``run_node`` runs one of the scripts of ``plaid_node/``
against the ready file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import plaid
import pytest
import requests
from plaid.api import plaid_api

ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPTS = Path(__file__).parent / "plaid_node"
READY_TIMEOUT = 60.0  # a cold start with migrations on a loaded CI machine
NPM_TIMEOUT = 240
NODE_TIMEOUT = 120
UNREACHABLE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network", re.I)


@contextmanager
def served_sandbox(database_url: str, workdir: Path, **settings: str) -> Iterator[dict[str, Any]]:
    """A ``sandbox serve`` process on a free port; yields its ready file (``url``, keys and
    ``ready_file``, the path a Node script reads). ``settings`` are ``SANDBOX_*`` variables."""
    ready = workdir / "ready.json"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SANDBOX_CLIENT_ID": "e2e-client-id",
        "SANDBOX_SECRET": "e2e-secret",
        "SANDBOX_SECRET_KEY": "e2e-secret-key",  # nothing written into the checkout's instance/
        **{f"SANDBOX_{key}": value for key, value in settings.items()},
    }
    command = [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--ready-file", str(ready)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not (ready.exists() and ready.read_text().strip()):
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"sandbox exited with {process.returncode}: {stderr[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"sandbox did not write {ready} within {READY_TIMEOUT} s")
            time.sleep(0.05)
        yield {**json.loads(ready.read_text()), "ready_file": str(ready)}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def sdk_client(server: dict[str, Any]) -> plaid_api.PlaidApi:
    """plaid-python with only the host changed."""
    configuration = plaid.Configuration(
        host=server["url"],
        api_key={"clientId": server["client_id"], "secret": server["secret"]},
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


def error_body(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Plaid's error object of a call that must fail (``plaid.ApiException``)."""
    with pytest.raises(plaid.ApiException) as caught:
        call(*args, **kwargs)
    body: dict[str, Any] = json.loads(caught.value.body)
    assert body["request_id"] and body["error_type"], body
    return {**body, "status": caught.value.status}


def _control(server: dict[str, Any], path: str, **params: str) -> Any:
    reply = requests.get(
        f"{server['url']}/control/{path}",
        params=params,
        headers={"PLAID-CLIENT-ID": server["client_id"], "PLAID-SECRET": server["secret"]},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def webhooks_of(server: dict[str, Any], item_id: str) -> list[tuple[str, str]]:
    """``(webhook_type, webhook_code)`` of every webhook queued for ``item_id``, oldest first
    (read through the control API)."""
    log = _control(server, "webhooks", item_id=item_id)["webhooks"]
    return [(w["webhook_type"], w["webhook_code"]) for w in reversed(log)]


def webhook_bodies(server: dict[str, Any], webhook_type: str) -> list[dict[str, Any]]:
    """The bodies of the tenant's queued webhooks of ``webhook_type`` (Assets webhooks name a
    report, not an item)."""
    log = _control(server, "webhooks", limit="500")["webhooks"]
    return [
        json.loads(_control(server, f"webhooks/{w['id']}")["webhook"]["body"])
        for w in log
        if w["webhook_type"] == webhook_type
    ]


def npm_folder(request: pytest.FixtureRequest, name: str, sources: Path, package: str) -> Path:
    """A folder in pytest's cache (``name``) with the ``package.json`` and scripts of
    ``sources`` and ``package`` installed at the version that ``package.json`` pins (kept
    between runs); skips, saying why, only when node/npm or the npm registry are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    cache = getattr(request.config, "cache", None)  # none under -p no:cacheprovider
    folder = (
        Path(cache.mkdir(name))
        if cache is not None
        else Path(tempfile.gettempdir()) / f"bank-sandbox-{name}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources.iterdir():
        if source.suffix in (".json", ".js", ".mjs"):
            shutil.copy2(source, folder / source.name)
    wanted = json.loads((sources / "package.json").read_text())["dependencies"][package]
    installed = folder / "node_modules" / package / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        try:
            done = subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install took over {NPM_TIMEOUT} s (registry unreachable?)")
        if done.returncode != 0:
            if UNREACHABLE.search(done.stderr):
                pytest.skip(f"the npm registry is unreachable: {done.stderr.strip()[-300:]}")
            pytest.fail(f"npm install failed:\n{done.stderr}")
    assert json.loads(installed.read_text())["version"] == wanted
    return folder


def plaid_node(request: pytest.FixtureRequest) -> Path:
    """The official Node SDK (``plaid`` from npm) with the scripts of ``plaid_node/``."""
    return npm_folder(request, "plaid-sdk-node", NODE_SCRIPTS, "plaid")


class NodeRun:
    """``node script args...`` started in the SDK folder; ``result`` waits for its one JSON
    line on stdout. Starting it before a Python run lets both SDKs work at once."""

    def __init__(self, folder: Path, script: str, *args: str) -> None:
        self.command = f"node {script} {' '.join(args)}"
        self.process = subprocess.Popen(
            ["node", script, *args],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> Any:
        try:
            stdout, stderr = self.process.communicate(timeout=NODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            pytest.fail(f"{self.command} did not finish within {NODE_TIMEOUT} s")
        assert self.process.returncode == 0, f"{self.command}:\n{stderr[-4000:]}"
        return json.loads(stdout)


def run_node(folder: Path, script: str, *args: str) -> Any:
    """Run ``script`` with ``args`` in the Node SDK folder; its one JSON line on stdout."""
    return NodeRun(folder, script, *args).result()


def sessions_file(folder: Path, name: str, sessions: list[dict[str, Any]]) -> str:
    """Write quickstart sessions for ``plaid_node/quickstart.mjs``; the file's path."""
    file = folder / f"sessions-{name}.json"
    file.write_text(json.dumps(sessions))
    return str(file)
