"""The operations dialects call: a facade over items, accounts, ledger and tokens.

A ``Bank`` is bound to one database session and one tenant. Its methods take plain
values, return domain objects and raise ``CoreError`` subclasses; they never see HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import accounts as accounts_mod
from . import (
    balances,
    calls,
    consent,
    errors,
    explorer,
    institutions,
    items,
    liabilities,
    microdeposits,
    sync,
    tenants,
    tokens,
    users,
)
from .accounts import AccountsView as AccountsView
from .accounts import ShownAccount as ShownAccount
from .accounts import ShownAccountsView as ShownAccountsView
from .accounts import owner as account_owner
from .assets import AccountSection as AccountSection
from .assets import ReportContent as ReportContent
from .assets_part import Assets
from .auth_part import Auth
from .balances import Series
from .calls import Called
from .clock import Clock as Clock
from .database_auth import verification_insights as verification_insights
from .enrich import Enrichment as Enrichment
from .enrich import RawTransaction as RawTransaction
from .enrich import enrich_transaction as enrich_transaction  # pure: of the request alone
from .explorer import ExplorerPage as ExplorerPage
from .explorer import ExplorerRow as ExplorerRow
from .explorer import TransactionQuery as TransactionQuery
from .faults import health
from .faults.health import add_outage_endpoints as add_outage_endpoints
from .faults.part import Call as Call  # re-exported: the facade is the dialects' door
from .faults.part import Faults
from .faults.part import Verdict as Verdict
from .faults.ratelimits import Limit as Limit
from .faults.ratelimits import add_rate_limits as add_rate_limits
from .faults.rules import Decision as Decision
from .grants import Extension as Extension
from .grants import Grant as Grant
from .grants import Grants as Grants
from .grants import Issuer as Issuer
from .grants import TokenSet as TokenSet
from .grants import access as grant_access
from .grants import clients as app_clients
from .grants import resolve_access as resolve_access
from .grants.clients import UNCHANGED as UNCHANGED
from .grants.clients import add_default_redirect_uris as add_default_redirect_uris
from .grants.part import RECONFIRMATION_NEEDED as RECONFIRMATION_NEEDED
from .grants.part import RENEWED as RENEWED
from .identity_match import MatchScores as MatchScores
from .identity_part import Identity
from .institutions import Institution
from .instructions import Instruction as Instruction
from .investments import Portfolio as Portfolio
from .investments import TransferNumbers as TransferNumbers
from .investments_part import Investments
from .ledger.entities import merchant_entity as merchant_entity
from .liabilities import Report as Report
from .link import config as link_config
from .link import products as link_products
from .link.flow import LinkFlow as LinkFlow
from .link.flow import by_oauth_state
from .link.typed import NumberFields as NumberFields
from .link.typed_steps import TypedSteps as TypedSteps
from .microdeposits import INSTANT_INSTITUTION as INSTANT_INSTITUTION
from .microdeposits import INSTANT_MATCH as INSTANT_MATCH
from .models import (
    AccessToken,
    Account,
    AppClient,
    Consent,
    Item,
    LinkSession,
    LinkToken,
    PublicToken,
    Tenant,
    WebhookKey,
)
from .payment_cards import PaymentCard as PaymentCard
from .processor import Processors
from .reads import Booked as Booked
from .reads import Reads
from .recurring import Stream as Stream
from .signal import Evaluation as Evaluation
from .signal import Signal
from .signal_schedule import Schedule as Schedule
from .statements import Download as Download
from .statements import Statements
from .statements import check_window as check_window  # re-exported: Statements dates' rule
from .tenants import Keys
from .tenants import authenticate as authenticate
from .tenants import authenticate_call as authenticate_call
from .tokens import request_id as request_id
from .tokens import request_uuid as request_uuid
from .tokens import session_id as session_id
from .transactions import SyncView as SyncView
from .transactions_part import Transactions
from .users import Login as Login
from .webhooks import signing, triggers
from .webhooks.egress import EgressPolicy as EgressPolicy
from .webhooks.egress import EgressRefused as EgressRefused
from .webhooks.outbox import CatcherQuota as CatcherQuota
from .webhooks.outbox import use_renderer as use_renderer
from .webhooks.part import Catcher as Catcher
from .webhooks.part import Outbox
from .webhooks.signing import RequestSignature as RequestSignature
from .webhooks.tasks import Notice as Notice
from .webhooks.tasks import Tasks

# The columns a page's transaction rows lead with, in order: a dialect renders (and caches)
# a transaction from exactly these.
TRANSACTION_COLUMNS = sync.RENDERED
PUBLIC_TOKEN_TTL = dt.timedelta(minutes=30)
LINK_TOKEN_TTL = dt.timedelta(hours=4)
UPDATE_MODE_LINK_TOKEN_TTL = dt.timedelta(minutes=30)
# Each day moved generates a day of ledger for every item: bound one call's work.
MAX_CLOCK_JUMP = dt.timedelta(days=3650)


class Bank:
    """One tenant's view of the simulated bank."""

    def __init__(
        self,
        session: Session,
        tenant: Tenant,
        *,
        historical_delay: dt.timedelta = dt.timedelta(0),
        resolved: Mapping[str, Called | None] | None = None,
    ) -> None:
        self.session = session
        # The tenant as authenticated: its row (``tenants.authenticate``) or the tenant itself.
        self.tenant_row = tenant
        if isinstance(tenant, Tenant):
            self.__dict__["tenant"] = tenant
        self.historical_delay = historical_delay  # HISTORICAL_DELAY_SECONDS
        # access token -> what it resolved to (``resolved``: read with the tenant)
        self._calls: dict[str, Called | None] = dict(resolved or {})

    @cached_property
    def tenant(self) -> Tenant:
        """The tenant, loaded when a call changes it or needs more than its row (keys, seed,
        clock); a call that only reads never loads it."""
        found = self.session.get(Tenant, self.tenant_row.id)
        if found is None:  # removed since the call authenticated
            raise errors.InvalidApiKeys()
        return found

    # -- tenant-bound parts (the only door dialects use into those subsystems) --------------

    @cached_property
    def faults(self) -> Faults:
        """Fault rules, institution health, rate limits and the per-call gate."""
        return Faults(self.session, self.tenant_row, lambda: self.tenant, self.resolved)

    @cached_property
    def grants(self) -> Grants:
        """App clients, consented connections and their codes and tokens (TrueLayer's auth)."""
        return Grants(self)

    @cached_property
    def link(self) -> LinkFlow:
        """Hosted Link sessions: the steps a user walks through."""
        return LinkFlow(self)

    @cached_property
    def processors(self) -> Processors:
        """Processor tokens: a partner's door to one account of an item."""
        return Processors(self)

    @cached_property
    def auth(self) -> Auth:
        """Auth: routable numbers, micro-deposit verification and ``/auth/verify``."""
        return Auth(self)

    @cached_property
    def identity(self) -> Identity:
        """Identity: the account holder, its refresh and its match against a user."""
        return Identity(self)

    @cached_property
    def transactions(self) -> Transactions:
        """Transactions: sync and date-range pages, refreshes, dynamic rows, recurring streams."""
        return Transactions(self)

    @cached_property
    def investments(self) -> Investments:
        """Investments: holdings, trades, transfer numbers and the background extraction."""
        return Investments(self)

    @cached_property
    def assets(self) -> Assets:
        """Asset reports, their refreshes, filters, PDFs and audit copies."""
        return Assets(self)

    @cached_property
    def signal(self) -> Signal:
        """Signal: ACH return risk scores and the decisions and returns reported back."""
        return Signal(self)

    @cached_property
    def reads(self) -> Reads:
        """One item's accounts, cards, date windows and payment instructions."""
        return Reads(self.session, self.tenant, self.clock)

    @cached_property
    def statements(self) -> Statements:
        """Statement files: CSV, OFX/QFX and monthly PDFs of the ledger."""
        return Statements(self.session, self.tenant)

    @cached_property
    def outbox(self) -> Outbox:
        """Webhook events, delivery pause and signing keys."""
        return Outbox(self.session, self.tenant)

    @cached_property
    def tasks(self) -> Tasks:
        """Data calls answered later: their kept replies and the webhooks announcing them."""
        return Tasks(self.session, self.tenant)

    # -- time -------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The tenant's simulated clock (as changed by this call, once it loaded the tenant)."""
        return tenants.clock_of(self.__dict__.get("tenant", self.tenant_row))

    def now(self) -> dt.datetime:
        """The tenant's current instant."""
        return self.clock.now()

    def move_clock(
        self,
        *,
        to: dt.datetime | None = None,
        advance: dt.timedelta = dt.timedelta(0),
        freeze: bool | None = None,
        seen: Clock | None = None,
    ) -> list[Item]:
        """Set (``to``), advance and/or (un)freeze the clock; returns the items that changed.
        With ``seen`` (the clock a page showed), only if the clock has not moved since."""
        if seen is not None and not tenants.hold_clock(self.session, self.tenant, seen):
            raise errors.InvalidField(
                "the clock had moved since the page showed it (a second click or another "
                "tab), so it was not moved again: check the time and move it once more",
                field="clock",
            )
        tenants.lock_clock(self.session, self.tenant)  # before any item lock (``follow``)
        current = self.clock
        start = current.now()
        target = (to or start) + advance
        if target < start:
            raise errors.InvalidField("the clock only moves forward", field="set")
        if target - start > MAX_CLOCK_JUMP:
            field = "set" if to else "advance_days"
            raise errors.InvalidField("the clock moves at most 3650 days per call", field=field)
        frozen = current.frozen_at is not None if freeze is None else freeze
        return self.set_clock(Clock.at(target, frozen=frozen))

    def set_clock(self, clock: Clock) -> list[Item]:
        """Store a moved clock and bring every live item up to it; returns changed items."""
        start = self.now()
        if clock.now() - start < -dt.timedelta(seconds=1):
            raise errors.InvalidField("the clock only moves forward", field="clock")
        tenants.store_clock(self.tenant, clock)
        self.outbox.follow_clock(clock)
        return [item for item in live_items(self.session, self.tenant) if self.follow(item, start)]

    def follow(self, item: Item, since: dt.datetime) -> bool:
        """Bring ``item`` from the clock's ``since`` to now, as the days in between would have
        (a clock move, or the dispatcher noticing that a running clock passed something): new
        days and postings with their webhooks, an extraction's end, the daily Investments look,
        the consent's warning and end, micro-deposits verifying. True if its data changed.

        The item is locked first, so of two callers at once (a move and a dispatcher, two
        dispatchers) the second finds it caught up and queues nothing twice.
        """
        items.lock(self.session, item)
        if item.removed_at is not None:  # removed while this waited for the lock
            return False
        now = self.now()
        through = consent.data_through(item, now.date())  # no data once consent has ended
        changed = item.error_code is None and self._write_days(item, through)
        if item.error_code is None:
            self.investments.finish_extraction(item)
        if item.error_code is None and "investments" in item.products:
            self.investments.look(item, now.date(), quiet=True)
        consent.advance(self.session, self.tenant, item, since, now)
        for account_id in microdeposits.verify_due(item, now):
            code = microdeposits.SETTABLE["automatically_verified"]
            triggers.auth_verification(self.session, self.tenant, item, account_id, code)
        return changed

    def _write_days(self, item: Item, through: dt.date) -> bool:
        """Generate the item's days through ``through`` and post what matured; when that
        changed data, queue its webhooks (``DEFAULT_UPDATE``, ...) as Plaid's update would.
        Whoever notices the new day (a read, a clock move, the dispatcher) says so once."""
        seq = item.change_seq
        if not items.materialize(self.session, item, through):
            return False
        triggers.transactions_changed(self.session, self.tenant, item, seq)
        item.last_successful_update = self.now()
        return True

    # -- link and tokens --------------------------------------------------------------------

    def create_link_token(self, config: dict[str, Any]) -> LinkToken:
        """Store a Link configuration; update mode (``access_token``) checks the item."""
        link_config.check(config)
        if config.get("access_token"):
            self.item(config["access_token"], allow_error=True)
        now = self.now()
        ttl = UPDATE_MODE_LINK_TOKEN_TTL if config.get("access_token") else LINK_TOKEN_TTL
        hosted = config.get("hosted_link") or {}
        if hosted.get("url_lifetime_seconds"):
            ttl = dt.timedelta(seconds=hosted["url_lifetime_seconds"])
        link = LinkToken(
            token=tokens.link_token(),
            tenant_id=self.tenant.id,
            config=config,
            created_at=now,
            expires_at=now + ttl,
            sessions=[],
        )
        self.session.add(link)
        self.session.flush()
        return link

    def link_token(self, token: str) -> LinkToken:
        """A link token of this tenant (expired ones are still readable, as in Plaid)."""
        link = self.session.get(LinkToken, token)
        if link is None or link.tenant_id != self.tenant.id:
            raise errors.InvalidLinkToken(field="link_token")
        return link

    def sandbox_public_token(
        self,
        institution_id: str,
        products: list[str],
        *,
        username: str = "user_good",
        password: str = "pass_good",
        webhook: str | None = None,
        days_requested: int | None = None,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        statements_dates: tuple[dt.date, dt.date] | None = None,
    ) -> str:
        """Create an item without Link (``/sandbox/public_token/create``), its history
        spanning ``start_date``..``end_date`` (``items.requested_window``). Its Statements
        dates are checked as Link's are; the statements cover the whole history anyway."""
        if statements_dates is not None:
            check_window(*statements_dates, "options.statements.")
        days, history_end = items.requested_window(
            self.now().date(), days_requested, start_date, end_date
        )
        institution, login = self._login_serving(institution_id, products, username, password)
        item = self.create_item(
            institution,
            login,
            products,
            webhook=webhook,
            days_requested=days,
            history_end=history_end,
        )
        return self.issue_public_token(item)

    def products_served(
        self, institution_id: str, products: list[str], username: str, password: str
    ) -> list[str]:
        """Those of ``products`` that ``institution_id`` offers and one of the login's
        accounts serves (a demo item asks only for what it can have: a ``user_custom`` of one
        checking account has no liabilities); raises the credentials' error."""
        institution = institutions.get(institution_id)
        login = users.check_credentials(username, password)
        shared = self.link.preview_accounts(institution, login)
        return [
            p for p in products if p in institution.products and link_products.serves(p, shared)
        ]

    def import_item(
        self,
        institution_id: str,
        products: list[str],
        *,
        username: str,
        password: str,
        webhook: str | None = None,
    ) -> Item:
        """``/item/import``: an item from credentials the app already holds."""
        institution, login = self._login_serving(institution_id, products, username, password)
        return self.create_item(institution, login, products, webhook=webhook)

    def _login_serving(
        self, institution_id: str, products: list[str], username: str, password: str
    ) -> tuple[Institution, Login]:
        """The bank and the login of an item made without Link. The bank must offer each of
        ``products`` and, as in Link, one of the login's accounts must serve each of them
        (``NO_AUTH_ACCOUNTS`` …): refused before anything is written."""
        institution = institutions.get(institution_id)
        institutions.check_products(institution, products)
        login = users.check_credentials(username, password)
        link_products.check_served(products, self.link.preview_accounts(institution, login))
        return institution, login

    def create_item(
        self,
        institution: Institution,
        login: users.Login,
        products: list[str],
        *,
        webhook: str | None = None,
        days_requested: int = items.DEFAULT_DAYS_REQUESTED,
        history_end: dt.date | None = None,
        selected_accounts: Sequence[int] | None = None,
    ) -> Item:
        """A new item for a successful login (Link and the sandbox shortcut both end here)."""
        if health.status_of(self.session, self.tenant, institution.institution_id) == "DOWN":
            raise errors.InstitutionDown()
        item = items.create(
            self.session,
            self.tenant,
            self.now(),
            institution,
            login,
            products,
            webhook=webhook,
            days_requested=items.validate_days(days_requested),
            history_end=history_end,
            selected_accounts=selected_accounts,
        )
        if not item.accounts:
            raise errors.NoAccounts()
        item.consent_expires_at = consent.expiry_for(institution, self.now())
        if login.automated_microdeposits:
            microdeposits.start(item)
        elif login.typed is not None:
            typed = login.typed
            microdeposits.start(item, typed.status, typed.method, typed.name)
            item.products = [p for p in item.products if p in microdeposits.TYPED_ITEM_PRODUCTS]
        elif login.instant_match is not None:
            microdeposits.match_instantly(item, login.instant_match)
        if "transactions" in item.products:  # the initial pull is done: transactions are ready
            item.last_successful_update = self.now()
        triggers.item_linked(self.session, self.tenant, item, self.history_wait(item))
        return item

    def issue_public_token(self, item: Item, update_link: LinkToken | None = None) -> str:
        """A fresh single-use public token for ``item``; update mode passes its link token,
        whose access token the exchange then hands back (the token does not change)."""
        token = tokens.public_token()
        self.session.add(
            PublicToken(
                token=token,
                item_pk=item.pk,
                expires_at=self.now() + PUBLIC_TOKEN_TTL,
                used_at=None,
                link_token=update_link.token if update_link else None,
            )
        )
        return token

    def exchange_public_token(self, public_token: str) -> tuple[str, Item]:
        """Trade a public token for a permanent access token (once); an update-mode public
        token trades for the access token the item already has."""
        row = self.session.get(PublicToken, public_token)
        now = self.now()
        if row is None or row.used_at is not None or row.expires_at < now:
            raise errors.InvalidPublicToken(field="public_token")
        item = self.session.get(Item, row.item_pk)
        if item is None or item.tenant_id != self.tenant.id:
            raise errors.InvalidPublicToken(field="public_token")
        # Conditional update: of two concurrent exchanges only one may win the token.
        claimed = self.session.execute(
            update(PublicToken)
            .where(PublicToken.token == public_token, PublicToken.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            raise errors.InvalidPublicToken(field="public_token")
        if row.link_token is None:
            return self.issue_access_token(item), item
        return self._unchanged_access_token(row.link_token, item), item

    def updated_item(self, public_token: str) -> Item | None:
        """The tenant's item an update-mode public token came from; None for a new item's
        token or one the tenant lacks. Such a token needs no exchange: its item keeps its
        access token (``exchange_public_token`` hands back the one Link was opened with)."""
        row = self.session.get(PublicToken, public_token)
        if row is None or row.link_token is None:
            return None
        item = self.session.get(Item, row.item_pk)
        return item if item is not None and item.tenant_id == self.tenant.id else None

    def _unchanged_access_token(self, link_token: str, item: Item) -> str:
        """The access token an update-mode link token was created with: the exchange hands
        it back, never a second one. Rotated since, it is stale (``INVALID_ACCESS_TOKEN``)."""
        access_token: str = self.link_token(link_token).config["access_token"]
        if self.item(access_token, allow_error=True).pk != item.pk:
            raise errors.InvalidAccessToken(field="access_token")
        return access_token

    def issue_access_token(self, item: Item) -> str:
        """A new access token for ``item``."""
        token = tokens.access_token()
        stored = tokens.at_rest(self.session, token)
        self.session.add(
            AccessToken(token=stored, item_pk=item.pk, created_at=self.now(), revoked_at=None)
        )
        return token

    def invalidate_access_token(self, access_token: str) -> str:
        """Retire ``access_token`` at once and issue its replacement."""
        item = self.item(access_token, allow_error=True)
        # Conditional update: of two concurrent rotations only one may retire the token
        # and mint a successor; the other finds it retired, as a later call would.
        retired = self.session.execute(
            update(AccessToken)
            .where(
                AccessToken.token == tokens.at_rest(self.session, access_token),
                AccessToken.revoked_at.is_(None),
            )
            .values(revoked_at=self.now())
            .execution_options(synchronize_session=False)
        )
        if retired.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            raise errors.InvalidAccessToken(field="access_token")
        return self.issue_access_token(item)

    # -- items ------------------------------------------------------------------------------

    def item(self, access_token: str, *, allow_error: bool = False, change: bool = True) -> Item:
        """The live item behind ``access_token``, brought up to the clock.

        ``change=False`` is for callers that only read it: the item is locked only if it
        must be caught up (a read of a current item takes no lock, nor on SQLite the
        database's write lock); such a caller that changes it after all calls ``lock``.
        """
        return self._caught_up(self._row(access_token), allow_error=allow_error, change=change)

    def _row(self, access_token: str) -> Item:
        """The live item behind ``access_token``, as stored (not caught up)."""
        item = self.session.get(Item, self.called(access_token).pk)
        if item is None:  # removed since the call resolved its token
            raise errors.InvalidAccessToken(field="access_token")
        return item

    def item_to_show(self, access_token: str, *, allow_error: bool = False) -> Item:
        """The item behind ``access_token`` for a reply that only shows it: when it is caught
        up (nothing to write), the read-only row the call resolved with its token, else the
        item brought up to the clock (``item(change=False)``)."""
        found = self.called(access_token)
        now = self.now()
        if items.behind(found, now.date()) or consent.due(found, now):
            return self.item(access_token, allow_error=allow_error, change=False)
        _check_error(found, allow_error, now)
        return found

    def resolved(self, access_token: str) -> Called | None:
        """What ``access_token`` resolves to (``calls.resolve``), read once per call."""
        if access_token not in self._calls:
            self._calls[access_token] = calls.resolve(
                self.session, self.tenant_row.id, access_token
            )
        return self._calls[access_token]

    def called(self, access_token: str) -> Called:
        """The tenant's live item behind ``access_token`` as a read-only row;
        ``InvalidAccessToken`` (or ``ItemNotFound``) otherwise."""
        found = self.resolved(access_token)
        if found is None or found.token_revoked_at is not None:
            raise errors.InvalidAccessToken(field="access_token")
        if found.removed_at is not None:
            raise errors.ItemNotFound()
        return found

    def read_item(self, item: Item) -> Item:
        """An item a dialect resolved itself (TrueLayer's grant), brought up to the clock.

        Raises the item's error (a broken login, a mock user's ``error.<code>``) as reads do.
        """
        return self._caught_up(item, allow_error=False)

    def item_by_id(self, item_id: str) -> Item:
        """One of the tenant's live items by id (the sandbox's own API and pages)."""
        item = self.session.scalar(
            select(Item).where(Item.tenant_id == self.tenant.id, Item.id == item_id)
        )
        if item is None or item.removed_at is not None:
            raise errors.InvalidField(f"unknown item_id {item_id}", field="item_id")
        return self._caught_up(item, allow_error=True)

    def catch_up(self, item: Item, *, allow_error: bool = False) -> Item:
        """``item``, found by another credential (a processor token), checked and caught up."""
        return self._caught_up(item, allow_error=allow_error)

    def _caught_up(self, item: Item, *, allow_error: bool, change: bool = True) -> Item:
        """``item`` with its consent checked and its ledger generated up to the clock."""
        now = self.now()
        if change or items.behind(item, now.date()) or consent.due(item, now):
            self.lock(item)  # first: one request at a time changes an item
        consent.expire_if_due(self.session, self.tenant, item, now)
        _check_error(item, allow_error, now)
        if item.error_code is None:
            self._write_days(item, self.clock.today())
        self.load_history(item)
        return item

    def lock(self, item: Item) -> None:
        """Lock ``item`` for a change and reload it (``items.lock``); gone meanwhile: an error."""
        items.lock(self.session, item)
        if item.removed_at is not None:  # removed while this request waited for the lock
            raise errors.ItemNotFound()

    def load_history(self, item: Item) -> None:
        """Write the item's held-back older history now, and say so with ``HISTORICAL_UPDATE``."""
        if items.load_history(self.session, item):
            triggers.history_loaded(self.session, self.tenant, item, self.history_wait(item))

    def remove_item(self, access_token: str) -> None:
        """``/item/remove``: the item and every token of it stop working. It is not caught up
        first: writing its new days (and queueing their webhooks) only to remove it was waste."""
        item = self._row(access_token)
        self.lock(item)
        self.remove(item)

    def update_webhook(self, access_token: str, webhook: str | None) -> Item:
        """Point the item's webhooks at a new URL (or none)."""
        item = self.item(access_token, allow_error=True)
        item.webhook = webhook
        triggers.webhook_updated(self.session, self.tenant, item)
        return item

    def reset_login(self, access_token: str) -> Item:
        """``/sandbox/item/reset_login``: force ``ITEM_LOGIN_REQUIRED``."""
        return self.force_login_required(self.item(access_token, allow_error=True))

    def force_login_required(self, item: Item) -> Item:
        """Put ``item`` into ``ITEM_LOGIN_REQUIRED`` (the dashboard has no access token)."""
        items.set_error(item, errors.LoginRequired.condition)
        triggers.item_error(self.session, self.tenant, item, errors.LoginRequired())
        return item

    def repair_login(self, item: Item) -> None:
        """Update mode succeeded: the error clears, the access token stays."""
        items.set_error(item, None)
        consent.renew(item, self.now())

    def error_reason(self, item: Item) -> str | None:
        """The ``error_code_reason`` of the item's error now (``consent.error_reason``)."""
        return consent.error_reason(item, self.now())

    def auth_method(self, item: Item) -> str | None:
        """``item.auth_method`` (``microdeposits.item_auth_method``)."""
        return microdeposits.item_auth_method(self.session, item)

    def institution_of(self, item: Item) -> Institution:
        """The catalogue entry of the item's bank."""
        return institutions.get(item.institution_id)

    def available_products(self, item: Item) -> list[str]:
        """Products the bank offers that the item does not bill yet."""
        return sorted(set(self.institution_of(item).products) - set(item.products))

    # -- accounts ---------------------------------------------------------------------------

    def accounts(
        self, access_token: str, account_ids: list[str] | None = None
    ) -> ShownAccountsView:
        """The item's accounts, optionally filtered (foreign ids are an error)."""
        item = self.item_to_show(access_token)
        return ShownAccountsView(item, self.shown(item, account_ids))

    def balances(
        self,
        access_token: str,
        account_ids: list[str] | None = None,
        oldest: dt.datetime | None = None,
    ) -> ShownAccountsView:
        """``accounts`` read as real-time balances (``check_live_balances``)."""
        view = self.accounts(access_token, account_ids)
        self.check_live_balances(view.item, view.accounts, oldest)
        return view

    def check_live_balances(
        self, item: Item, accounts: Sequence[ShownAccount], oldest: dt.datetime | None
    ) -> None:
        """Refuse a real-time balance read (``/accounts/balance/get`` and its processor
        twin) of accounts that have none: numbers typed by hand (Plaid:
        ``PRODUCTS_NOT_SUPPORTED``), or none updated since ``oldest`` where the bank's are
        cached (``balances.check_fresh``)."""
        if microdeposits.typed_by_hand(accounts):
            raise errors.ProductsNotSupported()
        balances.check_fresh(item, accounts, oldest, self.now())

    def shown(self, item: Item, account_ids: list[str] | None) -> list[ShownAccount]:
        """The item's accounts as replies show them (``accounts.read_shown``). When ``item`` is
        the row the call resolved with its token and read them with (``calls.with_tenant``),
        those: the item was caught up, so nothing has been written since. (On PostgreSQL each
        read is its own snapshot anyway: reading them first promises no less than last.)"""
        read: list[ShownAccount] | None = getattr(item, "shown_accounts", None)  # not an ORM item
        if read is None:
            return accounts_mod.read_shown(self.session, item, account_ids)
        return accounts_mod.chosen(read, account_ids)

    def product_accounts(self, access_token: str, account_ids: list[str] | None) -> AccountsView:
        """The item and its accounts for a product's call, which bills (changes) the item."""
        item = self.item(access_token, change=False)
        return AccountsView(item, accounts_mod.read(self.session, item, account_ids))

    def liabilities(self, access_token: str, account_ids: list[str] | None = None) -> Report:
        """Credit cards, mortgages and student loans as the ledger has them today."""
        return self.liabilities_of(self.product_accounts(access_token, account_ids))

    def liabilities_of(self, view: AccountsView) -> Report:
        """``liabilities`` for accounts already in hand."""
        self.bill(view.item, "liabilities")
        return liabilities.report(self.session, view.item, view.accounts, self.clock.today())

    def owner(self, item: Item) -> dict[str, Any]:
        """The account holder of ``item``."""
        given = None if item.custom_config is not None else users.persona(item.persona).get("owner")
        return account_owner(
            items.data_key(self.tenant, item), self.institution_of(item).country, given
        )

    def bill(self, item: Item, product: str) -> None:
        """Add ``product`` to the item on first use, if the bank supports it (as Plaid does)."""
        if product in item.products:
            return
        self.check_offered(item, product)
        self.lock(item)  # read without a lock: another call may have added a product since
        item.products = sorted({*item.products, product})

    def check_offered(self, item: Item, product: str) -> None:
        """``PRODUCTS_NOT_SUPPORTED`` unless the item's bank offers ``product`` through a login."""
        if product not in self.institution_of(item).products:
            raise errors.ProductsNotSupported()
        if microdeposits.typed_by_hand(item.accounts):  # no login to read the product through
            raise errors.ProductsNotSupported()

    def statements_item(self, access_token: str) -> Item:
        """The item behind ``access_token``, billed for Statements (as Plaid adds it on use)."""
        item = self.item(access_token)
        self.bill(item, "statements")
        return item

    # -- webhooks ---------------------------------------------------------------------------

    def history_ready(self, item: Item) -> bool:
        """Whether the historical pull is done (``HISTORICAL_DELAY_SECONDS``, tenant clock)."""
        return not self.history_wait(item)

    def history_wait(self, item: Item) -> dt.timedelta:
        """What is left of the historical pull on the tenant clock: its webhooks wait that
        long, not the whole delay when the clock was moved since the item was linked."""
        return max(dt.timedelta(0), item.created_at + self.historical_delay - self.now())

    def fire_webhook(
        self,
        access_token: str,
        webhook_type: str,
        webhook_code: str,
        *,
        new_transactions: int | None = None,
    ) -> None:
        """``/sandbox/item/fire_webhook``: queue one of the codes Plaid lets you fire;
        ``new_transactions`` is the count a fired ``TRANSACTIONS`` ``DEFAULT_UPDATE`` says."""
        item = self.item(access_token, allow_error=True)
        triggers.fire(
            self.session,
            self.tenant,
            item,
            webhook_type,
            webhook_code,
            self.now(),
            new_transactions=new_transactions,
        )

    def balance_history(
        self, item: Item, accounts: list[Account], start: dt.date, end: dt.date
    ) -> list[Series]:
        """End-of-day balances of ``accounts`` for every day from ``start`` to ``end``."""
        return balances.history(self.session, item, accounts, start, end)

    def explore_transactions(self, query: TransactionQuery) -> ExplorerPage:
        """The tenant's transactions across its live items (or ``query.item_ids``), one page."""
        chosen = [
            item
            for item in live_items(self.session, self.tenant)
            if not query.item_ids or item.id in query.item_ids
        ]
        unknown = set(query.item_ids) - {item.id for item in chosen}
        if unknown:
            raise errors.InvalidField(f"unknown item_id {sorted(unknown)[0]}", field="item_id")
        caught_up = [self._caught_up(item, allow_error=True) for item in chosen]
        accounts = {a.id for item in caught_up for a in item.accounts}
        if missing := sorted(set(query.account_ids) - accounts):
            raise errors.InvalidField(f"unknown account_id {missing[0]}", field="account_id")
        return explorer.page(self.session, caught_up, query)

    def remove(self, item: Item) -> None:
        """Remove an item the caller already holds (the dashboard's button, a deleted TrueLayer
        connection); its webhooks not sent yet are cancelled."""
        items.remove(item, self.now())
        triggers.item_removed(self.session, item)

    def reset(self) -> None:
        """Forget every item, link token and clock change of the tenant; keys stay valid."""
        tenants.reset(self.session, self.tenant)

    def webhook_key(self, kid: str) -> WebhookKey:
        """A verification key of this tenant by id."""
        return signing.find(self.session, self.tenant, kid)


def _check_error(item: Item, allow_error: bool, now: dt.datetime) -> None:
    """Raise the item's error (a broken login, a mock user's error) unless it is allowed."""
    if item.error_code is not None and not allow_error:
        error = errors.for_condition(item.error_code) or errors.LoginRequired
        raise error(reason=consent.error_reason(item, now))


def live_items(session: Session, tenant: Tenant) -> list[Item]:
    """The tenant's items that are not removed."""
    return list(
        session.scalars(
            select(Item)
            .where(Item.tenant_id == tenant.id, Item.removed_at.is_(None))
            .order_by(Item.created_at, Item.id)
        )
    )


def link_session_by_oauth_state(session: Session, state: str) -> LinkSession | None:
    """The Link session waiting for a bank's redirect with ``state`` (its tenant unknown yet)."""
    return by_oauth_state(session, state)


def create_tenant(session: Session, name: str, seed: int, **keys: Any) -> tuple[Tenant, Keys]:
    """A new tenant (``client_id``/``secret``/``now`` may be given); see ``tenants.create``."""
    return tenants.create(session, name, seed, **keys)


def consent_of_refresh_token(session: Session, refresh_token: str | None) -> Consent:
    """The live connection of a refresh token, in any tenant (``/v1/reauthuri``)."""
    return grant_access.consent_of_refresh_token(session, refresh_token)


def find_app_client(session: Session, client_id: str | None) -> AppClient:
    """The app client ``client_id`` names, in any tenant (the auth link carries no secret)."""
    return app_clients.find(session, client_id)


def authenticate_app_client(
    session: Session, client_id: str | None, client_secret: str | None
) -> AppClient:
    """The app client these credentials belong to (the token endpoint's check)."""
    return app_clients.authenticate(session, client_id, client_secret)


def check_login(username: str, password: str) -> Login:
    """Resolve a username and password at a bank's own login page (no tenant yet)."""
    return users.check_credentials(username, password)


def login_chooses_error(password: str) -> bool:
    """Whether a bank's login page got an ``error_<CODE>`` password (Link reports its error)."""
    return users.chooses_error(password)
