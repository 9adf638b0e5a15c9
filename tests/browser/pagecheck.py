"""Checks every browser test runs on every page it visits: no sideways scroll, and no
serious or critical accessibility violation found by axe-core.

axe-core comes from the npm registry the way ``tests/install`` gets the Node SDK: ``npm
install`` of ``axe/package.json`` into a cache directory named after that file's digest
(``SANDBOX_TEST_CACHE``, default ``~/.cache/bank-sandbox-tests``), once per version.
Screenshots for the README go to ``docs/screenshots/`` only when ``SANDBOX_DOC_SHOTS=1``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

PACKAGE = Path(__file__).with_name("axe") / "package.json"
CACHE = Path(os.environ.get("SANDBOX_TEST_CACHE", Path.home() / ".cache/bank-sandbox-tests"))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BLOCKING = ("serious", "critical")
WIDTHS = (1280, 390)  # a laptop and a phone (iPhone 12-15 CSS width)
# The screenshots the README shows (the tests offer more; only these are written).
README_SHOTS = {
    "link-select-bank-phone",
    "link-mfa-device-phone",
    "link-wrong-password-phone",
    "link-success-phone",
    "bank-consent-update-phone",
    "dashboard-overview-desktop",
    "dashboard-overview-phone",
    "dashboard-item-desktop",
    "dashboard-transactions-desktop",
    "dashboard-try-link-result-desktop",
    "dashboard-webhooks-desktop",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


@cache
def axe_script() -> Path:
    """``axe.min.js``, installed into the cache on first use (a clear failure without npm)."""
    digest = hashlib.sha256(PACKAGE.read_bytes()).hexdigest()[:12]
    home = CACHE / f"axe-{digest}"
    script = home / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    if not shutil.which("npm"):
        pytest.fail("npm not found: install Node.js (apt-get install -y npm)", pytrace=False)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PACKAGE, home / "package.json")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=home,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return script


def check_page(page: Page, label: str) -> None:
    """Fail when the page scrolls sideways or axe finds a serious or critical violation."""
    page.wait_for_load_state("load")  # styles applied: a click may still be navigating
    wide = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{label}: {wide[0]} px wide in a {wide[1]} px window"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert blocking == [], f"{label}: accessibility violations {blocking}"


def doc_shot(page: Page, name: str) -> None:
    """A README screenshot (``docs/screenshots/<name>.png``) when ``SANDBOX_DOC_SHOTS=1``."""
    if os.environ.get("SANDBOX_DOC_SHOTS") == "1" and name in README_SHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS / f"{name}.png", full_page=True)
