"""Session fixtures of the SDK end-to-end tests: one served sandbox and the Node SDK.

Starting ``sandbox serve`` (migrations, seeding) takes seconds, so the product and
quickstart tests share one process, on the first of ``SANDBOX_TEST_DATABASES`` (SQLite
unless told otherwise; the older ``test_sdk_flow`` runs on both); each test links its own
items. The dispatcher is off: webhooks stay queued and the tests read them through the
control API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATABASES, fresh_database_url

from .served import plaid_node, served_sandbox


@pytest.fixture(scope="session")
def plaid_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One ``sandbox serve`` process (dispatcher off) for the session."""
    workdir = tmp_path_factory.mktemp("plaid-served")
    url = fresh_database_url(DATABASES[0], workdir, "e2e_shared")
    with served_sandbox(url, workdir, WEBHOOK_DISPATCHER="off") as server:
        yield server


@pytest.fixture(scope="session")
def node_sdk(request: pytest.FixtureRequest) -> Path:
    """The official Node SDK, installed once, with the scripts of ``plaid_node/``."""
    return plaid_node(request)
