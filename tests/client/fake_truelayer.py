"""`FakeTrueLayer`: an in-memory stand-in for `TrueLayerAPI` (same methods, TrueLayer's JSON),
so the provider and the engine are tested without HTTP. Objects start from the OpenAPI examples
(tests/client/truelayer_examples.json)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from client.api.transport import Observer
from client.providers.truelayer_api import TrueLayerError

EXAMPLES = json.loads(Path(__file__).with_name("truelayer_examples.json").read_text())


def example(name: str) -> list[dict[str, Any]]:
    """A fresh copy of an OpenAPI example's `results`."""
    return copy.deepcopy(EXAMPLES[name]["results"])


def settled(tid: str, day: str, amount: float, text: str = "SHOP", **extra: Any) -> dict[str, Any]:
    """An account transaction in TrueLayer's shape."""
    return {
        "transaction_id": f"volatile-{tid}-{day}",
        "normalised_provider_transaction_id": tid,
        "timestamp": f"{day}T00:00:00+00:00",
        "description": text,
        "amount": amount,
        "currency": "GBP",
        "transaction_type": "DEBIT" if amount < 0 else "CREDIT",
        "transaction_category": "PURCHASE",
        "transaction_classification": [],
        "meta": {},
        **extra,
    }


class FakeTrueLayer:
    """One connection's accounts, cards and transactions; tokens it accepts; calls it saw."""

    def __init__(self, client_id: str = "fake-app") -> None:
        self.config = SimpleNamespace(client_id=client_id)  # TrueLayerAPI's, as far as read
        self.accounts = example("GetAccounts200Response")
        self.cards = example("GetCards200Response")
        self.booked: dict[str, list[dict[str, Any]]] = {
            a["account_id"]: [] for a in [*self.accounts, *self.cards]
        }
        self.pending: dict[str, list[dict[str, Any]]] = {k: [] for k in self.booked}
        self.valid_tokens = {"at-1"}
        self.refreshes: list[str] = []
        self.failure: TrueLayerError | None = None
        self.calls: list[str] = []
        self.observer: Observer | None = None

    def observed(self, observer: Observer) -> FakeTrueLayer:
        """The same fake (the audit observer is not exercised here)."""
        return self

    def _check(self, token: str, path: str) -> None:
        self.calls.append(path)
        if self.failure is not None:
            raise self.failure
        if token not in self.valid_tokens:
            raise TrueLayerError(401, "invalid_token", "The token expired")

    def results(
        self, access_token: str, path: str, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Route a /data/v1 path to the fake's lists."""
        self._check(access_token, path)
        parts = path.strip("/").split("/")
        if parts == ["accounts"]:
            return copy.deepcopy(self.accounts)
        if parts == ["cards"]:
            return copy.deepcopy(self.cards)
        if parts == ["me"]:
            return example("GetMe200Response")
        kind, aid, what = parts[0], parts[1], "/".join(parts[2:])
        if what == "balance":
            name = (
                "GetCardBalance200Response" if kind == "cards" else "GetAccountBalance200Response"
            )
            return example(name)
        if what == "transactions/pending":
            return copy.deepcopy(self.pending[aid])
        if what == "standing_orders":
            return example("GetAccountStandingOrders200Response")
        if what == "direct_debits":
            return example("GetAccountDirectDebits200Response")
        raise AssertionError(f"unexpected path {path}")

    def transactions(
        self, access_token: str, kind: str, account_id: str, start: dt.date, end: dt.date
    ) -> list[dict[str, Any]]:
        """Settled transactions whose date is in the window."""
        self._check(access_token, f"/{kind}/{account_id}/transactions")
        return [
            copy.deepcopy(t)
            for t in self.booked[account_id]
            if start.isoformat() <= t["timestamp"][:10] <= end.isoformat()
        ]

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """Rotate the pair: the old access token stops working."""
        if refresh_token != f"rt-{len(self.refreshes) + 1}":
            raise TrueLayerError(400, "invalid_grant", "refresh token is not valid")
        self.refreshes.append(refresh_token)
        n = len(self.refreshes) + 1
        self.valid_tokens = {f"at-{n}"}
        return {"access_token": f"at-{n}", "refresh_token": f"rt-{n}", "expires_in": 3600}
