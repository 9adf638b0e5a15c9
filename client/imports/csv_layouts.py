"""The banks' CSV layouts as column mappings, and how a file's layout is recognised.

A mapping names the columns that hold the date (with its format), the amount (one signed
column, a debit/credit pair, or an unsigned amount with a Debit/Credit type column), the
description, and optionally the bank's category, a reference id, the account number and (the
client's own export) the provider's account id.
Built-in mappings cover Chase, American Express, Bank of America, Wells Fargo (no header:
columns by position), Capital One, UK banks and the client's own export; a user's own
mapping for any other bank is saved per header and used again (``ImportMapping``).
"""

from __future__ import annotations

from typing import Any

Mapping = dict[str, Any]
US, ISO, UK = "%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y"
MAPPING_KEYS = {
    "bank", "institution_id", "kind", "date", "date_format", "amount", "sign", "debit",
    "credit", "type", "description", "category", "categories", "id", "account", "account_id",
}  # fmt: skip
SIGNS = ("out_negative", "out_positive", "in_positive")

LAYOUTS: dict[str, tuple[tuple[str, ...], Mapping]] = {
    "chase-checking": (
        ("Details", "Posting Date", "Description", "Amount", "Type", "Balance", "Check or Slip #"),
        {"bank": "Chase", "institution_id": "ins_56", "kind": "depository",
         "date": "Posting Date", "date_format": US, "amount": "Amount", "sign": "out_negative",
         "description": "Description"},
    ),
    "chase-card": (
        ("Transaction Date", "Post Date", "Description", "Category", "Type", "Amount", "Memo"),
        {"bank": "Chase", "institution_id": "ins_56", "kind": "credit", "date": "Post Date",
         "date_format": US, "amount": "Amount", "sign": "out_negative",
         "description": "Description", "category": "Category", "categories": "chase"},
    ),
    "amex": (
        ("Date", "Description", "Card Member", "Account #", "Amount", "Reference", "Category"),
        {"bank": "American Express", "institution_id": "ins_10", "kind": "credit",
         "date": "Date", "date_format": US, "amount": "Amount", "sign": "out_positive",
         "description": "Description", "category": "Category", "categories": "amex",
         "id": "Reference", "account": "Account #"},
    ),
    "bofa-checking": (
        ("Date", "Description", "Amount", "Running Bal."),
        {"bank": "Bank of America", "institution_id": "ins_127989", "kind": "depository",
         "date": "Date", "date_format": US, "amount": "Amount", "sign": "out_negative",
         "description": "Description"},
    ),
    "bofa-card": (
        ("Posted Date", "Reference Number", "Payee", "Address", "Amount"),
        {"bank": "Bank of America", "institution_id": "ins_127989", "kind": "credit",
         "date": "Posted Date", "date_format": US, "amount": "Amount", "sign": "out_negative",
         "description": "Payee", "id": "Reference Number"},
    ),
    "wells-fargo": (
        (),  # Wells Fargo writes no header: date, amount, "*", check number, description
        {"bank": "Wells Fargo", "institution_id": "ins_127991", "date": "0",
         "date_format": US, "amount": "1", "sign": "out_negative", "description": "4"},
    ),
    "capital-one-card": (
        ("Transaction Date", "Posted Date", "Card No.", "Description", "Category", "Debit", "Credit"),  # noqa: E501
        {"bank": "Capital One", "institution_id": "ins_128026", "kind": "credit",
         "date": "Posted Date", "date_format": ISO, "debit": "Debit", "credit": "Credit",
         "description": "Description", "category": "Category", "categories": "capital_one",
         "account": "Card No."},
    ),
    "capital-one-360": (
        ("Account Number", "Transaction Description", "Transaction Date", "Transaction Type", "Transaction Amount", "Balance"),  # noqa: E501
        {"bank": "Capital One", "institution_id": "ins_128026", "kind": "depository",
         "date": "Transaction Date", "date_format": "%m/%d/%y", "amount": "Transaction Amount",
         "type": "Transaction Type", "description": "Transaction Description",
         "account": "Account Number"},
    ),
    "uk": (
        ("Transaction Date", "Transaction Type", "Sort Code", "Account Number", "Transaction Description", "Debit Amount", "Credit Amount", "Balance"),  # noqa: E501
        {"bank": "UK bank", "date": "Transaction Date", "date_format": UK,
         "debit": "Debit Amount", "credit": "Credit Amount",
         "description": "Transaction Description", "account": "Account Number"},
    ),
    "generic": (
        ("Date", "Description", "Amount", "Balance"),
        {"bank": None, "date": "Date", "date_format": ISO, "amount": "Amount",
         "sign": "out_negative", "description": "Description"},
    ),
    "bank-client": (
        ("date", "account", "amount", "currency", "description", "payee", "category", "pending", "id"),  # noqa: E501
        {"bank": None, "date": "date", "date_format": ISO, "amount": "amount",
         "sign": "in_positive", "description": "description", "id": "id",
         "account_id": "account"},
    ),
}  # fmt: skip

