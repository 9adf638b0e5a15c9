"""Auth by Plaid's database: Database Insights, and the deprecated Database Match.

No deposit and no login: the user types routing and account numbers (and the holder's name)
into Link and Plaid checks them against the accounts its network knows. Database Insights
(the link token's ``auth.database_insights_enabled``) always links the account, with a
verdict in ``verification_status`` and the evidence in ``verification_insights``; the app
decides what to trust. Database Match (``auth.database_match_enabled``, deprecated) links
only what its database knows (``database_matched``); anything else falls to Same Day
micro-deposits. Both release the numbers at once.

Plaid's sandbox inputs (plaid-products.md §5, Plaid's "Testing Auth methods" guide): any
valid routing number; account ``1111222233331111`` passes, ``1111222233333333`` passes with
caution (unconfirmed: the guide gives it as "…3333", read here as the passing number with
``3333`` for its last four digits), anything else fails; the name "John Smith" scores 100.
Database Match: routing ``110000000``, account ``1111222233331111``, name John Smith.
Canada's Database Insights takes EFT numbers instead (institution, branch, account): institution
``110`` and branch ``11111`` with account ``11223311`` pass, ``11223333`` passes with caution,
anything else fails (unconfirmed: the caution number is read as needing the same institution
and branch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Item

PASS = "database_insights_pass"
CAUTION = "database_insights_pass_with_caution"
FAIL = "database_insights_fail"
MATCHED = "database_matched"
STATUSES = (PASS, CAUTION, FAIL, MATCHED)
# Plaid's ``auth_method`` of each flow.
INSIGHTS_METHOD, MATCH_METHOD = "DATABASE_INSIGHTS", "DATABASE_MATCH"
# The link token's ``auth`` flags that turn each flow on.
INSIGHTS_FLAG, MATCH_FLAG = "database_insights_enabled", "database_match_enabled"

KNOWN_ACCOUNT = "1111222233331111"
PLAUSIBLE_ACCOUNT = "1111222233333333"
# Canada's test numbers: the one branch Plaid's sandbox knows, and its two accounts.
KNOWN_EFT_BRANCH = ("110", "11111")
KNOWN_EFT_ACCOUNT, PLAUSIBLE_EFT_ACCOUNT = "11223311", "11223333"
MATCH_ROUTING = "110000000"
KNOWN_HOLDER = "john smith"
FULL_SCORE = 100
# DIVERGES: (unconfirmed) Plaid documents only John Smith's score; another name typed for an
# account its network knows scores 0 here, as a name that matches none of the holders.
NO_MATCH_SCORE = 0


@dataclass(frozen=True)
class Verification:
    """``/auth/verify``'s answer: the item made for the numbers (None when Plaid would find
    them invalid and make none), Database Insights' verdict and its evidence."""

    item: Item | None
    status: str
    insights: dict[str, Any] | None


def insights_status(account_number: str) -> str:
    """Database Insights' verdict on typed US numbers (any valid routing number)."""
    return _verdict(account_number, KNOWN_ACCOUNT, PLAUSIBLE_ACCOUNT)


def eft_insights_status(institution: str, branch: str, account_number: str) -> str:
    """Database Insights' verdict on typed Canadian (EFT) numbers: only the known branch
    holds accounts Plaid's network knows."""
    if (institution, branch) != KNOWN_EFT_BRANCH:
        return FAIL
    return _verdict(account_number, KNOWN_EFT_ACCOUNT, PLAUSIBLE_EFT_ACCOUNT)


def _verdict(account_number: str, known: str, plausible: str) -> str:
    if account_number == known:
        return PASS
    if account_number == plausible:
        return CAUTION
    return FAIL


def matches(routing: str, account_number: str, name: str | None) -> bool:
    """Whether Database Match recognises typed numbers and name (else: Same Day)."""
    return (
        routing == MATCH_ROUTING
        and account_number == KNOWN_ACCOUNT
        and _normal(name) == KNOWN_HOLDER
    )


def verification_insights(status: str | None, name: str | None) -> dict[str, Any] | None:
    """Plaid's ``verification_insights`` of an account of ``status`` whose holder's name was
    typed as ``name``; None for accounts Database Insights did not verify.

    A pass means the numbers match an account of Plaid's network (``has_numbers_match``,
    verified there); a pass with caution means no match but a number of the bank's format;
    a fail, neither (DIVERGES: (unconfirmed) ``account_number_format: invalid`` is the guess
    for a fail, the reason Plaid's reference gives first). The name is compared only with
    a matched account's holders: ``name_match_score`` is null otherwise, or with no name.
    """
    if status not in (PASS, CAUTION, FAIL):
        return None
    matched = status == PASS
    score = None
    if matched and name:
        score = FULL_SCORE if _normal(name) == KNOWN_HOLDER else NO_MATCH_SCORE
    return {
        "name_match_score": score,
        "network_status": {"has_numbers_match": matched, "is_numbers_match_verified": matched},
        "previous_returns": {"has_previous_administrative_return": False},
        "account_number_format": "invalid" if status == FAIL else "valid",
    }


def _normal(name: str | None) -> str:
    """A name as compared: case and runs of spaces do not count."""
    return " ".join((name or "").split()).lower()
