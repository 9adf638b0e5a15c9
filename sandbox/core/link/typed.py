"""Numbers typed into Link's bank pane: which of Auth's manual flows they start.

The link token's ``auth`` flags offer the flows (``offers_manual_entry``); the numbers then
choose among the offered ones, in the order Plaid's Link tries them:

- Instant micro-deposits at a bank that runs them (Plaid's sandbox: Windowpane Bank's
  ``333333334``): the code is asked for in the same session.
- Database Match (deprecated) when its database knows the numbers and the name.
- Database Insights: any valid routing number; the account number sets the verdict.
- Same Day micro-deposits: any routing number; also where Instant micro-deposits meet
  another bank's number (Plaid's "upgrade path") or Database Match finds nothing.

A Canadian Link (``country_codes: ["CA"]``) takes EFT numbers instead (institution, branch or
transit, and account number), for Database Insights, the one flow Plaid offers there.

Instant Match takes the same numbers after a sign-in, not instead of one: at a bank that
cannot return full numbers (Plaid's sandbox: Houndstooth Bank), Link asks for them and
matches them to the account the bank shows by its last four digits (``instant_match``).

Plaid's ``/auth/verify`` runs Database Insights on numbers an app collected without Link
(``verify``): the same checks and verdicts, the errors naming the API's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from .. import database_auth, microdeposits, numbers
from ..errors import InstantMatchFailed, InvalidField
from ..microdeposits import Typed
from ..models import VERIFICATION_NAME_CHARS

# ABA routing length, account number length range.
ROUTING_DIGITS, ACCOUNT_DIGITS = 9, (4, 17)
# Canadian (EFT) numbers: institution and branch (transit) lengths, account number range.
EFT_INSTITUTION_DIGITS, EFT_BRANCH_DIGITS, EFT_ACCOUNT_DIGITS = 3, 5, (7, 12)
INSTANT_FLAG = "instant_microdeposits_enabled"
SAME_DAY_FLAG = "same_day_microdeposits_enabled"
# The ``auth`` flags that make the bank pane take numbers typed by hand.
MANUAL_FLAGS = (SAME_DAY_FLAG, INSTANT_FLAG, database_auth.INSIGHTS_FLAG, database_auth.MATCH_FLAG)
# Instant Match: the link token's flag (on unless turned off), Plaid's ``auth_method``, and
# its sandbox's numbers of Houndstooth's Plaid Saving (••1111), the one account it verifies.
INSTANT_MATCH_FLAG, INSTANT_MATCH_METHOD = "instant_match_enabled", microdeposits.INSTANT_MATCH
INSTANT_MATCH_ROUTING, INSTANT_MATCH_ACCOUNT = "021000021", "1111222233331111"
INSTANT_MATCH_SUBTYPE = "savings"
# DIVERGES: Plaid's Same Day and database items have no institution and echo the typed
# numbers; the sandbox keeps their accounts at a test bank, with that bank's numbers.
MANUAL_ENTRY_INSTITUTION = "ins_109508"
# DIVERGES, likewise: Canadian typed numbers are kept at Plaid's Canadian test bank.
EFT_ENTRY_INSTITUTION = "ins_43"


@dataclass(frozen=True)
class NumberFields:
    """The names an error gives the typed numbers' fields: Link's form's by default, or those
    of an API that takes the numbers (``/auth/verify``'s ``numbers.ach.routing``…)."""

    routing: str = "routing_number"
    account: str = "account_number"
    name: str = "verification_name"


FORM_FIELDS = NumberFields()


@dataclass(frozen=True)
class Entry:
    """Where typed numbers lead: the bank the item is filed under and how its one checking
    account starts (an Instant entry's ``awaits_code``: the code comes first)."""

    institution_id: str
    typed: Typed

    @property
    def awaits_code(self) -> bool:
        return self.typed.method == microdeposits.INSTANT


def offers_manual_entry(auth: dict[str, Any]) -> bool:
    """Whether the link token's ``auth`` options turn on a flow that takes typed numbers."""
    return any(auth.get(flag) for flag in MANUAL_FLAGS)


def route(auth: dict[str, Any], routing: str, account: str, name: str | None) -> Entry:
    """The flow typed numbers start under the link token's ``auth`` options; raises
    ``INVALID_FIELD`` naming the form's field that is malformed or that no flow takes."""
    if not offers_manual_entry(auth):
        raise InvalidField("manual entry is not enabled", field="routing_number")
    check_numbers(routing, account, name)
    if auth.get(INSTANT_FLAG) and routing == microdeposits.INSTANT_ROUTING:
        instant = Typed(microdeposits.MANUAL_PENDING, microdeposits.INSTANT, name)
        return Entry(microdeposits.INSTANT_INSTITUTION, instant)
    if auth.get(database_auth.MATCH_FLAG) and database_auth.matches(routing, account, name):
        matched = Typed(database_auth.MATCHED, database_auth.MATCH_METHOD, name)
        return Entry(MANUAL_ENTRY_INSTITUTION, matched)
    if auth.get(database_auth.INSIGHTS_FLAG):
        if not numbers.is_aba(routing):
            raise InvalidField(
                "routing_number must pass the ABA check digit", field="routing_number"
            )
        status = database_auth.insights_status(account)
        return Entry(MANUAL_ENTRY_INSTITUTION, Typed(status, database_auth.INSIGHTS_METHOD, name))
    # DIVERGES: (unconfirmed) Database Match falls to Same Day even without its flag, as
    # Plaid's legacy guide describes the fallback without naming a flag.
    if auth.get(SAME_DAY_FLAG) or auth.get(database_auth.MATCH_FLAG):
        same_day = Typed(microdeposits.MANUAL_PENDING, microdeposits.SAME_DAY, name)
        return Entry(MANUAL_ENTRY_INSTITUTION, same_day)
    raise InvalidField(
        f"routing_number {routing} is not at a bank that runs instant micro-deposits",
        field="routing_number",
    )


def route_eft(
    auth: dict[str, Any], institution: str, branch: str, account: str, name: str | None
) -> Entry:
    """The flow typed Canadian numbers start: Database Insights, whose verdict they set;
    raises ``INVALID_FIELD`` naming the form's field that is malformed."""
    if not auth.get(database_auth.INSIGHTS_FLAG):
        raise InvalidField("manual entry is not enabled", field="institution_number")
    _check_digits("institution_number", institution, EFT_INSTITUTION_DIGITS, EFT_INSTITUTION_DIGITS)
    _check_digits("branch_number", branch, EFT_BRANCH_DIGITS, EFT_BRANCH_DIGITS)
    _check_digits("account_number", account, *EFT_ACCOUNT_DIGITS)
    _check_name(name)
    status = database_auth.eft_insights_status(institution, branch, account)
    return Entry(EFT_ENTRY_INSTITUTION, Typed(status, database_auth.INSIGHTS_METHOD, name))


def offers_instant_match(
    auth: dict[str, Any], products: list[str], bank_method: str | None
) -> bool:
    """Whether a sign-in leads to Instant Match: the bank is one whose numbers come by it
    (the catalogue's ``auth_method``), the link token asks for Auth and leaves the flag on."""
    return (
        bank_method == INSTANT_MATCH_METHOD
        and "auth" in products
        and auth.get(INSTANT_MATCH_FLAG, True) is not False
    )


def instant_match(routing: str, account: str, shown: str, mask: str) -> None:
    """Check numbers typed for the account shown as ``shown ••mask``: ``INVALID_FIELD`` for
    a malformed one, ``INSTANT_MATCH_FAILED`` naming the field that does not match (Plaid's
    sandbox matches only its test numbers, those of the one account Instant Match verifies,
    whose mask is their last four: the unit tests hold the persona to that)."""
    check_numbers(routing, account, None)
    if routing != INSTANT_MATCH_ROUTING:
        _mismatch("routing_number", shown, mask)
    if account != INSTANT_MATCH_ACCOUNT:
        _mismatch("account_number", shown, mask)


def _mismatch(field: str, shown: str, mask: str) -> NoReturn:
    raise InstantMatchFailed(f"{field} does not match {shown} ••{mask}", field=field)


def check_numbers(
    routing: str, account: str, name: str | None, named: NumberFields = FORM_FIELDS
) -> None:
    """The shapes Link's form asks for: 9 digits, 4 to 17 digits, a name of bounded length."""
    _check_digits(named.routing, routing, ROUTING_DIGITS, ROUTING_DIGITS)
    _check_digits(named.account, account, *ACCOUNT_DIGITS)
    _check_name(name, named.name)


def verify(routing: str, account: str, name: str | None, named: NumberFields) -> Entry | None:
    """``/auth/verify``: Database Insights on numbers typed outside Link, whose verdict the
    account number sets as in Link; raises ``INVALID_FIELD`` naming a malformed field. None
    for a routing number that fails the ABA check: Plaid makes no item of numbers it finds
    invalid (its reply's ``item_id`` "may not be created") and answers a fail. DIVERGES:
    (unconfirmed) Link refuses that routing number instead, as its form's error."""
    check_numbers(routing, account, name, named)
    if not numbers.is_aba(routing):
        return None
    status = database_auth.insights_status(account)
    return Entry(MANUAL_ENTRY_INSTITUTION, Typed(status, database_auth.INSIGHTS_METHOD, name))


def _check_digits(field: str, value: str, fewest: int, most: int) -> None:
    if not (value.isdigit() and fewest <= len(value) <= most):
        span = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        raise InvalidField(f"{field} must be {span} digits", field=field)


def _check_name(name: str | None, field: str = FORM_FIELDS.name) -> None:
    if name is not None and len(name) > VERIFICATION_NAME_CHARS:
        raise InvalidField(
            f"{field} must be at most {VERIFICATION_NAME_CHARS} characters", field=field
        )
