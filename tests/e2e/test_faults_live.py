"""Faults a test client cannot show: a dropped socket, a short body, and latency on the wire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.extensions import db
from sandbox.testing import LiveSandbox

pytestmark = pytest.mark.e2e
BY_ID = {"institution_id": "ins_109508", "country_codes": ["US"]}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    """A threaded server on SQLite whose sleeps are recorded instead of slept."""
    slept: list[float] = []
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'faults.db'}", "FAULT_SLEEP": slept.append}
    with LiveSandbox(config) as server:
        with server.app.app_context():
            db.create_all()  # tables newer than the last migration
        server.app.config["SLEPT"] = slept
        yield server


def add_rule(live: LiveSandbox, **fields: Any) -> None:
    response = requests.post(
        f"{live.url}/control/faults",
        json=fields,
        timeout=10,
        headers={"PLAID-CLIENT-ID": live.client_id, "PLAID-SECRET": live.secret},
    )
    assert response.status_code == 201, response.text


def test_dropped_connection_reaches_the_client_as_a_connection_error(live: LiveSandbox) -> None:
    add_rule(live, endpoint="/institutions/get_by_id", drop=True, trigger="nth", n=1)
    with pytest.raises(requests.ConnectionError):
        live.post("/institutions/get_by_id", **BY_ID)
    assert live.post("/institutions/get_by_id", **BY_ID).status_code == 200


def test_truncated_body_is_an_incomplete_read(live: LiveSandbox) -> None:
    add_rule(live, endpoint="/institutions/get_by_id", truncate=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        live.post("/institutions/get_by_id", **BY_ID)


def test_latency_is_added_through_the_injected_sleep(live: LiveSandbox) -> None:
    add_rule(live, endpoint="/institutions/get_by_id", latency_ms=1500)
    assert live.post("/institutions/get_by_id", **BY_ID).status_code == 200
    assert live.app.config["SLEPT"] == [1.5]
