"""TrueLayer's transaction categories, classifications and bank codes for ledger rows.

The ledger tags each row with a bank transaction code (``purchase``, ``direct debit``,
``transfer`` ...), a detailed category (``FOOD_AND_DRINK_GROCERIES``) and, for rows a
standing order or direct debit made, that instruction. TrueLayer words them as
``transaction_category`` (its enum), ``transaction_classification`` (category and
sub-category, filled mainly for purchases and direct debits) and the UK bank's own code
(``meta.provider_transaction_category``: DEB, DD, SO, FPO, FPI, CHG ...).
"""

from __future__ import annotations

from ..core.models import Transaction

SAVINGS_SUBTYPES = frozenset({"savings", "money market", "cd", "hsa", "isa"})

# The ledger's bank transaction code -> TrueLayer's transaction_category.
CATEGORY_BY_CODE = {
    "purchase": "PURCHASE",
    "atm": "ATM",
    "bank charge": "FEE_CHARGE",
    "interest": "INTEREST",
    "transfer": "TRANSFER",
    "bill payment": "BILL_PAYMENT",
    "direct debit": "DIRECT_DEBIT",
    "refund": "CREDIT",
    "payment": "CREDIT",
}
CATEGORY_BY_INSTRUCTION = {"standing_order": "STANDING_ORDER", "direct_debit": "DIRECT_DEBIT"}
DIVIDEND_CATEGORY = "INCOME_DIVIDENDS"
CLASSIFIED = frozenset({"PURCHASE", "DIRECT_DEBIT", "BILL_PAYMENT"})

# The UK bank codes a statement shows (Faster Payments in/out, debit card, cash point ...).
PROVIDER_CODES = {
    "purchase": "DEB",
    "atm": "CPT",
    "bank charge": "CHG",
    "interest": "INT",
    "bill payment": "BP",
    "direct debit": "DD",
    "refund": "DEB",
    "payment": "PAY",
}
INSTRUCTION_CODES = {"standing_order": "SO", "direct_debit": "DD"}

# The ledger's primary category -> TrueLayer's top-level classification.
CLASSIFICATION = {
    "BANK_FEES": "Fees & Charges",
    "ENTERTAINMENT": "Entertainment",
    "FOOD_AND_DRINK": "Food & Dining",
    "GENERAL_MERCHANDISE": "Shopping",
    "GENERAL_SERVICES": "Business Services",
    "GOVERNMENT_AND_NON_PROFIT": "Gifts & Donations",
    "HOME_IMPROVEMENT": "Home",
    "INCOME": "Income",
    "LOAN_PAYMENTS": "Bills and Utilities",
    "MEDICAL": "Health & Fitness",
    "PERSONAL_CARE": "Personal Care",
    "RENT_AND_UTILITIES": "Bills and Utilities",
    "TRANSFER_IN": "Transfer",
    "TRANSFER_OUT": "Transfer",
    "TRANSPORTATION": "Auto & Transport",
    "TRAVEL": "Travel",
}


def transaction_category(row: Transaction, instruction: str | None) -> str:
    """TrueLayer's ``transaction_category`` of a ledger row."""
    if instruction in CATEGORY_BY_INSTRUCTION:
        return CATEGORY_BY_INSTRUCTION[instruction]
    if row.category == DIVIDEND_CATEGORY:
        return "DIVIDEND"
    code = row.details.get("transaction_code")
    if code in CATEGORY_BY_CODE:
        return CATEGORY_BY_CODE[str(code)]
    return "DEBIT" if row.amount_minor > 0 else "CREDIT"


def classification(row: Transaction, category: str) -> list[str]:
    """``[category, sub-category]`` for purchases and bills, else ``[]`` (as TrueLayer fills it)."""
    if category not in CLASSIFIED:
        return []
    primary = next((p for p in CLASSIFICATION if row.category.startswith(f"{p}_")), None)
    if primary is None:
        return []
    detail = row.category[len(primary) + 1 :].replace("_", " ").capitalize()
    return [CLASSIFICATION[primary], detail]


def provider_code(code: str, instruction: str | None, out: bool) -> str:
    """The UK bank's own code for the row (``FPO``/``FPI`` for transfers out and in)."""
    if instruction in INSTRUCTION_CODES:
        return INSTRUCTION_CODES[instruction]
    if code in PROVIDER_CODES:
        return PROVIDER_CODES[code]
    if code == "transfer":
        return "FPO" if out else "FPI"
    return "DEB" if out else "BGC"  # BGC: a bank giro credit (salary and other money in)
