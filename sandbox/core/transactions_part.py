"""``bank.transactions``: sync pages, date-range pages, refreshes, dynamic rows and recurring
streams.

Each read bills Transactions on the item as Plaid adds it on first use; the call that adds
it may ask for more history (``days_requested``). A sync of an item already synced and
caught up writes nothing, so it pages from the row the call resolved with its token (no
ORM load, no lock). The ``*_of`` and ``*_item`` twins take what a processor token already
holds (``bank.processors``).

The part lives apart from ``transactions`` (the rows and pages read off the ledger) because
it queues webhooks, and ``webhooks.triggers`` reads ``assets``, which reads ``transactions``:
one module holding both would loop.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from . import errors, items, recurring, sync, transactions
from .accounts import AccountsView, ShownAccountsView
from .models import Item
from .recurring import Stream
from .transactions import SyncView, TransactionsView
from .webhooks import triggers

if TYPE_CHECKING:
    from .bank import Bank


class Transactions:
    """One tenant's Transactions product, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def sync(
        self,
        access_token: str,
        cursor: str | None,
        count: int,
        account_id: str | None = None,
        days_requested: int | None = None,
    ) -> SyncView:
        """One page of transaction changes since ``cursor``.

        The usual sync (an item synced before and caught up) writes nothing, so it pages
        from the row the call resolved with its token: no ORM load of the item or tenant,
        no lock. A first sync changes the item, so it loads and locks it.
        """
        if _first_sync(self.bank.called(access_token)):
            item = self.bank.item(access_token, change=False)
        else:
            item = self.bank.item_to_show(access_token)
        return self.sync_item(item, cursor, count, account_id, days_requested)

    def sync_item(
        self,
        item: Item,
        cursor: str | None,
        count: int,
        account_id: str | None = None,
        days_requested: int | None = None,
    ) -> SyncView:
        """``sync`` for an item already in hand (a processor token's); a row as
        ``Bank.item_to_show`` returns it when ``_first_sync`` is False."""
        bank = self.bank
        if _first_sync(item):
            bank.lock(item)  # the first sync changes the item
        first_use = "transactions" not in item.products
        self._add(item, days_requested)
        if first_use:
            triggers.sync_started(self.session, bank.tenant, item, bank.history_wait(item))
        if not item.sync_called:  # a read of a synced item writes nothing (no flush, no lock)
            item.sync_called = True
        if not item.last_successful_update:
            item.last_successful_update = item.created_at
        if account_id is not None:  # a foreign id is INVALID_ACCOUNT_ID, before the cursor
            bank.shown(item, [account_id])
        page = sync.page(self.session, item, sync.decode(item, cursor, account_id), count)
        # DIVERGES: the whole history is served before HISTORICAL_UPDATE; only the status says so.
        status = (
            "HISTORICAL_UPDATE_COMPLETE" if bank.history_ready(item) else "INITIAL_UPDATE_COMPLETE"
        )
        shown = bank.shown(item, None)
        return SyncView(item, transactions.with_transactions(item, account_id, shown), page, status)

    def get(
        self,
        access_token: str,
        start: dt.date,
        end: dt.date,
        *,
        account_ids: list[str] | None,
        count: int,
        offset: int,
        days_requested: int | None = None,
    ) -> TransactionsView:
        """Posted and pending transactions between two dates, newest first.

        An item billed for Transactions and caught up is read from the call's row, as
        ``sync`` does; billing it first changes it, so that loads it.
        """
        if "transactions" in self.bank.called(access_token).products:
            item = self.bank.item_to_show(access_token)
        else:
            item = self.bank.item(access_token, change=False)
        view = ShownAccountsView(item, self.bank.shown(item, account_ids))
        return self.get_of(
            view, start, end, count=count, offset=offset, days_requested=days_requested
        )

    def get_of(
        self,
        view: AccountsView | ShownAccountsView,
        start: dt.date,
        end: dt.date,
        *,
        count: int,
        offset: int,
        days_requested: int | None = None,
    ) -> TransactionsView:
        """``get`` for accounts already in hand."""
        item = view.item
        self._add(item, days_requested)
        if not self.bank.history_ready(item):  # DIVERGES: Plaid serves the first 30 days meanwhile
            raise errors.ProductNotReady()
        return transactions.between(
            self.session, item, view.accounts, start, end, count=count, offset=offset
        )

    def _add(self, item: Item, days_requested: int | None) -> None:
        """Bill Transactions; the call that adds it to the item may ask for more history
        (``options.days_requested``, Plaid's rule: it counts only on an item not yet
        initialised with Transactions), written at once (``items.extend_history``)."""
        first_use = "transactions" not in item.products
        self.bank.bill(item, "transactions")  # locks the item when it adds the product
        if not (first_use and days_requested):
            return  # every sync after the first: nothing more to look at
        if items.extend_history(item, self.bank.clock.today(), days_requested):
            items.load_history(self.session, item)

    def refresh(self, access_token: str) -> Item:
        """``/transactions/refresh``: dynamic users get new data; others catch up to the clock."""
        return self.refresh_item(self.bank.item(access_token))

    def refresh_item(self, item: Item) -> Item:
        """``refresh`` for an item already in hand (a processor token's)."""
        self.bank.bill(item, "transactions")
        seq = item.change_seq
        if item.username in items.DYNAMIC_USERS:
            items.refresh_dynamic(self.session, item, self.bank.clock.today())
        triggers.transactions_changed(self.session, self.bank.tenant, item, seq)
        item.last_successful_update = self.bank.now()
        return item

    def add_dynamic(self, access_token: str, extra: list[dict[str, Any]]) -> Item:
        """``/sandbox/transactions/create``: custom transactions, then a refresh."""
        item = self.bank.item(access_token)
        if item.username not in items.DYNAMIC_USERS:
            raise errors.InvalidField(
                "custom transactions can be added only to user_transactions_dynamic items",
                field="access_token",
            )
        today = self.bank.clock.today()
        transactions.check_created(extra, today, self.bank.institution_of(item).currency)
        seq = item.change_seq
        items.refresh_dynamic(self.session, item, today, extra)
        triggers.transactions_changed(self.session, self.bank.tenant, item, seq)
        item.last_successful_update = self.bank.now()
        return item

    def recurring(self, view: AccountsView | ShownAccountsView) -> list[Stream]:
        """Inflow and outflow streams in the posted transactions of the view's accounts.

        Plaid serves them only for an item initialised with Transactions (linked with it, or
        read through ``/transactions/get`` or ``/transactions/sync``) once its history is in;
        recurring does not add the product. DIVERGES (unconfirmed): Plaid documents the rule,
        not its error; the sandbox answers ``PRODUCT_NOT_READY``, as ``/transactions/get``
        does during the historical pull."""
        item = self.session.get(Item, view.item.pk)  # the item itself: its plan reads its tenant
        assert item is not None
        if "transactions" not in item.products or not self.bank.history_ready(item):
            raise errors.ProductNotReady()
        return recurring.streams(self.session, item, view.accounts, self.bank.clock.today())


def _first_sync(item: Item) -> bool:
    """Whether a sync of ``item`` changes it: it bills Transactions, or marks the item synced."""
    return (
        "transactions" not in item.products
        or not item.sync_called
        or not item.last_successful_update
    )
