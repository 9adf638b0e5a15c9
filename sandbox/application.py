"""The sandbox's Flask class: Flask, minus work it repeats on every request for nothing.

Flask asks ``inspect.iscoroutinefunction`` of every hook, view and teardown it runs
(``ensure_sync``), on every request: ten times a balance call, 3% of its CPU. A function's
answer never changes, so ``SandboxFlask`` asks once per function and keeps what Flask made
of it: the function itself, or Flask's wrapper for an ``async`` one (the sandbox has none,
but one added later still runs as Flask runs it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, request


class SandboxFlask(Flask):
    """``Flask`` with ``ensure_sync`` decided once per function."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's ``ensure_sync(func)``, kept from the first time ``func`` is asked about
        (only registered functions are: hooks, views, error handlers, teardowns)."""
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


def this_request() -> Request:
    """The request itself, for a hook that reads it several times: every use of Flask's
    ``request`` proxy looks the context up again (41 look-ups a balance call did)."""
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found
