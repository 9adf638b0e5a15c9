"""``SandboxFlask``: Flask's ``ensure_sync`` decided once per function, with Flask's answer."""

from __future__ import annotations

from typing import Any

import flask.app
import pytest

from sandbox import create_app
from sandbox.application import KEPT_FUNCTIONS, SandboxFlask


def test_the_sandbox_is_built_as_a_sandbox_flask() -> None:
    assert isinstance(
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "k"}), SandboxFlask
    )


def test_a_function_is_inspected_once_and_runs_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    inspected: list[Any] = []
    real = flask.app.iscoroutinefunction

    def counting(func: Any) -> bool:
        inspected.append(func)
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)
    app = SandboxFlask(__name__)

    def view() -> str:
        return "ok"

    assert [app.ensure_sync(view) for _ in range(3)] == [view, view, view]
    assert inspected == [view]


def test_an_async_function_meets_flasks_own_answer_every_time() -> None:
    """Without Flask's ``async`` extra (the sandbox does not install it), Flask refuses an
    ``async`` view when it runs it; nothing is kept that would let it run as a plain one."""
    app = SandboxFlask(__name__)

    async def view() -> str:
        return "ok"

    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(view)


def test_bound_methods_and_functions_past_the_limit_are_not_kept() -> None:
    """A bound method may be of an object made per request, a closure made per call: kept,
    each would live as long as the app."""
    app = SandboxFlask(__name__)

    class View:
        def get(self) -> str:
            return "ok"

    assert app.ensure_sync(View().get)() == "ok"
    for _ in range(KEPT_FUNCTIONS + 10):

        def closure() -> str:
            return "ok"

        assert app.ensure_sync(closure) is closure
    assert len(app._synced) == KEPT_FUNCTIONS
    assert all(type(func).__name__ == "function" for func in app._synced)
