"""TrueLayer's official Node client (``truelayer-client`` 1.3.2) against a served sandbox.

The client runs in its own Node process with only ``Constants.AUTH_URL`` and
``Constants.API_URL`` pointed at the sandbox (``truelayer_node/flow.js``): it builds the auth
link, the test walks the dialog as the user's browser would, and the client exchanges the
code, calls every Data API endpoint it has, refreshes its tokens and reports errors its own
way. npm installs the client once into pytest's cache directory (bounded by a timeout); the
test is skipped, saying why, only when npm or its registry cannot be reached.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from sandbox.testing import LiveSandbox

from .served import NODE_TIMEOUT, npm_folder

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent / "truelayer_node"
REDIRECT = "http://localhost:3000/callback"  # registered for every tenant's own client


@pytest.fixture(scope="session")
def node_client(request: pytest.FixtureRequest) -> Path:
    """A folder with ``flow.js`` and ``truelayer-client`` installed (cached between runs)."""
    folder = npm_folder(request, "truelayer-client-node", HERE, "truelayer-client")
    version = json.loads((folder / "node_modules/truelayer-client/package.json").read_text())
    assert version["version"] == "1.3.2"
    return folder


@pytest.fixture
def live() -> Iterator[LiveSandbox]:
    """A threaded sandbox server on a free port (SQLite, its own keys)."""
    with LiveSandbox({"WEBHOOK_DISPATCHER": "off"}) as server:
        yield server


def node(folder: Path, *args: str) -> dict[str, Any]:
    """Run ``flow.js`` with ``args``; its one JSON line."""
    done = subprocess.run(
        ["node", "flow.js", *args], cwd=folder, capture_output=True, text=True, timeout=NODE_TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sign_in(auth_url: str, username: str = "john", password: str = "doe") -> str:
    """The user's browser in the auth dialog (mock bank preselected); returns the code."""
    browser = requests.Session()
    opened = browser.get(auth_url, allow_redirects=False, timeout=10)
    assert opened.status_code == 303, opened.text
    dialog = urljoin(auth_url, opened.headers["Location"])
    for action, form in (("login", {"username": username, "password": password}), ("consent", {})):
        page = browser.get(dialog, timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf, page
        path = urlsplit(dialog).path
        posted = browser.post(
            urljoin(dialog, f"{path}/{action}"),
            data={"csrf_token": csrf[1], **form},
            allow_redirects=False,
            timeout=10,
        )
        assert posted.status_code in (302, 303), posted.text
    back = posted.headers["Location"]
    assert back.startswith(REDIRECT), back
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == ["e2e-state"]
    return query["code"][0]


def set_limits(live: LiveSandbox, enabled: bool) -> None:
    response = requests.put(
        f"{live.url}/control/rate-limits",
        json={"enabled": enabled},
        headers={"PLAID-CLIENT-ID": live.client_id, "PLAID-SECRET": live.secret},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_the_official_node_client_reads_every_endpoint(
    node_client: Path, live: LiveSandbox
) -> None:
    link = node(node_client, "authurl", live.url, live.client_id, REDIRECT)["url"]
    assert link.startswith(f"{live.url}/?response_type=code&client_id={live.client_id}")
    set_limits(live, False)  # the client cannot send X-PSU-IP: lift the unattended quota
    code = sign_in(link)
    got = node(node_client, "run", live.url, live.client_id, live.secret, REDIRECT, code)

    assert set(got["statuses"]) == {"Succeeded"}
    assert got["me"]["provider"]["provider_id"] == "mock" and got["info"]["full_name"]
    assert [a["account_type"] for a in got["accounts"]] == ["TRANSACTION", "SAVINGS"]
    assert [a["account_id"] for a in got["account"]] == [got["accounts"][0]["account_id"]]
    assert got["balance"]["currency"] == "GBP"
    assert got["transactions"][0]["running_balance"]["amount"] == got["balance"]["current"]
    assert all(t["amount"] < 0 for t in got["transactions"] if t["transaction_type"] == "DEBIT")
    assert got["standing_orders"] and got["direct_debits"]
    assert sorted(c["card_network"] for c in got["cards"]) == ["MASTERCARD", "VISA"]
    assert [c["account_id"] for c in got["card"]] == [got["cards"][0]["account_id"]]
    assert got["card_balance"]["credit_limit"] > 0
    assert got["card_transactions"]
    # pending rows depend on the day the test runs (the live clock): whatever there is, unbooked
    assert all("running_balance" not in t for t in got["card_pending"] + got["pending"])
    assert got["refreshed"] and got["accounts_after_refresh"] == 2
    assert got["not_found"]["error"] == "account_not_found"
    assert got["bad_range"]["error"] == "invalid_date_range"

    set_limits(live, True)
    quota = node(node_client, "quota", live.url, live.client_id, live.secret, got["refresh_token"])
    assert quota["outcomes"] == ["Succeeded"] * 4 + ["provider_request_limit_exceeded"]
