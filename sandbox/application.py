"""The sandbox's Flask class: Flask, minus work it repeats on every request for nothing.

Flask asks ``inspect.iscoroutinefunction`` of every hook, view and teardown it runs
(``ensure_sync``), on every request: ten times a balance call, 3.1 us of CPU. A function's
answer never changes, so ``SandboxFlask`` asks once per function and keeps what Flask made
of it: the function itself, or Flask's wrapper for an ``async`` one (the sandbox has none,
but one added later still runs as Flask runs it). Only plain functions are kept, and at most
``KEPT_FUNCTIONS`` of them (the app registers a few hundred): a bound method may be of an
object made for one request (a class-based ``View``), and a closure may be made per call;
keeping those would keep every one of them alive.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask, Request, request

KEPT_FUNCTIONS = 1024


class SandboxFlask(Flask):
    """``Flask`` with ``ensure_sync`` decided once per function."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's ``ensure_sync(func)``, kept from the first time a plain function is asked
        about (hooks, views, error handlers, teardowns)."""
        if type(func) is not FunctionType:
            return super().ensure_sync(func)
        synced = self._synced.get(func)
        if synced is None:
            synced = super().ensure_sync(func)
            if len(self._synced) < KEPT_FUNCTIONS:
                self._synced[func] = synced
        return synced


def this_request() -> Request:
    """The request itself, for a hook that reads it several times: every use of Flask's
    ``request`` proxy looks the context up again (41 look-ups a balance call did)."""
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found
