"""``bank.identity``: the account holder's identity, its refresh and its match against a
user the app knows.

Each call bills Identity on the item as Plaid adds it on first use; the ``*_of`` twins take
accounts already in hand (a processor token's one account, ``bank.processors``). The owner
itself is ``Bank.owner`` (Assets, Investments and statements show it too).

The part lives apart from ``identity_match`` so that module stays pure scoring of names,
addresses, phones and emails, with no session or item to read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import identity_match
from .accounts import AccountsView
from .identity_match import MatchScores
from .models import Item

if TYPE_CHECKING:
    from .bank import Bank


class Identity:
    """One tenant's Identity product, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    def get(self, access_token: str, account_ids: list[str] | None = None) -> AccountsView:
        """Accounts with their owners (``Bank.owner`` gives the identity)."""
        return self.get_of(self.bank.product_accounts(access_token, account_ids))

    def get_of(self, view: AccountsView) -> AccountsView:
        """``get`` for accounts already in hand."""
        self.bank.bill(view.item, "identity")
        return view

    def refresh(self, access_token: str) -> Item:
        """``/identity/refresh``: look at the owners again. Plaid fires
        ``IDENTITY``/``DEFAULT_UPDATE`` only when it finds a change, and the sandbox's owners
        never change, so the refresh queues nothing; it bills Identity as ``/identity/get``."""
        item = self.bank.item(access_token)
        self.bank.bill(item, "identity")
        return item

    def match(
        self, access_token: str, user: dict[str, Any], account_ids: list[str] | None = None
    ) -> tuple[AccountsView, MatchScores]:
        """``/identity/match``: the accounts with the owner's match against ``user``."""
        return self.match_of(self.bank.product_accounts(access_token, account_ids), user)

    def match_of(
        self, view: AccountsView, user: dict[str, Any]
    ) -> tuple[AccountsView, MatchScores]:
        """``match`` for accounts already in hand."""
        view = self.get_of(view)
        return view, identity_match.scores(self.bank.owner(view.item), user)
