"""Hosted Link sessions: the steps a user walks through and what each step decides.

A session moves ``consent`` → ``select_institution`` → ``credentials`` → ``mfa`` (rounds)
(→ ``select_account``, when the app chose Link's Account Select pane: ``account_select``)
→ ``done``, or from the institution to ``oauth`` (the bank's own authorize page) and back
to ``done``. With a manual Auth flow enabled, the institution pane also takes numbers typed
by hand, and at a bank whose numbers come by Instant Match a sign-in with Auth asks for the
numbers of the one account it verifies (``instant_match``) before ``done``; those panes, and
the deposit's code (``verify_deposits``) they or update mode on a Same Day item ask for, are
``typed_steps`` (``bank.link.typed``). The step names and what every step does alike are
``steps``.
A failure parks it at ``error`` until the user retries or exits. Update mode
(``access_token`` on the link token) starts at the item's bank and repairs the item
instead of creating one. Finished sessions are recorded on the link token as facts (outcome,
instants, shared accounts, events); a dialect words them (Plaid: ``/link/token/get``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import accounts as accounts_mod
from .. import errors, institutions, items, microdeposits, tokens, users
from ..institutions import Institution
from ..models import Account, Item, LinkSession, LinkToken
from ..webhooks import outbox as webhooks
from . import account_select, typed_steps
from . import products as link_products
from .steps import (
    CONSENT,
    CREDENTIALS,
    DONE,
    ERROR,
    EXITED,
    FINISHED,
    MATCH,
    MFA,
    OAUTH,
    SELECT,
    SELECT_ACCOUNT,
    VERIFY,
    dump_login,
    event,
    expect,
    instant,
    is_update,
    load_login,
)
from .typed_steps import TypedSteps

if TYPE_CHECKING:
    from ..bank import Bank

# Plaid's onExit ``status`` for the step the user left from.
EXIT_STATUS = {
    CONSENT: "requires_consent",
    SELECT: "institution_not_found",
    CREDENTIALS: "requires_credentials",
    MFA: "requires_code",
    OAUTH: "requires_oauth",
    VERIFY: "requires_code",
    MATCH: "requires_credentials",  # (unconfirmed) the numbers stand for the bank's login
    SELECT_ACCOUNT: "requires_account_selection",
    ERROR: "requires_credentials",
}


def by_oauth_state(db_session: Session, state: str) -> LinkSession | None:
    """The session waiting for the bank to redirect back with ``state``, or the one that came
    back with it and finished (a user at the bank again through the history lands there)."""
    if not state:
        return None
    return db_session.scalar(select(LinkSession).where(LinkSession.oauth_state == state))


def offered(link: LinkToken, query: str | None = None) -> list[Institution]:
    """Banks the picker shows: in the token's countries, supporting all its products, the
    one ``institution_data.routing_number`` highlights first."""
    config = link.config
    found = institutions.search(
        country_codes=config["country_codes"], query=query, products=config.get("products")
    )
    routing = (config.get("institution_data") or {}).get("routing_number")
    holders = [i for i in institutions.catalogue().values() if routing in i.routing_numbers]
    # Plaid: a routing number that several institutions share highlights none of them.
    if len(holders) == 1 and holders[0] in found:
        found.remove(holders[0])
        found.insert(0, holders[0])
    return found


def mfa_challenge(session: LinkSession) -> tuple[users.Mfa, int]:
    """The pending MFA challenge and the 0-based round the user is on."""
    expect(session, MFA)
    return load_login(session.data["login"]).mfa or users.Mfa("device"), session.data["mfa_round"]


def retry(session: LinkSession, link: LinkToken) -> None:
    """Leave the error pane for the step that failed; after the bank's own failure, the bank
    list with nothing chosen (update mode: through the consent pane to the item's bank)."""
    expect(session, ERROR)
    step = session.data.get("retry_step", CREDENTIALS)
    if step == SELECT:
        session.institution_id = None
        step = CONSENT if is_update(link) else SELECT
    session.step = step


def can_go_back(session: LinkSession, link: LinkToken) -> bool:
    """Whether the pane has a way back to the bank list: signing in at a bank the user
    picked (update mode has no list: the item's bank is the only one)."""
    return session.step in (CREDENTIALS, OAUTH) and not is_update(link)


def back_to_banks(session: LinkSession, link: LinkToken) -> None:
    """The user picked the wrong bank: back to the list, nothing chosen."""
    if not can_go_back(session, link):
        raise errors.InvalidField("this Link pane has no way back", field="step")
    session.step, session.institution_id, session.oauth_state = SELECT, None, None


def matches_filters(account: Account, account_filters: dict[str, Any] | None) -> bool:
    """Whether ``account_filters`` of the link token let Link offer ``account``."""
    if not account_filters:
        return True
    wanted = account_filters.get(account.type)
    if not isinstance(wanted, dict):
        return False
    subtypes = wanted.get("account_subtypes") or ["all"]
    return "all" in subtypes or account.subtype in subtypes


def _record(link: LinkToken, session: LinkSession, outcome: str, **facts: Any) -> None:
    """Keep a finished session's facts on its link token; each dialect words them."""
    entry = {
        "session_id": session.id,
        "outcome": outcome,  # "success" or "exit"
        "started_at": instant(session.started_at),
        "finished_at": instant(session.finished_at),
        "events": session.data.get("events", []),
        **facts,
    }
    link.sessions = [*(link.sessions or []), entry]


def _account_facts(account: Account) -> dict[str, Any]:
    """What a session shared of an account, as it was then (the item may go later)."""
    return {
        "id": account.id,
        "name": account.name,
        "mask": account.mask,
        "type": account.type,
        "subtype": account.subtype,
        "verification_status": account.verification_status,
    }


class LinkFlow:
    """``bank.link``: the hosted Link steps of one tenant's bank."""

    # The steps and helpers a dialect's Link pages need, reachable through ``bank.link``.
    CONSENT, SELECT, CREDENTIALS, MFA, OAUTH = CONSENT, SELECT, CREDENTIALS, MFA, OAUTH
    VERIFY, ERROR, DONE, EXITED, FINISHED = VERIFY, ERROR, DONE, EXITED, FINISHED
    MATCH = MATCH
    SELECT_ACCOUNT, ACCOUNT_FIELD, ONE_ACCOUNT = (
        SELECT_ACCOUNT,
        account_select.FIELD,
        account_select.ONE,
    )
    is_update = staticmethod(is_update)
    offered = staticmethod(offered)
    mfa_challenge = staticmethod(mfa_challenge)
    retry = staticmethod(retry)
    can_go_back = staticmethod(can_go_back)
    back_to_banks = staticmethod(back_to_banks)
    dump_login = staticmethod(dump_login)
    load_login = staticmethod(load_login)

    def __init__(self, bank: Bank) -> None:
        self.bank = bank

    @cached_property
    def typed(self) -> TypedSteps:
        """The panes where numbers are typed: manual entry, a deposit's code, Instant Match."""
        return TypedSteps(self)

    def has_expired(self, link: LinkToken) -> bool:
        """Whether ``link`` has expired (on the tenant's clock)."""
        return link.expires_at < self.bank.now()

    def start(self, link: LinkToken) -> LinkSession:
        """A new session on ``link`` (the token must not have expired)."""
        now = self.bank.now()
        if self.has_expired(link):
            raise errors.InvalidLinkToken(field="link_token")
        session = LinkSession(
            id=tokens.session_id(),
            link_token=link.token,
            step=CONSENT,
            institution_id=None,
            oauth_state=None,
            data={"events": []},
            started_at=now,
            finished_at=None,
        )
        self.bank.session.add(session)
        event(session, now, "OPEN")
        return session

    def find(self, link: LinkToken, session_id: str | None) -> LinkSession | None:
        """The session ``session_id`` of ``link``, if it exists and is unfinished."""
        found = self.bank.session.get(LinkSession, session_id) if session_id else None
        if found is None or found.link_token != link.token or found.step in FINISHED:
            return None
        return found

    def accept_consent(self, session: LinkSession, link: LinkToken) -> None:
        """The user agreed to share data; update mode goes straight to the item's bank."""
        expect(session, CONSENT)
        if is_update(link):
            item = self.bank.item(link.config["access_token"], allow_error=True)
            if microdeposits.awaiting_code(item) is not None:
                session.institution_id, session.step = item.institution_id, VERIFY
                return
            self._choose(session, self.bank.institution_of(item))
        else:
            session.step = SELECT

    def choose_institution(
        self, session: LinkSession, link: LinkToken, institution_id: str
    ) -> None:
        """The user picked a bank: credentials for most, the bank's own page for OAuth banks."""
        expect(session, SELECT)
        chosen = [i for i in offered(link) if i.institution_id == institution_id]
        if not chosen:
            raise errors.InvalidInstitution(field="institution_id")
        self._choose(session, chosen[0])

    def _choose(self, session: LinkSession, institution: Institution) -> None:
        session.institution_id = institution.institution_id
        session.step = OAUTH if institution.oauth else CREDENTIALS
        event(
            session,
            self.bank.now(),
            "SELECT_INSTITUTION",
            institution_id=institution.institution_id,
        )

    def submit_credentials(
        self, session: LinkSession, link: LinkToken, username: str, password: str
    ) -> None:
        """Check the test credentials: an MFA challenge, a finished item, or an error pane."""
        expect(session, CREDENTIALS)
        event(session, self.bank.now(), "SUBMIT_CREDENTIALS")
        try:
            login = users.check_credentials(username.strip(), password)
            if login.mfa is not None:
                session.data = {**session.data, "login": dump_login(login), "mfa_round": 0}
                session.step = MFA
                return
            self._signed_in(session, link, login)
        except errors.CoreError as exc:
            self.fail(session, exc)

    def submit_mfa(self, session: LinkSession, link: LinkToken, answers: list[str]) -> None:
        """Check one round of MFA answers; the last right round finishes the login."""
        mfa, round_index = mfa_challenge(session)
        event(session, self.bank.now(), "SUBMIT_MFA", mfa_type=mfa.kind)
        try:
            if [a.strip() for a in answers] != mfa.expected(round_index):
                raise errors.InvalidMfa()
            if round_index + 1 < mfa.rounds:
                session.data = {**session.data, "mfa_round": round_index + 1}
                return
            self._signed_in(session, link, load_login(session.data["login"]))
        except errors.CoreError as exc:
            self.fail(session, exc)

    def _signed_in(self, session: LinkSession, link: LinkToken, login: users.Login) -> None:
        """Credentials (and MFA) passed: finish, or first show the Account Select pane when
        the app chose one and the bank has an account to offer (none: finishing says so)."""
        if typed_steps.leads_to_instant_match(session, link, login):
            session.data = {**session.data, "login": dump_login(login)}
            session.step = MATCH
            event(session, self.bank.now(), "TRANSITION_VIEW", view_name="NUMBERS")
            return
        mode = account_select.mode_for(link.config)
        offered = [a.ordinal for a in self._selectable(session, link, login)] if mode else []
        if mode is None or not offered:
            self.complete(session, link, login, None)
            return
        on_item = self.current_ordinals(link) if is_update(link) else None
        session.data = {
            **session.data,
            "login": dump_login(login),
            "account_select": {
                "mode": mode,
                "offered": offered,
                "ticked": account_select.preticked(mode, offered, on_item),
            },
        }
        session.step = SELECT_ACCOUNT
        event(session, self.bank.now(), "TRANSITION_VIEW", view_name="SELECT_ACCOUNT")

    def _selectable(
        self, session: LinkSession, link: LinkToken, login: users.Login
    ) -> list[Account]:
        """The accounts the pane lists: those passing ``account_filters``, and in update mode
        the item's own too (so the user can untick them)."""
        institution = institutions.get(session.institution_id or "")
        filters = link.config.get("account_filters")
        on_item = set(self.current_ordinals(link)) if is_update(link) else set()
        return [
            a
            for a in self.preview_accounts(institution, login)
            if matches_filters(a, filters) or a.ordinal in on_item
        ]

    def account_pane(self, session: LinkSession, link: LinkToken) -> dict[str, Any]:
        """What the Account Select pane shows: its mode, the accounts offered (unsaved) and
        those ticked, and why the last submission was refused (if it was)."""
        expect(session, SELECT_ACCOUNT)
        pane = session.data["account_select"]
        institution = institutions.get(session.institution_id or "")
        listed = self.preview_accounts(institution, load_login(session.data["login"]))
        return {
            "mode": pane["mode"],
            "accounts": [a for a in listed if a.ordinal in pane["offered"]],
            "ticked": set(pane["ticked"]),
            "problem": pane.get("problem"),
        }

    def submit_accounts(self, session: LinkSession, link: LinkToken, values: list[str]) -> None:
        """The user chose accounts on the pane: finish with those only (in update mode the
        unticked ones leave the item). A refused choice stays on the pane, saying why."""
        expect(session, SELECT_ACCOUNT)
        pane = session.data["account_select"]
        try:
            ordinals = account_select.chosen(pane["mode"], pane["offered"], values)
        except errors.InvalidField as exc:
            session.data = {**session.data, "account_select": {**pane, "problem": exc.message}}
            return
        try:
            self.complete(session, link, load_login(session.data["login"]), ordinals)
        except errors.CoreError as exc:
            self.fail(session, exc)

    def begin_oauth(self, session: LinkSession, state: str, code_verifier: str) -> None:
        """Remember the PKCE verifier and state of the trip to the bank's authorize page."""
        expect(session, OAUTH)
        session.oauth_state = state
        session.data = {**session.data, "code_verifier": code_verifier}
        event(session, self.bank.now(), "OPEN_OAUTH")

    def finish_oauth(
        self, session: LinkSession, link: LinkToken, login: users.Login, accounts: list[int]
    ) -> None:
        """The bank granted access to ``accounts``: create (or repair) the item with those only.
        The ``state`` stays on a session that succeeds (``by_oauth_state``); a failure clears it."""
        expect(session, OAUTH)
        try:
            if not accounts:
                raise errors.AccessNotGranted()
            self.complete(session, link, login, accounts)
        except errors.CoreError as exc:
            self.fail(session, exc)

    def fail(self, session: LinkSession, exc: errors.CoreError) -> None:
        """Show ``exc`` on the error pane (the user may retry or exit)."""
        session.oauth_state = None
        if isinstance(exc, errors.InstitutionError) or session.institution_id is None:
            retry_step = SELECT  # the bank failed: Try again offers the others, as Plaid's Link
        elif institutions.get(session.institution_id).oauth:
            retry_step = OAUTH
        else:
            retry_step = CREDENTIALS
        session.data = {
            **session.data,
            "error": {
                "condition": exc.condition,
                "message": exc.message,
                "field": exc.detail.get("field"),  # the pane names what to correct
            },
            "retry_step": retry_step,
        }
        session.step = ERROR
        event(session, self.bank.now(), "ERROR", condition=exc.condition)

    def exit_session(self, session: LinkSession, link: LinkToken, error: str | None) -> None:
        """The user closed Link (``error``: the condition on screen, if any): record the exit
        and tell the app (``SESSION_FINISHED``)."""
        now = self.bank.now()
        status = EXIT_STATUS.get(session.step, "requires_credentials")
        session.step, session.finished_at, session.oauth_state = EXITED, now, None
        event(session, now, "EXIT")
        _record(
            link,
            session,
            "exit",
            status=status,
            institution_id=session.institution_id,
            error=error,
            request_id=tokens.request_id(),
        )
        self._session_finished(session, link, "EXITED", [])

    def preview_accounts(self, institution: Institution, login: users.Login) -> list[Account]:
        """The accounts this login has at ``institution`` (unsaved), for consent screens."""
        probe = Item(
            username=login.username,
            institution_id=institution.institution_id,
            custom_config=login.custom,
        )
        recipe = users.persona(login.persona) if login.custom is None else {"accounts": []}
        return accounts_mod.build(
            0,  # no item row: nothing is saved
            ("preview",),
            items.data_key(self.bank.tenant, probe),
            institution,
            accounts_mod.recipes_for(recipe, login.custom),
        )

    def complete(
        self,
        session: LinkSession,
        link: LinkToken,
        login: users.Login,
        consented: list[int] | None,
    ) -> None:
        """Make (or in update mode repair) the item with the ``consented`` accounts (``None``:
        those the link token's filters let through; in update mode, the item's as they are),
        hand off its public token and record the success: every path's last step."""
        institution = institutions.get(session.institution_id or "")
        not_added: list[str] = []
        with self.bank.session.begin_nested():
            if is_update(link):
                item = self._repair(link)
                if consented is not None:
                    not_added = self._reshare(item, institution, login, set(consented))
                for product in link_products.added_in_update(link.config):
                    self.bank.bill(item, product)  # PRODUCTS_NOT_SUPPORTED if the bank lacks it
            else:
                item = self._create(link, institution, login, consented)
            public_token = self.bank.issue_public_token(item, link if is_update(link) else None)
        now = self.bank.now()
        session.step, session.finished_at = DONE, now
        event(session, now, "HANDOFF")
        session.data = {**session.data, "public_token": public_token}
        _record(
            link,
            session,
            "success",
            public_token=public_token,
            institution_id=institution.institution_id,
            accounts=[_account_facts(a) for a in item.accounts],
            not_added=not_added,
        )
        url = link.config.get("webhook")
        webhooks.emit(
            self.bank.session,
            self.bank.tenant,
            None,
            "LINK",
            "ITEM_ADD_RESULT",
            {"link_session_id": session.id, "link_token": link.token, "public_token": public_token},
            url=url,
        )
        self._session_finished(session, link, "SUCCESS", [public_token])

    def _create(
        self,
        link: LinkToken,
        institution: Institution,
        login: users.Login,
        consented: list[int] | None,
    ) -> Item:
        config = link.config
        filters = config.get("account_filters")
        shared = [
            a
            for a in self.preview_accounts(institution, login)
            if matches_filters(a, filters) and (consented is None or a.ordinal in consented)
        ]
        days = (config.get("transactions") or {}).get("days_requested")
        return self.bank.create_item(
            institution,
            login,
            link_products.for_item(config, institution, shared),
            webhook=config.get("webhook"),
            days_requested=days or items.DEFAULT_DAYS_REQUESTED,
            selected_accounts=[a.ordinal for a in shared],
        )

    def _reshare(
        self, item: Item, institution: Institution, login: users.Login, consented: set[int]
    ) -> list[str]:
        """Honour the accounts ticked at the bank in update mode: unticked ones leave the item;
        returns the names of newly ticked ones, which an existing item cannot take on."""
        on_item = {a.ordinal for a in item.accounts}
        items.keep_accounts(item, consented)
        if not item.accounts:
            raise errors.AccessNotGranted()
        # DIVERGES: Plaid adds newly shared accounts to the item; the sandbox's ledger is
        # planned for the accounts an item starts with, so Link says they were not added.
        return [
            a.name
            for a in self.preview_accounts(institution, login)
            if a.ordinal in consented - on_item
        ]

    def current_ordinals(self, link: LinkToken) -> list[int]:
        """The accounts an update-mode link's item shares now (what its bank pre-ticks)."""
        item = self.bank.item(link.config["access_token"], allow_error=True)
        return [a.ordinal for a in item.accounts]

    def _repair(self, link: LinkToken) -> Item:
        item = self.bank.item(link.config["access_token"], allow_error=True)
        was_broken = item.error_code is not None
        self.bank.repair_login(item)
        if was_broken:
            webhooks.emit(self.bank.session, self.bank.tenant, item, "ITEM", "LOGIN_REPAIRED", {})
        return item

    def _session_finished(
        self, session: LinkSession, link: LinkToken, status: str, public_tokens: list[str]
    ) -> None:
        webhooks.emit(
            self.bank.session,
            self.bank.tenant,
            None,
            "LINK",
            "SESSION_FINISHED",
            {
                "status": status,
                "link_session_id": session.id,
                "link_token": link.token,
                "public_tokens": public_tokens,
            },
            url=link.config.get("webhook"),
        )
