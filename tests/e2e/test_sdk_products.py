"""Every endpoint issue 15 added, through both official SDKs against a served sandbox.

Investments, Assets (audit copies included), Signal, Identity Match, processor tokens,
automated micro-deposits, Statements and the SDKs' webhook verification key: plaid-python
in this process (``product_calls.run_python``) and the ``plaid`` npm package in a Node
process (``plaid_node/products.mjs``) make the same calls against one ``sandbox serve``
process, at the same time; one set of checks (``product_calls.check_products``) judges both
runs: real data on success, Plaid's ``error_code`` on a representative error path of each
product, and the webhooks each product queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .product_calls import check_products, run_python
from .served import NodeRun, sdk_client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def node_products(
    plaid_server: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[NodeRun | None]:
    """The Node SDK's run, started before plaid-python's (``None`` without Node)."""
    try:
        folder: Path = request.getfixturevalue("node_sdk")
    except pytest.skip.Exception:
        yield None
        return
    run = NodeRun(folder, "products.mjs", plaid_server["ready_file"], "node")
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.communicate()


def test_plaid_python_calls_every_issue_15_endpoint(
    plaid_server: dict[str, Any], node_products: NodeRun | None
) -> None:
    out = run_python(sdk_client(plaid_server), "python")
    check_products(out, plaid_server)


def test_plaid_node_calls_every_issue_15_endpoint(
    plaid_server: dict[str, Any], node_sdk: Path, node_products: NodeRun | None
) -> None:
    assert node_products is not None
    check_products(node_products.result(), plaid_server)
