"""Plaid's quickstart backend against a served sandbox, replayed through both official SDKs.

This replays the quickstart's calls because the quickstart's own code cannot be fetched
here (GitHub is unreachable; it is on neither PyPI nor npm) and must not be vendored into
this repository. ``quickstart_calls.QuickstartBackend`` (plaid-python) and
``plaid_node/quickstart.mjs`` (the ``plaid`` npm package) make the exact SDK calls of its
Python and Node backends, with their parameters and in their order, for every product option
(``PLAID_PRODUCTS``): transactions, auth, identity, investments (holdings and investment
transactions), liabilities, assets (create, poll get until ready, PDF), signal and
statements, each followed by the balance, item and accounts routes. Every session runs with
fresh keys (a new tenant, fixed seed), as a developer's quickstart would: the quickstart
evaluates Signal with the fixed ``client_transaction_id`` ``txn1234``, which Plaid accepts once.

Link is the one step not replayed from code: sessions link through
``/sandbox/public_token/create`` with the link token's products, and the quickstart's
default products, ``auth,transactions,signal``, go through the sandbox's hosted Link page in
real Chromium with the quickstart's own link token; the public token it hands over is
exchanged by the SDK and the default routes run on the item.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.conftest import ARGS, CHROMIUM

from .quickstart_calls import (
    DEFAULT_PRODUCTS,
    OPTIONS,
    QuickstartBackend,
    check_session,
    fingerprint,
    new_session,
)
from .served import NodeRun, run_node

pytestmark = pytest.mark.e2e


def _sessions_file(folder: Path, name: str, sessions: list[dict[str, Any]]) -> str:
    file = folder / f"sessions-{name}.json"
    file.write_text(json.dumps(sessions))
    return str(file)


@pytest.fixture(scope="module")
def node_started(
    plaid_server: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[NodeRun | None]:
    """Every product option's session through the Node SDK, one process started before the
    Python sessions so both run at once (``None`` without Node)."""
    try:
        folder: Path = request.getfixturevalue("node_sdk")
    except pytest.skip.Exception:
        yield None
        return
    sessions = [new_session(plaid_server, [option]) for option in OPTIONS]
    run = NodeRun(folder, "quickstart.mjs", "run", _sessions_file(folder, "options", sessions))
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.communicate()


@pytest.fixture(scope="module")
def python_runs(
    plaid_server: dict[str, Any], node_started: NodeRun | None
) -> dict[str, dict[str, Any]]:
    """Every product option's quickstart session through plaid-python."""
    return {
        option: QuickstartBackend(new_session(plaid_server, [option])).run() for option in OPTIONS
    }


@pytest.fixture(scope="module")
def node_runs(node_sdk: Path, node_started: NodeRun | None) -> dict[str, dict[str, Any]]:
    assert node_started is not None
    return dict(zip(OPTIONS, node_started.result(), strict=True))


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_python_quickstart_option_answers_with_real_data(
    python_runs: dict[str, dict[str, Any]], option: str
) -> None:
    check_session([option], python_runs[option], "python")


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_node_quickstart_option_answers_with_real_data(
    node_runs: dict[str, dict[str, Any]], option: str
) -> None:
    check_session([option], node_runs[option], "node")


def test_both_quickstarts_see_the_same_bank(
    python_runs: dict[str, dict[str, Any]], node_runs: dict[str, dict[str, Any]]
) -> None:
    """Same seed, same day: both SDKs' sessions see the same accounts, holdings and numbers."""
    for option in OPTIONS:
        assert fingerprint(python_runs[option]) == fingerprint(node_runs[option]), option


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def link_in_chromium(browser: Browser, url: str, link_token: str) -> str:
    """Hosted Link for ``link_token`` as a tester clicks through it (First Platypus Bank,
    ``user_good``); the public token the success pane hands over."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page: Page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{url}/link?token={link_token}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Plaid Quickstart uses Link")
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Search for your bank").fill("First Platypus Bank")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name=re.compile("First Platypus Bank")).first.click()
        page.get_by_label("Username").fill("user_good")
        page.get_by_label("Password").fill("pass_good")
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("heading", name="Success")).to_be_visible()
        token = page.locator("#public-token").text_content() or ""
    finally:
        context.close()
    assert token.startswith("public-sandbox-"), token
    return token


@pytest.mark.browser
def test_default_products_through_hosted_link_in_chromium(
    plaid_server: dict[str, Any], node_sdk: Path, chromium: Browser
) -> None:
    """``auth,transactions,signal``: the quickstart's link token, hosted Link, then its routes,
    once with each SDK's backend."""
    python_session = new_session(plaid_server, DEFAULT_PRODUCTS)
    backend = QuickstartBackend(python_session)
    link_token = backend.create_link_token()
    python_public = link_in_chromium(chromium, plaid_server["url"], link_token["link_token"])

    node_session = new_session(plaid_server, DEFAULT_PRODUCTS)
    file = _sessions_file(node_sdk, "default-link", [node_session])
    [node_link] = run_node(node_sdk, "quickstart.mjs", "link", file)
    public = link_in_chromium(chromium, plaid_server["url"], node_link["link_token"])
    node_session.update(public_token=public, link_token=node_link)
    file = _sessions_file(node_sdk, "default-run", [node_session])
    node_run = NodeRun(node_sdk, "quickstart.mjs", "run", file)

    check_session(DEFAULT_PRODUCTS, backend.run(python_public, link_token), "python")
    [node_out] = node_run.result()
    check_session(DEFAULT_PRODUCTS, node_out, "node")
    assert node_out["create_link_token"]["link_token"] == node_link["link_token"]
