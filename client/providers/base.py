"""The `Provider` protocol: what the sync engine needs from any bank-data provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from client.api.transport import Observer
from client.providers.model import (
    LocalAccount,
    LocalCard,
    LocalDirectDebit,
    LocalStandingOrder,
    LocalTransaction,
)


@dataclass
class AccountFacts:
    """What a provider read about one account besides its transactions. Each list replaces
    the stored one; None means "not read this time" and keeps what is stored."""

    account_provider_id: str
    card: LocalCard | None = None
    standing_orders: list[LocalStandingOrder] | None = None
    direct_debits: list[LocalDirectDebit] | None = None


@dataclass
class ChangePage:
    """One page of changes in local form: upserts, removals by id, the accounts they touch."""

    added: list[LocalTransaction] = field(default_factory=list)
    modified: list[LocalTransaction] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    accounts: list[LocalAccount] = field(default_factory=list)
    next_cursor: str | None = None
    has_more: bool = False
    # Set when the provider renewed the connection's secret (an OAuth refresh): the engine
    # stores it encrypted in the same transaction as the page, and uses it from then on.
    credentials: str | None = None
    # Cards, standing orders, direct debits: stored with the page, in the same transaction.
    facts: list[AccountFacts] = field(default_factory=list)
    # On a run's last page: the run read every pending transaction of every account (each
    # TrueLayer run does), so an earlier Item's pending row it adopted nothing into is gone
    # at the bank (`client.sync.earlier.drop_unclaimed_pending`).
    pending_complete: bool = False


class Provider(Protocol):
    """A source of transactions with a resumable change log.

    `credentials` is the opaque secret the provider issued for one connection (Plaid: the
    access token). Every method raises only `client.providers.errors.SyncError` subclasses
    for provider failures, so the engine never sees a provider's own error classes."""

    name: str

    def observed(self, observer: Observer) -> Provider:
        """The same provider, reporting each call to `observer` (the audit log)."""
        ...

    def fetch_changes(self, credentials: str, cursor: str | None, count: int) -> ChangePage:
        """The page of changes after `cursor` (None: from the beginning), at most `count`.

        A provider without a change log (TrueLayer) keeps its own position in the cursor and
        may page by account and date window instead of by `count`."""
        ...

    def refresh(self, credentials: str) -> None:
        """Ask the provider to pull fresh data from the bank now (a manual refresh)."""
        ...

    def left_out_accounts(self, credentials: str) -> list[LocalAccount]:
        """The connection's accounts with their balances, where change pages may leave some
        out (Plaid names only accounts with transactions); empty where they never do."""
        ...
