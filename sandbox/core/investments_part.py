"""``bank.investments``: holdings, trades, transfer numbers, refreshes and extractions.

The reads (``holdings``, ``transactions``, ``auth``) bill Investments on the item as Plaid
adds it on first use; each has an ``*_of`` twin taking accounts already in hand, which the
processor tokens' reads call on their one account (``bank.processors``). An item not linked
with Investments may start its initial extraction in the background (``async_update``):
reads then answer ``PRODUCT_NOT_READY`` until the tenant's clock passes the build delay.

The part lives apart from ``investments`` (the facts read off the ledger) because it queues
webhooks, and ``webhooks.triggers`` reads those facts: one module holding both would loop.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import errors, investments
from .accounts import AccountsView
from .investments import Portfolio, TransferNumbers
from .models import Item, ProcessorToken
from .webhooks import triggers

if TYPE_CHECKING:
    from .bank import Bank


class Investments:
    """One tenant's Investments product, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def holdings(self, access_token: str, account_ids: list[str] | None = None) -> Portfolio:
        """Positions of the item's investment accounts at today's (simulated) close."""
        return self.holdings_of(self.bank.product_accounts(access_token, account_ids))

    def holdings_of(self, view: AccountsView) -> Portfolio:
        """``holdings`` for accounts already in hand."""
        self.bank.bill(view.item, "investments")
        return investments.holdings(self.session, view.item, view.accounts, self._today())

    def transactions(
        self,
        access_token: str,
        start: dt.date,
        end: dt.date,
        *,
        account_ids: list[str] | None,
        count: int,
        offset: int,
    ) -> Portfolio:
        """Buys, sells, dividends, fees and cash movements between two dates, newest first."""
        view = self.bank.product_accounts(access_token, account_ids)
        return self.transactions_of(view, start, end, count=count, offset=offset)

    def transactions_of(
        self, view: AccountsView, start: dt.date, end: dt.date, *, count: int, offset: int
    ) -> Portfolio:
        """``transactions`` for accounts already in hand."""
        self._await_extraction(view.item)
        self.bank.bill(view.item, "investments")
        return investments.transactions(
            self.session,
            view.item,
            view.accounts,
            start,
            end,
            count=count,
            offset=offset,
            today=self._today(),
        )

    def auth(
        self, access_token: str, account_ids: list[str] | None = None
    ) -> tuple[Portfolio, list[TransferNumbers]]:
        """Holdings plus the numbers a broker needs to pull the accounts over (ACATS, ATON)."""
        return self.auth_of(self.bank.product_accounts(access_token, account_ids))

    def auth_of(self, view: AccountsView) -> tuple[Portfolio, list[TransferNumbers]]:
        """``auth`` for accounts already in hand; Investments Move has its own error for a
        view without an investment account (``NO_INVESTMENT_AUTH_ACCOUNTS``)."""
        investments.investment_accounts(view.accounts, missing=errors.NoInvestmentAuthAccounts)
        found = self.holdings_of(view)
        country = self.bank.institution_of(found.item).country
        return found, investments.transfer_numbers(found.item, found.accounts, country)

    def refresh(self, access_token: str) -> Item:
        """``/investments/refresh``: look again, then report it with the two webhooks."""
        item = self.bank.item(access_token)
        self._await_extraction(item)
        self.bank.bill(item, "investments")
        self.look(item, self._today(), quiet=False)
        item.last_successful_update = self.bank.now()
        return item

    def look(self, item: Item, today: dt.date, *, quiet: bool) -> None:
        """Count what changed in the item's portfolios and say so with the two webhooks.

        ``quiet`` (the clock moved, Plaid's daily update): nothing is sent when nothing
        changed, and an item without investment accounts is simply skipped.
        """
        if quiet and not any(a.type == "investment" for a in item.accounts):
            return
        found = investments.refresh(self.session, item, today)
        if quiet and not (found.new_holdings or found.updated_holdings or found.new_transactions):
            return
        triggers.investments_refreshed(self.session, self.bank.tenant, item, found)

    def start_extraction(self, access_token: str) -> bool:
        """``options.async_update``: on an item not initialised with Investments (neither
        linked with it nor extracted before), start the initial extraction in the background.
        True when one started: a change to keep although the call answers ``PRODUCT_NOT_READY``
        (``_await_extraction``) until it ends."""
        return self.start_extraction_of(self.bank.product_accounts(access_token, None))

    def start_extraction_of(self, view: AccountsView, by: ProcessorToken | None = None) -> bool:
        """``start_extraction`` for accounts already in hand; ``by``: the processor token that
        asked (its webhook hears the end)."""
        item = view.item
        if _initialised(item):
            return False
        self.bank.check_offered(item, "investments")
        investments.investment_accounts(view.accounts)  # none: NO_INVESTMENT_ACCOUNTS, no start
        self.bank.lock(item)
        if _initialised(item):  # another call started it meanwhile
            return False
        investments.start_extraction(item, self.bank.now(), by)
        return True

    def finish_extraction(self, item: Item) -> bool:
        """End the item's extraction once the clock has passed its start plus the build delay
        (``HISTORICAL_DELAY_SECONDS``, as an Asset report's): Investments is added and
        ``HISTORICAL_UPDATE`` queued with the trades found, to the processor token that started
        it if it has a webhook, else to the item's. False when none has ended."""
        if not investments.extraction_due(item, self.bank.now(), self.bank.historical_delay):
            return False
        self.bank.lock(item)
        if item.investments_extracting_since is not None:  # not ended by another call meanwhile
            extraction = investments.finish_extraction(self.session, item, self._today())
            triggers.investments_extracted(self.session, self.bank.tenant, item, extraction)
        return True

    def _await_extraction(self, item: Item) -> None:
        """``PRODUCT_NOT_READY`` while the item's initial extraction runs (one that has ended
        by now is finished first)."""
        running = item.investments_extracting_since is not None
        if running and not self.finish_extraction(item):
            raise errors.ProductNotReady()

    def _today(self) -> dt.date:
        return self.bank.clock.today()


def _initialised(item: Item) -> bool:
    """Whether the item has Investments (linked with it, added on use or extracted) or is
    extracting them now: ``async_update`` then starts nothing."""
    return "investments" in item.products or item.investments_extracting_since is not None
