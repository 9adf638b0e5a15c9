"""Configurable table from provider categories to the app's categories."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_CATEGORY = "Other"

# Plaid personal_finance_category primaries -> app categories. Apps pass their own table.
PLAID_PFC_TABLE: dict[str, str] = {
    "INCOME": "Income",
    "TRANSFER_IN": "Transfer",
    "TRANSFER_OUT": "Transfer",
    "LOAN_PAYMENTS": "Loans",
    "BANK_FEES": "Fees",
    "ENTERTAINMENT": "Entertainment",
    "FOOD_AND_DRINK": "Food & Drink",
    "GENERAL_MERCHANDISE": "Shopping",
    "HOME_IMPROVEMENT": "Home",
    "MEDICAL": "Health",
    "PERSONAL_CARE": "Health",
    "GENERAL_SERVICES": "Services",
    "GOVERNMENT_AND_NON_PROFIT": "Taxes & Donations",
    "TRANSPORTATION": "Transport",
    "TRAVEL": "Travel",
    "RENT_AND_UTILITIES": "Bills",
}


class CategoryMap:
    """Looks up the most specific key first (detailed, then primary, then legacy path)."""

    def __init__(self, table: Mapping[str, str] | None = None, default: str = DEFAULT_CATEGORY):
        self.table = dict(PLAID_PFC_TABLE if table is None else table)
        self.default = default

    def lookup(self, *keys: str | None) -> str:
        """The app category for the first key found in the table."""
        for key in keys:
            if key and key in self.table:
                return self.table[key]
        return self.default