# The banks' card categories, back to the client's taxonomy (Plaid primary categories).
BANK_CATEGORIES = {
    "chase": {
        "Food & Drink": "FOOD_AND_DRINK", "Groceries": "FOOD_AND_DRINK_GROCERIES",
        "Shopping": "GENERAL_MERCHANDISE", "Gas": "TRANSPORTATION_GAS", "Travel": "TRAVEL",
        "Entertainment": "ENTERTAINMENT", "Bills & Utilities": "RENT_AND_UTILITIES",
        "Health & Wellness": "MEDICAL", "Personal": "PERSONAL_CARE",
        "Fees & Adjustments": "BANK_FEES",
    },
    "amex": {
        "Restaurant-Restaurant": "FOOD_AND_DRINK",
        "Merchandise & Supplies-Groceries": "FOOD_AND_DRINK_GROCERIES",
        "Merchandise & Supplies-General Retail": "GENERAL_MERCHANDISE",
        "Transportation-Fuel": "TRANSPORTATION_GAS", "Travel-Airline": "TRAVEL_FLIGHTS",
        "Entertainment-General Events": "ENTERTAINMENT",
        "Business Services-Utilities": "RENT_AND_UTILITIES",
        "Other-Medical Services": "MEDICAL", "Other-Personal Care": "PERSONAL_CARE",
        "Fees & Adjustments-Fees": "BANK_FEES",
    },
    "capital_one": {
        "Dining": "FOOD_AND_DRINK", "Grocery": "FOOD_AND_DRINK_GROCERIES",
        "Merchandise": "GENERAL_MERCHANDISE", "Gas/Automotive": "TRANSPORTATION_GAS",
        "Airfare": "TRAVEL_FLIGHTS", "Entertainment": "ENTERTAINMENT",
        "Phone/Cable": "RENT_AND_UTILITIES", "Health Care": "MEDICAL",
        "Other Services": "PERSONAL_CARE", "Fee/Interest Charge": "BANK_FEES",
    },
}  # fmt: skip


def signature(header: list[str] | tuple[str, ...]) -> str:
    """A header's identity: its trimmed column names, in order."""
    return "|".join(cell.strip() for cell in header)


def find_header(rows: list[list[str]], saved: dict[str, Mapping]) -> tuple[int, str, Mapping]:
    """The header row's index, the layout's name and its mapping (-1: no header row).

    Saved mappings win over built-in ones; Bank of America puts a summary block first, so
    the first rows are searched."""
    for index, row in enumerate(rows[:12]):
        sig = signature(row)
        if sig in saved:
            return index, "saved", saved[sig]
        for key, (header, mapping) in LAYOUTS.items():
            if header and sig == signature(header):
                return index, key, mapping
    first = rows[0] if rows else []
    if len(first) == 5 and first[2].strip() == "*":
        return -1, "wells-fargo", LAYOUTS["wells-fargo"][1]
    return -2, "", {}


def check_mapping(mapping: Mapping, header: list[str]) -> Mapping:
    """A user's mapping, checked against the header; errors name the key at fault."""
    unknown = set(mapping) - MAPPING_KEYS
    if unknown:
        raise ValueError(f"mapping: unknown key {sorted(unknown)[0]!r}")
    for key in ("date", "description"):
        if not mapping.get(key):
            raise ValueError(f"mapping: {key!r} is required")
    if not mapping.get("amount") and not (mapping.get("debit") and mapping.get("credit")):
        raise ValueError("mapping: give 'amount' or both 'debit' and 'credit'")
    for key in ("date", "amount", "debit", "credit", "type", "description", "category", "id",
                "account_id"):  # fmt: skip
        if mapping.get(key) and mapping[key] not in header:
            raise ValueError(f"mapping: {key}={mapping[key]!r} is not a column of this file")
    if mapping.get("sign", "out_negative") not in SIGNS:
        raise ValueError(f"mapping: sign must be one of {', '.join(SIGNS)}")
    return {"date_format": ISO, "sign": "out_negative", **mapping}
