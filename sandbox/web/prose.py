"""Words for the end user's pages: Plaid writes some of its messages as its API does."""

from __future__ import annotations

import re


def sentences(text: str) -> str:
    """``text`` with each sentence begun in upper case and ended with a stop: some of
    Plaid's messages are written in lower case, like its API's."""
    text = re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m[1] + m[2].upper(), text.strip())
    return text if text.endswith((".", "!", "?")) else f"{text}."
