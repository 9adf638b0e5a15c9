"""Plaid quickstart's default products through hosted Link in Chromium, with both SDKs.

The quickstart's code cannot be fetched or vendored here, so its backend's calls are
replayed (``tests/e2e/quickstart_calls.py`` for plaid-python, ``tests/e2e/plaid_node/
quickstart.mjs`` for the Node SDK). With ``PLAID_PRODUCTS=auth,transactions,signal`` its
``/api/create_link_token`` makes the link token; a tester clicks through the sandbox's
Link page for that token (First Platypus Bank, ``user_good``); the public token Link hands
over goes to ``/api/set_access_token``, then the auth, transactions, signal, balance, item
and accounts routes must answer with real data. Each SDK's run has its own keys (a fresh
tenant), as two developers' quickstarts would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from sandbox.testing import LiveSandbox
from tests.e2e.quickstart_calls import (
    DEFAULT_PRODUCTS,
    QuickstartBackend,
    check_session,
    new_session,
)
from tests.e2e.served import NodeRun, plaid_node, run_node, sessions_file

from .test_link_flows import pick, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def node_sdk(request: pytest.FixtureRequest) -> Path:
    return plaid_node(request)


def link_in_chromium(browser: Browser, url: str, link_token: str) -> str:
    """Link for ``link_token`` as a tester clicks through it; the public token the success
    pane shows (the quickstart's link token has no completion redirect)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{url}/link?token={link_token}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Plaid Quickstart uses Link")
        page.get_by_role("button", name="Continue").click()
        pick(page, "First Platypus Bank", lambda _step: None)
        sign_in(page)
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_role("heading", name="Success")).to_be_visible()
        token = page.locator("#public-token").text_content() or ""
    finally:
        context.close()
    assert token.startswith("public-sandbox-"), token
    return token


def test_quickstart_default_products_through_hosted_link(
    browser: Browser, live: LiveSandbox, node_sdk: Path
) -> None:
    server: dict[str, Any] = {"url": live.url}
    backend = QuickstartBackend(new_session(server, DEFAULT_PRODUCTS))
    link_token = backend.create_link_token()
    python_public = link_in_chromium(browser, live.url, link_token["link_token"])

    node_session = new_session(server, DEFAULT_PRODUCTS)
    file = sessions_file(node_sdk, "default-link", [node_session])
    [node_link] = run_node(node_sdk, "quickstart.mjs", "link", file)
    node_public = link_in_chromium(browser, live.url, node_link["link_token"])
    node_session.update(public_token=node_public, link_token=node_link)
    node_run = NodeRun(
        node_sdk, "quickstart.mjs", "run", sessions_file(node_sdk, "default-run", [node_session])
    )

    check_session(DEFAULT_PRODUCTS, backend.run(python_public, link_token), "python")
    [node_out] = node_run.result()
    check_session(DEFAULT_PRODUCTS, node_out, "node")
    assert node_out["create_link_token"]["link_token"] == node_link["link_token"]
