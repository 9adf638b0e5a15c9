"""Plaid's quickstart backend against a served sandbox, replayed through both official SDKs.

This replays the quickstart's calls because the quickstart's own code cannot be fetched
here (GitHub is unreachable; it is on neither PyPI nor npm) and must not be vendored into
this repository. ``quickstart_calls.QuickstartBackend`` (plaid-python) and
``plaid_node/quickstart.mjs`` (the ``plaid`` npm package) make the exact SDK calls of its
Python and Node backends, with their parameters and in their order, for every product option
(``PLAID_PRODUCTS``): transactions, auth, identity, investments (holdings and investment
transactions), liabilities, assets (create, poll get until ready, PDF), signal and
statements, each followed by the balance, item and accounts routes. Every session runs with
fresh keys (a new tenant, fixed seed), as a developer's quickstart would: the quickstart
evaluates Signal with the fixed ``client_transaction_id`` ``txn1234``, which Plaid accepts once.

Link is the one step not replayed from code: these sessions link through
``/sandbox/public_token/create`` with the link token's products; the quickstart's default
products, ``auth,transactions,signal``, go through the sandbox's hosted Link page in real
Chromium in ``tests/browser/test_quickstart_hosted_link.py`` (the browser tier owns the one
Playwright driver a test session may run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .quickstart_calls import (
    OPTIONS,
    QuickstartBackend,
    check_session,
    fingerprint,
    new_session,
)
from .served import NodeRun, sessions_file

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def node_started(
    plaid_server: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[NodeRun | None]:
    """Every product option's session through the Node SDK, one process started before the
    Python sessions so both run at once (``None`` without Node)."""
    try:
        folder: Path = request.getfixturevalue("node_sdk")
    except pytest.skip.Exception:
        yield None
        return
    sessions = [new_session(plaid_server, [option]) for option in OPTIONS]
    run = NodeRun(folder, "quickstart.mjs", "run", sessions_file(folder, "options", sessions))
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.communicate()


@pytest.fixture(scope="module")
def python_runs(
    plaid_server: dict[str, Any], node_started: NodeRun | None
) -> dict[str, dict[str, Any]]:
    """Every product option's quickstart session through plaid-python."""
    return {
        option: QuickstartBackend(new_session(plaid_server, [option])).run() for option in OPTIONS
    }


@pytest.fixture(scope="module")
def node_runs(node_sdk: Path, node_started: NodeRun | None) -> dict[str, dict[str, Any]]:
    assert node_started is not None
    return dict(zip(OPTIONS, node_started.result(), strict=True))


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_python_quickstart_option_answers_with_real_data(
    python_runs: dict[str, dict[str, Any]], option: str
) -> None:
    check_session([option], python_runs[option], "python")


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_node_quickstart_option_answers_with_real_data(
    node_runs: dict[str, dict[str, Any]], option: str
) -> None:
    check_session([option], node_runs[option], "node")


def test_both_quickstarts_see_the_same_bank(
    python_runs: dict[str, dict[str, Any]], node_runs: dict[str, dict[str, Any]]
) -> None:
    """Same seed, same day: both SDKs' sessions see the same accounts, holdings and numbers."""
    for option in OPTIONS:
        assert fingerprint(python_runs[option]) == fingerprint(node_runs[option]), option
