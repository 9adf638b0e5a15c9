"""``bank.processors``: processor tokens, a payment partner's door to one account of an item.

An app hands a partner (Dwolla, Modern Treasury, …) a processor token instead of its access
token; the partner then reads that one account: numbers, balance, owners and Identity Match,
transactions, investments, liabilities, and Signal scores. Each read is the access-token read
(``Bank.*_of``, ``bank.investments.*_of``) on the token's account, so billing, errors and
data are the same; a token never reaches the item's other accounts, nor the Signal reports
of another account.
Tokens are bearer secrets stored as keyed hashes, many per account, and die with their item
(``/item/remove``), as in Plaid.

The app may narrow what a token reads (``/processor/token/permissions/set``): each read names
the products that open it, and a token without any of them gets ``INVALID_PRODUCT``. The
partner may give its token a webhook (``/processor/token/webhook/update``); the item's
Transactions webhooks are then copied to it (``webhooks.partners``), and the end of an
Investments extraction the token started goes there (``triggers.investments_extracted``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from . import accounts as accounts_mod
from . import errors, institutions, tokens
from .accounts import AccountsView
from .identity_match import MatchScores
from .investments import Portfolio, TransferNumbers
from .liabilities import Report
from .models import Account, Item, ProcessorToken
from .recurring import Stream
from .signal import Evaluation, check_ruleset
from .transactions import SyncView, TransactionsView
from .webhooks import partners

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
        return self._issue(item, accounts_mod.select(item, [account_id])[0], processor)

    def sandbox_create(self, institution_id: str, username: str, password: str) -> str:
        """``/sandbox/processor_token/create``: a new item, linked and checked as ``/item/import``
        links it (Auth, or Transactions at a bank without Auth; Auth without a checking, savings
        or cash management account is ``NO_AUTH_ACCOUNTS``), and a token for its first checking
        account (else its first depository account, else its first account)."""
        institution = institutions.get(institution_id)
        products = ["auth"] if "auth" in institution.products else ["transactions"]
        item = self.bank.import_item(institution_id, products, username=username, password=password)
        ranked = sorted(
            item.accounts,
            key=lambda a: (a.subtype != "checking", a.type != "depository", a.ordinal),
        )
        return self._issue(item, ranked[0], "sandbox")

    def stripe_bank_account_token(self, access_token: str, account_id: str) -> str:
        """``/processor/stripe/bank_account_token/create``: the Stripe token of one account.

        Stripe debits over ACH, so the read is the Auth read of the account (Auth billed,
        ``NO_AUTH_ACCOUNTS`` for a card or loan, ``PRODUCT_NOT_READY`` while a micro-deposit
        waits) and the bank must be a US one (``PRODUCTS_NOT_SUPPORTED`` elsewhere). The token
        is one per account (``tokens.stripe_bank_account_token``); nothing is stored, and it
        dies with the item because its access token does.
        """
        view = self.bank.auth.get_of(self.bank.product_accounts(access_token, [account_id]))
        if self.bank.institution_of(view.item).country != "US":
            raise errors.ProductsNotSupported(
                "the Stripe integration takes US bank accounts only (ACH)"
            )
        return tokens.stripe_bank_account_token(self.session, view.item.id, account_id)

    def _issue(self, item: Item, account: Account, processor: str) -> str:
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

    # -- the app's and the partner's settings of a token ------------------------------------

    def permissions(self, processor_token: str) -> list[str]:
        """The products the token may read (empty: every product, also ones added later)."""
        return list(self._token(processor_token)[0].products)

    def set_permissions(self, processor_token: str, products: list[str]) -> None:
        """Let the token read only ``products`` (empty: every product again)."""
        self._token(processor_token)[0].products = list(dict.fromkeys(products))

    def update_webhook(self, processor_token: str, webhook: str | None) -> None:
        """Send the token's webhooks to ``webhook`` (None: nowhere); acknowledged there."""
        row, item = self._token(processor_token)
        row.webhook = webhook
        partners.webhook_updated(self.session, self.bank.tenant, item, row)

    # -- reads -------------------------------------------------------------------------------

    def account(
        self, processor_token: str, *products: str, allow_error: bool = False
    ) -> AccountsView:
        """The token's item (caught up to the clock) with just the token's account; the token
        must be allowed one of ``products`` (none named: any token, as ``/processor/account/get``,
        whose cached account every product shows)."""
        item, account = self._resolve(processor_token, *products)
        return AccountsView(self.bank.catch_up(item, allow_error=allow_error), [account])

    def balance(self, processor_token: str, oldest: dt.datetime | None = None) -> AccountsView:
        """The account with its real-time balances (``/processor/balance/get``), refused as
        ``Bank.balances`` refuses them."""
        view = self.account(processor_token, "balance")
        self.bank.check_live_balances(view.item, view.accounts, oldest)
        return view

    def institution_id(self, view: AccountsView) -> str:
        """The institution of the token's item (``/processor/account/get``)."""
        return self.bank.institution_of(view.item).institution_id

    # Each read below is the access-token read of the same name (``Bank.*_of``) on the
    # token's one account: same billing, same errors, same data.

    def auth(self, processor_token: str) -> AccountsView:
        """The account's routable numbers (checking, savings and cash management only;
        ``PRODUCT_NOT_READY`` while a micro-deposit waits)."""
        return self.bank.auth.get_of(self.account(processor_token, "auth"))

    def identity(self, processor_token: str) -> AccountsView:
        """The account with its owner (``bank.owner``)."""
        return self.bank.identity.get_of(self.account(processor_token, "identity"))

    def identity_match(
        self, processor_token: str, user: dict[str, Any]
    ) -> tuple[AccountsView, MatchScores]:
        """How well ``user`` matches the account's owner (Identity or Identity Match)."""
        view = self.account(processor_token, "identity", "identity_match")
        return self.bank.identity.match_of(view, user)

    def liabilities(self, processor_token: str) -> Report:
        """The account's liability (``NO_LIABILITY_ACCOUNTS`` for any other kind)."""
        return self.bank.liabilities_of(self.account(processor_token, "liabilities"))

    def holdings(self, processor_token: str) -> Portfolio:
        """The account's positions (``NO_INVESTMENT_ACCOUNTS`` unless it is an investment one)."""
        return self.bank.investments.holdings_of(self.account(processor_token, "investments"))

    def investments_auth(self, processor_token: str) -> tuple[Portfolio, list[TransferNumbers]]:
        """The account's positions and transfer numbers (ACATS, ATON, 401k plan); Investments
        or Investments Auth."""
        view = self.account(processor_token, "investments", "investments_auth")
        return self.bank.investments.auth_of(view)

    def start_investments_extraction(self, processor_token: str) -> bool:
        """``options.async_update``: start the item's initial Investments extraction
        (``bank.investments.start_extraction``); its ``HISTORICAL_UPDATE`` goes to this
        token's webhook, if it has one."""
        view = self.account(processor_token, "investments")
        return self.bank.investments.start_extraction_of(view, self._token(processor_token)[0])

    def investment_transactions(
        self,
        processor_token: str,
        start: dt.date,
        end: dt.date,
        *,
        account_ids: list[str] | None = None,
        count: int,
        offset: int,
    ) -> Portfolio:
        """The account's trades between two dates, newest first, one page (``account_ids``,
        if given, may name the token's account only)."""
        view = self.account(processor_token, "investments")
        accounts_mod.select(view.item, account_ids)  # any foreign id: INVALID_ACCOUNT_ID
        if account_ids is not None and set(account_ids) - {view.accounts[0].id}:
            other = sorted(set(account_ids) - {view.accounts[0].id})
            raise errors.InvalidAccountId(
                f"the processor token cannot read account_ids: {', '.join(other)}",
                field="account_ids",
            )
        return self.bank.investments.transactions_of(view, start, end, count=count, offset=offset)

    def transactions(
        self, processor_token: str, start: dt.date, end: dt.date, *, count: int, offset: int
    ) -> TransactionsView:
        """The account's transactions between two dates, newest first, one page (Plaid's
        processor twin takes no ``days_requested``)."""
        view = self.account(processor_token, "transactions")
        return self.bank.transactions.get_of(view, start, end, count=count, offset=offset)

    def refresh_transactions(self, processor_token: str) -> Item:
        """``/transactions/refresh`` of the token's item."""
        view = self.account(processor_token, "transactions")
        return self.bank.transactions.refresh_item(view.item)

    def recurring(self, processor_token: str) -> list[Stream]:
        """Inflow and outflow streams of the account (its item initialised with Transactions,
        as ``bank.transactions.recurring`` says)."""
        return self.bank.transactions.recurring(self.account(processor_token, "transactions"))

    def sync(
        self,
        processor_token: str,
        cursor: str | None,
        count: int,
        days_requested: int | None = None,
    ) -> SyncView:
        """One page of the account's transaction changes since ``cursor``."""
        view = self.account(processor_token, "transactions")
        return self.bank.transactions.sync_item(
            view.item, cursor, count, view.accounts[0].id, days_requested
        )

    # -- Signal ----------------------------------------------------------------------------

    def signal_prepare(self, processor_token: str) -> Item:
        """Add Signal to the token's item (a no-op when it has it)."""
        return self.bank.signal.prepare_item(self.account(processor_token, "signal").item)

    def signal_evaluate(
        self,
        processor_token: str,
        client_transaction_id: str,
        amount_minor: int,
        ruleset_key: str | None = None,
    ) -> Evaluation:
        """Score a debit from the token's account; an item in error is scored with a warning."""
        check_ruleset(ruleset_key)
        view = self.account(processor_token, "signal", allow_error=True)
        return self.bank.signal.evaluate_account(
            view.item, view.accounts[0], client_transaction_id, amount_minor
        )

    def signal_decision(
        self,
        processor_token: str,
        client_transaction_id: str,
        initiated: bool,
        details: dict[str, Any],
    ) -> None:
        """Report the decision on a debit scored on the token's account (and no other)."""
        _, account = self._resolve(processor_token, "signal")
        self.bank.signal.report_decision(client_transaction_id, initiated, details, account)

    def signal_return(
        self,
        processor_token: str,
        client_transaction_id: str,
        return_code: str,
        returned_at: dt.datetime | None,
    ) -> None:
        """Report the return of a debit scored on the token's account (and no other)."""
        _, account = self._resolve(processor_token, "signal")
        self.bank.signal.report_return(client_transaction_id, return_code, returned_at, account)

    def _resolve(self, processor_token: str, *products: str) -> tuple[Item, Account]:
        """The token's item and account, if the token may read one of ``products``."""
        row, item = self._token(processor_token)
        if products and not row.permits(*products):
            raise errors.InvalidProduct(
                "processor token is not authorized to access the following products: "
                + json.dumps(list(products)),
                field="processor_token",
            )
        account = next(a for a in item.accounts if a.id == row.account_id)
        return item, account

    def _token(self, processor_token: str) -> tuple[ProcessorToken, Item]:
        """The tenant's live token row and its item (else ``INVALID_PROCESSOR_TOKEN``)."""
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
        return row, item
