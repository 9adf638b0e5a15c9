"""One Link `state` completed by 8 requests at once against a served demo app.

The flow row (`bc_link_flows`) is taken by one conditional UPDATE: of simultaneous
completions (Continue pressed twice, a reload racing the first request) one exchanges the
public token; every other lands on the connections page, naming the connection once the
first has made it, as a repeated completion does. Served by `bank-client serve` (threaded),
on a SQLite and a PostgreSQL store, so the database's own locking takes part.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from client.crypto import TokenCipher
from client.store.db import Store
from client.store.sessions import LinkFlow
from tests.concurrency.served import THREADS, hammer
from tests.conftest import DATABASES, fresh_database_url
from tests.e2e.test_compose_commands import BIN, free_port, start, wait_for

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class DemoApp:
    """`bank-client serve` on a fresh store, against a tenant of the live sandbox."""

    def __init__(self, workdir: Path, database: str, live: Any) -> None:
        keys = live.post("/control/tenants", seed=7).json()
        self.sandbox, self.keys = live.url, (keys["client_id"], keys["secret"])
        if database == "sqlite":
            self.db_url = f"sqlite:///{workdir / 'app.db'}"
        else:
            self.db_url = fresh_database_url("postgresql", workdir, "linkrace")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "BANK_CLIENT_DB": self.db_url,
            "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
            "PLAID_BASE_URL": live.url,
            "PLAID_CLIENT_ID": self.keys[0],
            "PLAID_SECRET": self.keys[1],
            "BANK_APP_USERS": "alice:demo",
            "BANK_APP_PUBLIC_URL": self.url,
        }
        self.log = workdir / "demo-app.log"
        self.process = start(["bank-client", "serve", "--port", str(port)], env, workdir, self.log)
        wait_for(self._answers, "the demo app answers", [self.log])

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def public_token(self) -> str:
        """What hosted Link hands back after the user signs in at First Platypus."""
        made = requests.post(
            f"{self.sandbox}/sandbox/public_token/create",
            json={"institution_id": "ins_109508", "initial_products": ["transactions"]},
            headers={"PLAID-CLIENT-ID": self.keys[0], "PLAID-SECRET": self.keys[1]},
            timeout=30,
        )
        assert made.status_code == 200, made.text
        return str(made.json()["public_token"])

    def link_state(self) -> str:
        """The `state` of the one Link flow the pages opened (it rides in Link's return URL,
        which only the provider is told)."""
        store = Store(self.db_url, create=False)
        try:
            with store.session() as session:
                (state,) = session.scalars(select(LinkFlow.state)).all()
                return state
        finally:
            store.close()


@pytest.fixture(params=DATABASES)
def demo_app(request: pytest.FixtureRequest, tmp_path: Path, live: Any) -> Iterator[DemoApp]:
    app = DemoApp(tmp_path, request.param, live)
    yield app
    app.stop()


def signed_in(app: DemoApp) -> tuple[requests.Session, str]:
    """alice, signed in through the sign-in form; and the CSRF token of her pages."""
    browser = requests.Session()
    form = CSRF.search(browser.get(f"{app.url}/signin", timeout=30).text)
    assert form is not None
    reply = browser.post(
        f"{app.url}/signin",
        data={"username": "alice", "password": "demo", "csrf_token": form[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert reply.status_code == 302, reply.text
    page = CSRF.search(browser.get(f"{app.url}/connections", timeout=30).text)
    assert page is not None
    return browser, page[1]


def test_one_state_completed_at_once_connects_one_bank(demo_app: DemoApp) -> None:
    browser, token = signed_in(demo_app)
    opened = browser.post(
        f"{demo_app.url}/connect",
        data={"csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert opened.status_code == 303 and "/link?token=" in opened.headers["Location"]
    finished = (
        f"{demo_app.url}/connections/complete?state={demo_app.link_state()}"
        f"&public_token={demo_app.public_token()}"
    )
    cookies = browser.cookies.get_dict()

    replies = hammer(
        lambda: requests.get(finished, cookies=cookies, allow_redirects=False, timeout=60)
        for _ in range(THREADS)
    )

    logs = demo_app.log.read_text(errors="replace")[-3000:]
    assert [r.status_code for r in replies] == [302] * THREADS, logs
    landed = [parse_qs(urlsplit(r.headers["Location"]).query).get("syncing") for r in replies]
    named = {int(ids[0]) for ids in landed if ids}
    listed = requests.get(
        f"{demo_app.url}/api/v1/connections", auth=("alice", "demo"), timeout=30
    ).json()["connections"]
    assert [c["id"] for c in listed] == list(named), (landed, listed)
    again = requests.get(finished, cookies=cookies, allow_redirects=False, timeout=60)
    assert again.headers["Location"].endswith(f"syncing={listed[0]['id']}"), "a later Continue"
