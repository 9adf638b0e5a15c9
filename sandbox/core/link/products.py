"""The products a Link session puts on its new item, and the accounts each one needs.

``products`` are required: the accounts shared must serve each of them, or Link ends with the
product's error (``NO_AUTH_ACCOUNTS`` …). ``required_if_supported_products`` are required
too, but only at banks that offer them. ``optional_products`` join the item where the bank
offers them and the accounts shared serve them, and are left out quietly otherwise. Update
mode adds only the credit products its ``products`` name to the item it repairs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..accounts import AUTH_SUBTYPES
from ..institutions import Institution
from ..liabilities import LIABILITY_SUBTYPES
from ..models import Account


def _is_investment(account: Account) -> bool:
    return account.type == "investment"


# Products that need a compatible account (the rest serve any item), and the error Link ends
# with when none of the accounts shared is one. Investments Move (``investments_auth``) moves
# holdings, so it needs an investment account too, with its own error.
NEEDS: dict[str, tuple[Callable[[Account], bool], type[errors.CoreError]]] = {
    "auth": (lambda a: a.subtype in AUTH_SUBTYPES, errors.NoAuthAccounts),
    "investments": (_is_investment, errors.NoInvestmentAccounts),
    "investments_auth": (_is_investment, errors.NoInvestmentAuthAccounts),
    "liabilities": (lambda a: a.subtype in LIABILITY_SUBTYPES, errors.NoLiabilityAccounts),
}

# Plaid: update mode's ``products`` "should be omitted (unless you are using update mode to add
# a credit product, such as Assets, Statements, Income, or Plaid Check Consumer Report, to an
# existing Item)"; the rest of an update-mode token's ``products`` are ignored. Plaid Check's
# products are the ``cra_`` ones.
CREDIT_PRODUCTS = ("assets", "statements", "income", "income_verification")


def for_item(config: dict[str, Any], institution: Institution, shared: list[Account]) -> list[str]:
    """The item's products for the accounts ``shared`` at ``institution``; raises the error of
    a required product that none of them serves."""
    required = list(config.get("products") or [])
    required += [
        p for p in config.get("required_if_supported_products") or [] if p in institution.products
    ]
    check_served(required, shared)
    optional = [
        p
        for p in config.get("optional_products") or []
        if p in institution.products and serves(p, shared)
    ]
    return required + optional


def added_in_update(config: dict[str, Any]) -> list[str]:
    """The products an update-mode session adds to its item: the credit ones it names."""
    return [p for p in config.get("products") or [] if p in CREDIT_PRODUCTS or p[:4] == "cra_"]


def check_served(products: list[str], shared: list[Account]) -> None:
    """Raise the error of the first of ``products`` that none of the accounts ``shared``
    serves: Link's required products, and ``/sandbox/public_token/create``'s, end alike."""
    for product in products:
        if shared and not serves(product, shared):  # none shared at all is NO_ACCOUNTS
            raise NEEDS[product][1]()


def serves(product: str, shared: list[Account]) -> bool:
    """Whether one of the accounts ``shared`` can serve ``product``."""
    if product not in NEEDS:
        return True
    compatible = NEEDS[product][0]
    return any(compatible(a) for a in shared)
