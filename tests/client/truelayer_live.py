"""Helpers for live TrueLayer tests: a `TrueLayerSync` on a served sandbox tenant, connecting
a mock user through the auth dialog over plain HTTP, and the provider's ground truth."""

from __future__ import annotations

from typing import Any

import requests

from client.crypto import TokenCipher
from client.providers.truelayer import TrueLayerProvider
from client.providers.truelayer_api import TrueLayerAPI, TrueLayerConfig
from client.providers.truelayer_connect import TrueLayerSync
from client.providers.truelayer_mapping import ACCOUNTS, CARDS, map_transaction, transaction_keys
from client.store.db import Store
from tests.client.conftest import Tenant
from tests.client.helpers import stored_transactions
from tests.client.tl_dialog import authorize

# The tenant's default client accepts TrueLayer's example redirect URI; nothing listens there:
# the walk stops at the redirect and hands its URL to the app.
REDIRECT_URI = "http://localhost:3000/callback"
MOCK_PROVIDERS = "uk-cs-mock uk-ob-all uk-oauth-all"
HISTORY_DAYS = 800  # longer than the mock bank's history: the ground truth (no dates) is all of it


def config(tenant: Tenant) -> TrueLayerConfig:
    """The tenant's keys, with both TrueLayer hosts pointed at the sandbox."""
    return TrueLayerConfig(
        tenant.client_id,
        tenant.secret,
        REDIRECT_URI,
        auth_url=tenant.url,
        api_url=tenant.url,
        providers=MOCK_PROVIDERS,
    )


def truelayer_sync(
    tenant: Tenant, store: Store, cipher: TokenCipher, **options: Any
) -> TrueLayerSync:
    """The embedded TrueLayer client against the live sandbox (user present: X-PSU-IP)."""
    api = TrueLayerAPI(config(tenant), psu_ip="127.0.0.1")
    options = {"history_days": HISTORY_DAYS, "chunk_days": 180, **options}
    provider = TrueLayerProvider(api, **options)
    return TrueLayerSync(api, store, cipher, provider=provider)


def connect(tl: TrueLayerSync, user_ref: str, username: str = "john", password: str = "doe") -> int:
    """Auth link → dialog (picker, bank sign-in, consent) → redirect → code exchange."""
    with requests.Session() as browser:
        back = authorize(
            browser, tl.auth_link(user_ref), REDIRECT_URI, username=username, password=password
        )
    return tl.complete(back)


def ground_truth(tl: TrueLayerSync, cid: int) -> list[tuple[str, str, str, bool]]:
    """Every settled and pending transaction the Data API has for the connection, as
    (local id, outflow amount, date, pending) like `stored_transactions`."""
    tokens = tl.fresh_tokens(cid)
    api, token = tl.api, tokens.access_token
    rows = []
    for kind in (ACCOUNTS, CARDS):
        for account in api.results(token, f"/{kind}"):
            aid = account["account_id"]
            for path, pending in (
                (f"/{kind}/{aid}/transactions", False),
                (f"/{kind}/{aid}/transactions/pending", True),
            ):
                raws = api.results(token, path)
                for raw, key in zip(raws, transaction_keys(raws), strict=True):
                    txn = map_transaction(tokens.ns, aid, raw, key, pending=pending)
                    rows.append(
                        (txn.provider_id, f"{-txn.amount:.2f}", txn.date.isoformat(), pending)
                    )
    return rows


def assert_matches(tl: TrueLayerSync, cid: int) -> None:
    """The store holds exactly the provider's transactions: none lost, none doubled."""
    mine = stored_transactions(tl.store, cid)
    assert len(mine) == len({m[0] for m in mine}), "duplicate provider ids"
    truth = ground_truth(tl, cid)
    assert truth, "the connection should have transactions"
    missing, extra = set(truth) - set(mine), set(mine) - set(truth)
    assert not missing and not extra, f"missing {sorted(missing)}, extra {sorted(extra)}"
