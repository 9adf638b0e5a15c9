"""Plaid's Statements product through the official SDK, the way Plaid's quickstart calls it.

The quickstart links with ``statements`` (a date range in the options), lists the
statements and downloads the first one; a refresh queues
``STATEMENTS``/``STATEMENTS_REFRESH_COMPLETE``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import plaid
import pytest
import requests
from plaid.api import plaid_api
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_statements import (
    SandboxPublicTokenCreateRequestOptionsStatements,
)
from plaid.model.statements_download_request import StatementsDownloadRequest
from plaid.model.statements_list_request import StatementsListRequest
from plaid.model.statements_refresh_request import StatementsRefreshRequest

from sandbox.extensions import db
from sandbox.testing import LiveSandbox

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    """A threaded server on SQLite."""
    with LiveSandbox({"DATABASE_URL": f"sqlite:///{tmp_path / 'statements.db'}"}) as server:
        with server.app.app_context():
            db.create_all()
        yield server


def test_quickstart_lists_downloads_and_refreshes_statements(live: LiveSandbox) -> None:
    config = plaid.Configuration(
        host=live.url, api_key={"clientId": live.client_id, "secret": live.secret}
    )
    api = plaid_api.PlaidApi(plaid.ApiClient(config))
    today = dt.date.today()
    window = SandboxPublicTokenCreateRequestOptionsStatements(
        start_date=today - dt.timedelta(days=90), end_date=today
    )
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions"), Products("statements")],
            options=SandboxPublicTokenCreateRequestOptions(
                webhook="https://example.com/hook", statements=window
            ),
        )
    ).public_token
    access = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token

    listed = api.statements_list(StatementsListRequest(access_token=access))
    statements = [s for a in listed.accounts for s in a.statements]
    assert statements, "at least one account with one statement"
    first = statements[0]
    pdf = api.statements_download(
        StatementsDownloadRequest(access_token=access, statement_id=first.statement_id),
        _preload_content=False,
    )
    body = pdf.data
    assert pdf.headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert pdf.headers["Plaid-Content-Hash"] == hashlib.sha256(body).hexdigest()
    assert re.fullmatch(r"[0-9A-Za-z]{15}", pdf.headers.get("Plaid-Request-ID", ""))
    # the quickstart's own call: the SDK writes the PDF to a temporary file
    saved = api.statements_download(
        StatementsDownloadRequest(access_token=access, statement_id=first.statement_id)
    )
    with open(saved.name, "rb") as handle:
        assert handle.read() == body
    saved.close()
    Path(saved.name).unlink()

    api.statements_refresh(
        StatementsRefreshRequest(
            access_token=access, start_date=today - dt.timedelta(days=60), end_date=today
        )
    )
    log = requests.get(
        f"{live.url}/control/webhooks",
        timeout=10,
        headers={"PLAID-CLIENT-ID": live.client_id, "PLAID-SECRET": live.secret},
    ).json()
    refreshed = [w for w in log["webhooks"] if w["webhook_code"] == "STATEMENTS_REFRESH_COMPLETE"]
    assert len(refreshed) == 1
    detail = requests.get(
        f"{live.url}/control/webhooks/{refreshed[0]['id']}",
        timeout=10,
        headers={"PLAID-CLIENT-ID": live.client_id, "PLAID-SECRET": live.secret},
    ).json()["webhook"]
    body = json.loads(detail["body"])
    assert (body["webhook_type"], body["item_id"], body["result"]) == (
        "STATEMENTS",
        listed.item_id,
        "SUCCESS",
    )
