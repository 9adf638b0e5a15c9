"""The credit categories an Asset Report with insights gives: every ledger category has one,
and every value is a name of Plaid's credit category taxonomy."""

from __future__ import annotations

import json

from sandbox.core.institutions import SEEDS_DIR
from sandbox.plaid.credit_categories import CONFIRMED, FROM_PFC, PRIMARIES, credit_category

# Plaid's ``credit-category-taxonomy.csv`` (linked from its document, not carried by it): the
# detailed names of public copies of it, two independent ones agreeing on all but the
# ``LOAN_*`` and ``TRANSFER_*`` ones (in one copy only). Eight are also in the document's own
# examples (``CONFIRMED``).
TAXONOMY = frozenset(
    [
        "BANK_FEES_ATM",
        "BANK_FEES_FOREIGN_TRANSACTION_FEES",
        "BANK_FEES_OTHER_BANK_FEES",
        "BANK_PENALTIES_CASH_ADVANCE_AND_OVERDRAFT_FEES",
        "BANK_PENALTIES_INSUFFICIENT_AND_LATE_FEES",
        "CHILDCARE_AND_EDUCATION_CHILDCARE_AND_EDUCATION",
        "DINING_COFFEE",
        "DINING_DINING",
        "DINING_OTHER_DINING",
        "DINING_WINE_BARS_AND_PUBS",
        "ENTERTAINMENT_CASINOS_AND_GAMBLING",
        "ENTERTAINMENT_EVENTS_AND_TICKETS",
        "ENTERTAINMENT_MUSIC_VIDEO_GAMES_TV_AND_MOVIES",
        "ENTERTAINMENT_OTHER_ENTERTAINMENT",
        "FOOD_RETAIL_GROCERIES",
        "FOOD_RETAIL_LIQUOR_STORES",
        "FOOD_RETAIL_OTHER",
        "GENERAL_MERCHANDISE_APPAREL_AND_ACCESSORIES",
        "GENERAL_MERCHANDISE_COMPUTERS_AND_ELECTRONICS",
        "GENERAL_MERCHANDISE_CONVENIENCE_STORES",
        "GENERAL_MERCHANDISE_DEPARTMENT_STORES",
        "GENERAL_MERCHANDISE_DISCOUNT_STORES",
        "GENERAL_MERCHANDISE_FURNITURE_AND_HARDWARE",
        "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
        "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
        "GENERAL_MERCHANDISE_SPORTING_GOODS",
        "GENERAL_MERCHANDISE_SUPERSTORES",
        "GENERAL_SERVICES_ACCOUNTING_AND_FINANCIAL_SERVICES",
        "GENERAL_SERVICES_CONSULTING_AND_LEGAL_SERVICES",
        "GENERAL_SERVICES_HOME_IMPROVEMENT_SERVICES",
        "GENERAL_SERVICES_OTHER_SERVICES",
        "GENERAL_SERVICES_RELIGIOUS_SERVICES",
        "GOVERNMENTS_AND_NON_PROFIT_DONATIONS",
        "GOVERNMENTS_AND_NON_PROFIT_GOVERNMENTS_AND_NON_PROFIT",
        "GOVERNMENTS_AND_NON_PROFIT_OTHER_GOVERNMENTS_AND_NON_PROFIT",
        "INCOME_GOVERNMENT_INCOME",
        "INCOME_OTHER",
        "INCOME_SALARY",
        "INSURANCE_AND_TAX_INSURANCE",
        "INSURANCE_AND_TAX_TAX_PAYMENT",
        "INTERESTS_AND_DIVIDENDS_INTERESTS_AND_DIVIDENDS",
        "INTEREST_PAYMENTS_INTEREST_CHARGED",
        "INTEREST_PAYMENTS_INTEREST_RECEIVED",
        "LOAN_DISBURSEMENTS_BNPL_AND_EWA",
        "LOAN_DISBURSEMENTS_CASH_ADVANCES",
        "LOAN_DISBURSEMENTS_MORTGAGE_AND_AUTO",
        "LOAN_DISBURSEMENTS_OTHER",
        "LOAN_DISBURSEMENTS_PERSONAL",
        "LOAN_DISBURSEMENTS_STUDENT",
        "LOAN_PAYMENTS_BNPL_AND_EWA",
        "LOAN_PAYMENTS_CASH_ADVANCES",
        "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        "LOAN_PAYMENTS_MORTGAGE_AND_AUTO",
        "LOAN_PAYMENTS_OTHER",
        "LOAN_PAYMENTS_PERSONAL_LOAN_PAYMENT",
        "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
        "MEDICAL_DENTAL_AND_VISION",
        "MEDICAL_OTHER_MEDICAL",
        "MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
        "MEDICAL_PRIMARY_CARE",
        "OTHER_OTHER",
        "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS",
        "PERSONAL_CARE_HAIR_AND_BEAUTY",
        "PERSONAL_CARE_OTHER_PERSONAL_CARE",
        "PET_CARE_AND_SUPPLIES_PET_SUPPLIES",
        "PET_CARE_AND_SUPPLIES_VETERINARY_SERVICES",
        "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
        "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
        "RENT_AND_UTILITIES_OTHER_UTILITIES",
        "RENT_AND_UTILITIES_RENT",
        "RENT_AND_UTILITIES_TELECOMMUNICATIONS",
        "RENT_AND_UTILITIES_WATER",
        "TAX_REFUND_TAX_REFUND",
        "TRANSFER_IN_CHECKING",
        "TRANSFER_IN_CHECKS_AND_ATM",
        "TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS",
        "TRANSFER_IN_OTHER",
        "TRANSFER_IN_SAVINGS",
        "TRANSFER_IN_TRANSFER_IN_FROM_APPS",
        "TRANSFER_OUT_CHECKING",
        "TRANSFER_OUT_CHECKS_AND_ATM",
        "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS",
        "TRANSFER_OUT_OTHER",
        "TRANSFER_OUT_SAVINGS",
        "TRANSFER_OUT_TRANSFER_OUT_FROM_APPS",
        "TRAVEL_AND_TRANSPORTATION_AUTOMOTIVE",
        "TRAVEL_AND_TRANSPORTATION_FLIGHTS",
        "TRAVEL_AND_TRANSPORTATION_LODGING",
        "TRAVEL_AND_TRANSPORTATION_OTHER_TRAVEL_AND_TRANSPORTATION",
        "TRAVEL_AND_TRANSPORTATION_PUBLIC_TRANSIT",
        "TRAVEL_AND_TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
    ]
)


