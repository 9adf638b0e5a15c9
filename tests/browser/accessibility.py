"""An automated accessibility check: axe-core (vendored, see vendor/axe-core/README.md) run in
the page by Playwright; serious and critical violations fail the test with their details."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = ("serious", "critical")
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")


@cache
def axe_source() -> str:
    """The vendored script, refused if it is not the recorded release."""
    data = AXE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE} is not axe-core 4.14.1 (sha256 {digest})"
    return data.decode()


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations of the page as it is now (WCAG 2.1 A and AA)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
        })).violations""",
        list(TAGS),
    )
    return [v for v in found if v.get("impact") in BLOCKING]


def assert_accessible(page: Page, label: str = "") -> None:
    """No serious or critical axe violation; the message lists rule, help and elements."""
    problems = violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in problems
    ]
    where = f"{label} ({page.url})" if label else page.url
    assert not problems, f"accessibility violations on {where}:\n" + "\n".join(lines)


def assert_no_sideways_scroll(page: Page, label: str = "") -> None:
    """The page fits the viewport's width (nothing forces horizontal scrolling)."""
    width, room, culprits = page.evaluate(
        """() => {
            const room = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > room + 0.5)
                .slice(0, 5)
                .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                    + ' ' + Math.round(el.getBoundingClientRect().right));
            return [document.documentElement.scrollWidth, room, wide];
        }"""
    )
    where = f"{label} ({page.url})" if label else page.url
    assert width <= room, f"{where} is {width} px wide in {room} px: {culprits}"
