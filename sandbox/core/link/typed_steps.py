"""Link's panes where the user types bank numbers (``bank.link.typed``): manual entry (US
routing and account numbers, or a Canadian Link's EFT numbers), the code of a micro-deposit,
and Instant Match's numbers after a sign-in. Which flow numbers start and whether they are
well formed are ``typed``'s rules; these steps move the session and finish it through
``LinkFlow.complete``, as the main path does."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .. import errors, institutions, microdeposits, users
from ..institutions import Institution
from ..microdeposits import Typed
from ..models import Account, LinkSession, LinkToken
from . import typed
from .steps import MATCH, SELECT, VERIFY, event, expect, is_update, load_login

if TYPE_CHECKING:
    from .flow import LinkFlow

# Plaid's Link events after typed numbers (``TRANSITION_VIEW`` to ``NUMBERS`` comes first).
AUTHORIZED_EVENTS = {
    microdeposits.SAME_DAY: "SAME_DAY_MICRODEPOSIT_AUTHORIZED",
    microdeposits.INSTANT: "INSTANT_MICRODEPOSIT_AUTHORIZED",
}


def offers_manual_entry(link: LinkToken) -> bool:
    """Whether the institution pane takes numbers typed by hand (``typed``)."""
    return typed.offers_manual_entry(link.config.get("auth") or {})


def takes_eft_numbers(link: LinkToken) -> bool:
    """Whether typed numbers are Canadian (institution, branch, account): a Canada-only Link,
    the one country besides the US whose Link offers Database Insights."""
    return list(link.config["country_codes"]) == ["CA"]


def leads_to_instant_match(session: LinkSession, link: LinkToken, login: users.Login) -> bool:
    """Whether the sign-in goes on to Instant Match: a new item at a bank whose numbers
    come by it (``typed.offers_instant_match``) with Plaid's test login ``user_good``
    (its ``microdeposits_good`` password picks automated micro-deposits instead)."""
    institution = institutions.get(session.institution_id or "")
    return (
        not is_update(link)
        and login.username == "user_good"
        and not login.automated_microdeposits
        and typed.offers_instant_match(
            link.config.get("auth") or {},
            list(link.config.get("products") or []),
            institution.auth_method,
        )
    )


def _holder(link: LinkToken, name: str) -> str | None:
    """The holder's name typed, else the link token's ``user.legal_name`` (as Link fills
    it in)."""
    return name.strip() or (link.config.get("user") or {}).get("legal_name") or None


class TypedSteps:
    """``bank.link.typed``: the panes of one tenant's Link where numbers are typed."""

    # The form's limits and the checks a dialect's Link pages need, reachable from the facade.
    ROUTING_DIGITS, ACCOUNT_DIGITS = typed.ROUTING_DIGITS, typed.ACCOUNT_DIGITS
    EFT_INSTITUTION_DIGITS, EFT_BRANCH_DIGITS = (
        typed.EFT_INSTITUTION_DIGITS,
        typed.EFT_BRANCH_DIGITS,
    )
    EFT_ACCOUNT_DIGITS = typed.EFT_ACCOUNT_DIGITS
    offers_manual_entry = staticmethod(offers_manual_entry)
    takes_eft_numbers = staticmethod(takes_eft_numbers)

    def __init__(self, flow: LinkFlow) -> None:
        self.flow = flow
        self.bank = flow.bank

    def submit_manual_entry(
        self, session: LinkSession, link: LinkToken, routing: str, account: str, name: str
    ) -> None:
        """Numbers (and the holder's name) typed by hand: the flow they start (``typed``)
        makes the item at once, or for Instant micro-deposits asks for the code first. The
        name defaults to the link token's ``user.legal_name``, as Plaid's Link fills it."""
        expect(session, SELECT)
        holder = _holder(link, name)
        entry = typed.route(link.config.get("auth") or {}, routing, account, holder)
        now = self.bank.now()
        event(session, now, "TRANSITION_VIEW", view_name="NUMBERS")
        event(session, now, "SUBMIT_ROUTING_NUMBER", routing_number=routing)
        self._start(session, link, entry, account, holder)

    def submit_eft_entry(
        self,
        session: LinkSession,
        link: LinkToken,
        numbers: tuple[str, str, str],
        name: str,
    ) -> None:
        """Canadian numbers typed by hand (institution, branch, account) and the holder's
        name: Database Insights makes the item at once. (unconfirmed) Link's events for
        them are taken to be the US flow's, without ``SUBMIT_ROUTING_NUMBER``."""
        expect(session, SELECT)
        holder = _holder(link, name)
        institution, branch, account = numbers
        auth = link.config.get("auth") or {}
        entry = typed.route_eft(auth, institution, branch, account, holder)
        event(session, self.bank.now(), "TRANSITION_VIEW", view_name="NUMBERS")
        self._start(session, link, entry, account, holder)

    def _start(
        self,
        session: LinkSession,
        link: LinkToken,
        entry: typed.Entry,
        account: str,
        holder: str | None,
    ) -> None:
        """Typed numbers were accepted: make the item, or first ask for the deposit's code."""
        now = self.bank.now()
        event(session, now, "SUBMIT_ACCOUNT_NUMBER", account_number_mask=account[-4:])
        if entry.typed.method in AUTHORIZED_EVENTS:
            event(session, now, AUTHORIZED_EVENTS[entry.typed.method])
        session.institution_id = entry.institution_id
        if entry.awaits_code:
            session.data = {**session.data, "instant_name": holder}
            session.step = VERIFY
            return
        self._make_item(session, link, entry.typed)

    def _make_item(self, session: LinkSession, link: LinkToken, how: Typed) -> None:
        """Make the item of typed numbers: its bank's first checking account, as ``how``."""
        institution = institutions.get(session.institution_id or "")
        login = users.manual_entry_login(how)
        self.flow.complete(session, link, login, self.typed_account(institution, login))

    def typed_account(self, institution: Institution, login: users.Login) -> list[int]:
        """The one account an item of typed numbers has, as ``selected_accounts``: the
        bank's first checking account (Link's panes and ``/auth/verify`` alike)."""
        listed = self.flow.preview_accounts(institution, login)
        return [a.ordinal for a in listed if a.subtype == "checking"][:1]

    def submit_deposit_code(self, session: LinkSession, link: LinkToken, code: str) -> None:
        """The code of the deposit: right → ``manually_verified`` and done; wrong → the pane
        again with the tries left (none left: ``verification_failed``). Instant
        micro-deposits count the tries on the session, the item being made on the right one;
        Same Day counts them on the account, in update mode."""
        expect(session, VERIFY)
        if "instant_name" in session.data:
            self._instant_code(session, link, code)
            return
        item = self.bank.item(link.config["access_token"], allow_error=True)
        account = microdeposits.awaiting_code(item)
        if account is None:
            raise errors.InvalidField("no deposit awaits a code", field="code")
        if microdeposits.enter_code(account, code):
            # Update mode: the item is repaired, not made; the login only names its persona.
            same_day = Typed(microdeposits.VERIFIED_BY_CODE, microdeposits.SAME_DAY)
            self.flow.complete(session, link, users.manual_entry_login(same_day), None)
        else:
            session.data = {**session.data, "attempts_left": microdeposits.attempts_left(account)}

    def _instant_code(self, session: LinkSession, link: LinkToken, code: str) -> None:
        left = session.data.get("attempts_left", microdeposits.MAX_ATTEMPTS)
        right, used = microdeposits.check_code(code, microdeposits.MAX_ATTEMPTS - left)
        if right:
            verified = Typed(
                microdeposits.VERIFIED_BY_CODE, microdeposits.INSTANT, session.data["instant_name"]
            )
            self._make_item(session, link, verified)
        else:
            session.data = {**session.data, "attempts_left": microdeposits.MAX_ATTEMPTS - used}

    def match_account(self, session: LinkSession) -> Account:
        """The account Instant Match verifies, whose numbers the pane asks for: the login's
        first savings account (Plaid's sandbox: Plaid Saving ••1111)."""
        expect(session, MATCH)
        institution = institutions.get(session.institution_id or "")
        listed = self.flow.preview_accounts(institution, load_login(session.data["login"]))
        return next(a for a in listed if a.subtype == typed.INSTANT_MATCH_SUBTYPE)

    def submit_instant_match(
        self, session: LinkSession, link: LinkToken, routing: str, account: str
    ) -> None:
        """Numbers typed for the account Instant Match verifies: matched, the item is made
        with that one account (``auth_method`` INSTANT_MATCH); else the error names the
        field (``INVALID_FIELD`` malformed, ``INSTANT_MATCH_FAILED`` not matching)."""
        target = self.match_account(session)
        now = self.bank.now()
        event(session, now, "SUBMIT_ROUTING_NUMBER", routing_number=routing)
        event(session, now, "SUBMIT_ACCOUNT_NUMBER", account_number_mask=account[-4:])
        typed.instant_match(routing, account, target.name, target.mask or "")
        login = replace(load_login(session.data["login"]), instant_match=target.ordinal)
        self.flow.complete(session, link, login, [target.ordinal])
