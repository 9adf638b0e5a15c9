"""``bank.processors``: processor tokens, a payment partner's door to one account of an item.

An app hands a partner (Dwolla, Modern Treasury, …) a processor token instead of its access
token; the partner then reads that one account's numbers, balance, owners and transactions.
Tokens are bearer secrets stored as keyed hashes, many per account, and die with their item
(``/item/remove``), as in Plaid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import accounts as accounts_mod
from . import errors, tokens
from .accounts import AUTH_SUBTYPES, AccountsView
from .models import Account, Item, ProcessorToken
from .transactions import SyncView

if TYPE_CHECKING:
    from .bank import Bank


class Processors:
    """One tenant's processor tokens, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def create(self, access_token: str, account_id: str, processor: str) -> str:
        """A new processor token for ``account_id`` of the item, for ``processor``."""
        item = self.bank.item(access_token)
        account = accounts_mod.select(item, [account_id])[0]
        token = tokens.processor_token()
        self.session.add(
            ProcessorToken(
                token=tokens.at_rest(self.session, token),
                item_pk=item.pk,
                account_id=account.id,
                processor=processor,
                created_at=self.bank.now(),
            )
        )
        return token

    def account(self, processor_token: str) -> AccountsView:
        """The token's item (caught up to the clock) with just the token's account."""
        item, account = self._resolve(processor_token)
        return AccountsView(self.bank.catch_up(item), [account])

    def auth(self, processor_token: str) -> AccountsView:
        """The account's routable numbers (checking, savings and cash management only)."""
        view = self.account(processor_token)
        self.bank.bill(view.item, "auth")
        if view.accounts[0].subtype not in AUTH_SUBTYPES:
            raise errors.NoAuthAccounts()
        return view

    def identity(self, processor_token: str) -> AccountsView:
        """The account with its owner (``bank.owner``)."""
        view = self.account(processor_token)
        self.bank.bill(view.item, "identity")
        return view

    def sync(self, processor_token: str, cursor: str | None, count: int) -> SyncView:
        """One page of the account's transaction changes since ``cursor``."""
        view = self.account(processor_token)
        return self.bank.sync_item(view.item, cursor, count, view.accounts[0].id)

    def _resolve(self, processor_token: str) -> tuple[Item, Account]:
        row = (
            self.session.get(ProcessorToken, tokens.at_rest(self.session, processor_token))
            if processor_token
            else None
        )
        item = None if row is None else self.session.get(Item, row.item_pk)
        if row is None or item is None or item.tenant_id != self.bank.tenant.id:
            raise errors.InvalidProcessorToken(field="processor_token")
        if item.removed_at is not None:
            raise errors.InvalidProcessorToken(field="processor_token")
        account = next(a for a in item.accounts if a.id == row.account_id)
        return item, account
