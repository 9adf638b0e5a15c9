"""Checks every browser test runs on every page it visits: no sideways scroll, and no
serious or critical accessibility violation found by axe-core (the vendored copy that
``accessibility`` checks against its recorded digest: no network needed).
Screenshots for the README go to ``docs/screenshots/`` only when ``SANDBOX_DOC_SHOTS=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.accessibility import assert_accessible, assert_no_sideways_scroll

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = (1280, 390)  # a laptop and a phone (iPhone 12-15 CSS width)
# The screenshots the README shows (the tests offer more; only these are written).
README_SHOTS = {
    "link-select-bank-phone",
    "link-mfa-device-phone",
    "link-wrong-password-phone",
    "link-success-phone",
    "link-select-account-phone",
    "link-js-overlay-desktop",
    "bank-consent-update-phone",
    "dashboard-overview-desktop",
    "dashboard-overview-phone",
    "dashboard-item-desktop",
    "dashboard-transactions-desktop",
    "dashboard-try-link-result-desktop",
    "dashboard-webhooks-desktop",
}


def check_page(page: Page, label: str) -> None:
    """Fail when the page scrolls sideways or axe finds a serious or critical violation."""
    page.wait_for_load_state("load")  # styles applied: a click may still be navigating
    assert_no_sideways_scroll(page, label)
    assert_accessible(page, label)


def doc_shot(page: Page, name: str) -> None:
    """A README screenshot (``docs/screenshots/<name>.png``) when ``SANDBOX_DOC_SHOTS=1``."""
    if os.environ.get("SANDBOX_DOC_SHOTS") == "1" and name in README_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / f"{name}.png", full_page=True)
