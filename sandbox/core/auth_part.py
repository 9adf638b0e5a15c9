"""``bank.auth``: routable account numbers, their micro-deposit verification and Database
Insights on numbers an app collected itself (``/auth/verify``).

``get`` bills Auth on the item as Plaid adds it on first use and refuses accounts whose
micro-deposits are not verified yet; ``get_of`` takes accounts already in hand (a processor
token's one account, ``bank.processors``).

The part lives apart from ``microdeposits`` (the verification states) because it queues
``AUTH`` webhooks, and ``webhooks.triggers`` reads ``microdeposits``: one module holding both
would loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import database_auth, errors, institutions, microdeposits, users
from .accounts import AUTH_SUBTYPES, AccountsView
from .database_auth import Verification, verification_insights
from .link import typed as link_typed
from .link.typed import NumberFields
from .webhooks import triggers

if TYPE_CHECKING:
    from .bank import Bank


class Auth:
    """One tenant's Auth product, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def get(self, access_token: str, account_ids: list[str] | None = None) -> AccountsView:
        """Accounts that carry routable numbers (checking, savings, cash management)."""
        return self.get_of(self.bank.product_accounts(access_token, account_ids))

    def get_of(self, view: AccountsView) -> AccountsView:
        """``get`` for accounts already in hand (a processor token's one account)."""
        self.bank.bill(view.item, "auth")
        view.accounts = [a for a in view.accounts if a.subtype in AUTH_SUBTYPES]
        if not view.accounts:
            raise errors.NoAuthAccounts()
        microdeposits.check_verified(view.accounts)
        return view

    def verify(
        self, routing: str, account: str, name: str | None, named: NumberFields
    ) -> Verification:
        """``/auth/verify``: Database Insights on numbers an app collected without Link. Valid
        numbers make an Auth-only item of one checking account carrying the verdict, as Link's
        typed numbers do (``link_typed.verify``); it gets no access token, only its id."""
        entry = link_typed.verify(routing, account, name, named)
        if entry is None:
            return Verification(
                None, database_auth.FAIL, verification_insights(database_auth.FAIL, name)
            )
        institution = institutions.get(entry.institution_id)
        login = users.manual_entry_login(entry.typed)
        checking = self.bank.link.typed.typed_account(institution, login)
        item = self.bank.create_item(institution, login, ["auth"], selected_accounts=checking)
        status = entry.typed.status
        return Verification(item, status, verification_insights(status, name))

    def set_verification_status(self, access_token: str, account_id: str, status: str) -> None:
        """``/sandbox/item/set_verification_status``: settle an automated micro-deposit."""
        item = self.bank.item(access_token)
        code = microdeposits.set_status(item, account_id, status)
        triggers.auth_verification(self.session, self.bank.tenant, item, account_id, code)
