"""Browser tier: Debian's Chromium driven by Playwright against a ``LiveSandbox``.

Chromium is never downloaded (no ``playwright install``): CI installs the ``chromium``
package and the tests launch ``/usr/bin/chromium``. Screenshots of every step go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plaid
import pytest
from flask import Flask
from plaid.api import plaid_api
from playwright.sync_api import Browser, Page, sync_playwright

from sandbox import testing
from sandbox.extensions import db
from sandbox.testing import LiveSandbox

from .pagecheck import WIDTHS

CHROMIUM = os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.browser


def _create_all(app: Flask) -> None:
    """The schema straight from the models (the browser tier does not test migrations)."""
    with app.app_context():
        db.create_all()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSandbox]:
    """One live sandbox for the browser tests (SQLite file, fixed keys, seed 7)."""
    path = tmp_path_factory.mktemp("browser") / "sandbox.db"
    config = {
        "DATABASE_URL": f"sqlite:///{path}",
        "SEED": 7,
        "SECRET_KEY": "browser-tests",
        "CLIENT_ID": "browser-client",
        "SECRET": "browser-secret",
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testing, "upgrade_schema", _create_all)
        server = LiveSandbox(config).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; a clear failure when it is not installed."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y "
            "chromium` (the browser tests never download a browser)",
            pytrace=False,
        )
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (own cookies) per test."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context at a laptop's and at a phone's width (``pagecheck.WIDTHS``); CSP is
    bypassed so ``pagecheck`` can add axe-core to the page."""
    width: int = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 900 if width > 600 else 844}, bypass_csp=True
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, page: Page, name: str) -> None:
        self.page, self.name, self.count = page, name, 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(
            path=SCREENSHOTS / f"{self.name}-{self.count:02d}-{step}.png", full_page=True
        )


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name.removeprefix("test_"))


@pytest.fixture
def sdk(live: LiveSandbox) -> Any:
    """The official plaid-python client pointed at the live sandbox."""
    configuration = plaid.Configuration(
        host=live.url, api_key={"clientId": live.client_id, "secret": live.secret}
    )
    api_client = plaid.ApiClient(configuration)
    yield plaid_api.PlaidApi(api_client)
    api_client.close()
