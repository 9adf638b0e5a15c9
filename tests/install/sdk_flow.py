"""The official plaid-python SDK against an installed ``bank-sandbox serve`` (wheel stage).

Run with the installed venv's python: ``python sdk_flow.py READY_FILE``. Links an item,
exchanges the public token and pages ``/transactions/sync`` to the end; prints one JSON
line with what it saw, and exits non-zero (with the SDK's error) if any call fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import plaid
from plaid.api import plaid_api
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest


def main(ready_file: str) -> None:
    """Link, exchange, sync every page; print the counts and the transaction ids."""
    ready = json.loads(Path(ready_file).read_text())
    config = plaid.Configuration(
        host=ready["url"], api_key={"clientId": ready["client_id"], "secret": ready["secret"]}
    )
    with plaid.ApiClient(config) as client:
        api = plaid_api.PlaidApi(client)
        public = api.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508", initial_products=[Products("transactions")]
            )
        ).public_token
        access = api.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public)
        ).access_token
        added, cursor, pages, has_more = [], "", 0, True
        while has_more:
            request = TransactionsSyncRequest(access_token=access, count=100)
            if cursor:
                request = TransactionsSyncRequest(access_token=access, cursor=cursor, count=100)
            page = api.transactions_sync(request)
            added += [t.transaction_id for t in page.added]
            cursor, has_more, pages = page.next_cursor, page.has_more, pages + 1
    assert added and cursor, "the sync returned no transactions"
    print(json.dumps({"sdk": "plaid-python", "pages": pages, "added": len(added), "ids": added}))


if __name__ == "__main__":
    main(sys.argv[1])