def test_every_ledger_category_has_its_own_credit_category() -> None:
    ledger = {row["detailed"] for row in json.loads((SEEDS_DIR / "pfc.json").read_text())}
    assert set(FROM_PFC) == ledger  # none falls back to OTHER_OTHER


def test_every_credit_category_is_a_taxonomy_name_under_its_primary() -> None:
    assert CONFIRMED <= TAXONOMY
    assert set(FROM_PFC.values()) <= TAXONOMY
    assert {name for name in TAXONOMY if not any(name.startswith(p + "_") for p in PRIMARIES)} == (
        set()
    )
    for pfc in FROM_PFC:
        found = credit_category(pfc)
        assert found["detailed"].startswith(found["primary"] + "_") and found["primary"] in (
            PRIMARIES
        )


def test_credit_categories_agree_with_the_documents_examples() -> None:
    """The document's samples: groceries, a restaurant, a furniture store, online shopping."""
    assert credit_category("FOOD_AND_DRINK_GROCERIES") == {
        "primary": "FOOD_RETAIL",
        "detailed": "FOOD_RETAIL_GROCERIES",
    }
    assert credit_category("FOOD_AND_DRINK_RESTAURANT")["primary"] == "DINING"
    assert credit_category("HOME_IMPROVEMENT_FURNITURE")["detailed"] == (
        "GENERAL_MERCHANDISE_FURNITURE_AND_HARDWARE"
    )
    assert credit_category("GENERAL_MERCHANDISE_ONLINE_MARKETPLACES")["primary"] == (
        "GENERAL_MERCHANDISE"
    )
    assert credit_category("A_CATEGORY_ADDED_LATER") == {
        "primary": "OTHER",
        "detailed": "OTHER_OTHER",
    }
