"""Template helpers for the Link and bank pages: CSRF tokens and readable brand colours."""

from __future__ import annotations

from typing import Any

from . import csrf
from .blueprint import bp


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ink_on(background: str) -> str:
    """White or near-black text, whichever reads better on ``background`` (WCAG contrast)."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("#111111") + 0.05)
    return "#ffffff" if on_white >= on_dark else "#111111"


@bp.app_context_processor
def page_helpers() -> dict[str, Any]:
    """``csrf_token()`` and ``ink_on(colour)`` in every template."""
    return {"csrf_token": csrf.token, "ink_on": ink_on}
