"""Transactions Enrich's keyword rules, without HTTP: each alternative of a rule is a whole
word, not only its first and last (``RENT|LEASE`` read ``PLEASE`` as a lease), a word
spelt out is read as its abbreviation (``SAVINGS`` as ``SAV``), and a word's plural and the
other forms banks print (``DIVIDENDS``, ``TRANSFERRED``) are read as the word."""

from __future__ import annotations

import pytest

from sandbox.core.bank import RawTransaction, enrich_transaction

UNRECOGNISED = "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE"


@pytest.mark.parametrize(
    "description",
    [
        "PLEASE HOLD CO",  # LEASE inside a word
        "HOLD RELEASE CO",
        "RENTAL CARS CO",  # RENT starting a word
        "SALARYMAN CAFE",  # SALARY starting a word
        "BIGSTUDENT CO",  # STUDENT ending a word
        "MEGAUTO CO",  # AUTO ending a word
        "PET FEED CO",  # FEE and a letter that makes it no plural
        "LOANER CARS CO",  # LOAN and letters that make it no plural
    ],
)
def test_a_keyword_inside_another_word_is_no_keyword(description: str) -> None:
    found = enrich_transaction(RawTransaction(description, "OUTFLOW", "USD", "depository"))
    assert (found.category.detailed, found.confidence) == (UNRECOGNISED, "LOW")


@pytest.mark.parametrize(
    ("description", "detailed"),
    [
        ("MONTHLY LEASE PMT", "RENT_AND_UTILITIES_RENT"),
        ("RENT JUNE", "RENT_AND_UTILITIES_RENT"),
        ("STUDENT LOAN SVC", "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"),
        ("AUTO PMT", "LOAN_PAYMENTS_CAR_PAYMENT"),
        ("ACH SALARY", "INCOME_WAGES"),
        ("ONLINE TRANSFER TO SAV ...1234", "TRANSFER_OUT_SAVINGS"),  # the ledger's words
        ("ONLINE TRANSFER TO SAVINGS", "TRANSFER_OUT_SAVINGS"),  # a bank's, spelt out
        ("TRANSFER TO INVESTMENT ACCT", "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS"),
    ],
)
def test_a_keyword_as_a_word_is_recognised(description: str, detailed: str) -> None:
    direction = "INFLOW" if detailed.startswith("INCOME") else "OUTFLOW"
    found = enrich_transaction(RawTransaction(description, direction, "USD", "depository"))
    assert (found.category.detailed, found.confidence) == (detailed, "MEDIUM")


@pytest.mark.parametrize(
    ("description", "direction", "detailed"),
    [
        ("DIVIDENDS PAID", "INFLOW", "INCOME_DIVIDENDS"),
        ("QUARTERLY DIVIDENDS", "INFLOW", "INCOME_DIVIDENDS"),
        ("ATM FEES", "OUTFLOW", "BANK_FEES_ATM_FEES"),
        ("FOREIGN TRANSACTION FEES", "OUTFLOW", "BANK_FEES_FOREIGN_TRANSACTION_FEES"),
        ("SERVICE FEES", "OUTFLOW", "BANK_FEES_OTHER_BANK_FEES"),
        ("OVERDRAFTS", "OUTFLOW", "BANK_FEES_OVERDRAFT_FEES"),
        ("ACH SALARIES", "INFLOW", "INCOME_WAGES"),
        ("PAYCHECKS ACME", "INFLOW", "INCOME_WAGES"),
        ("DIRECT DEPOSIT ACME CORP", "INFLOW", "INCOME_WAGES"),
        ("TAX REFUNDS", "INFLOW", "INCOME_TAX_REFUND"),
        ("STUDENT LOANS SVC", "OUTFLOW", "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT"),
        ("AUTO LOANS", "OUTFLOW", "LOAN_PAYMENTS_CAR_PAYMENT"),
        ("MORTGAGES INC PMT", "OUTFLOW", "LOAN_PAYMENTS_MORTGAGE_PAYMENT"),
        ("TRANSFERS TO SAVINGS", "OUTFLOW", "TRANSFER_OUT_SAVINGS"),
        ("TRANSFERRED TO SAV ...1234", "OUTFLOW", "TRANSFER_OUT_SAVINGS"),
        ("TRANSFERRED TO ROTH IRA", "OUTFLOW", "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS"),
        ("FUNDS TRANSFERRED", "OUTFLOW", "TRANSFER_OUT_ACCOUNT_TRANSFER"),
        ("XFERS IN", "INFLOW", "TRANSFER_IN_ACCOUNT_TRANSFER"),
        ("OFFICE LEASES", "OUTFLOW", "RENT_AND_UTILITIES_RENT"),
        ("MOBILE DEPOSITS", "INFLOW", "TRANSFER_IN_DEPOSIT"),
        ("CHECK DEPOSITED", "INFLOW", "TRANSFER_IN_DEPOSIT"),
    ],
)
def test_a_keywords_plural_and_other_forms_are_recognised(
    description: str, direction: str, detailed: str
) -> None:
    """``DIVIDENDS`` fell through to the direction although ``DIVIDEND`` is a rule."""
    found = enrich_transaction(RawTransaction(description, direction, "USD", "depository"))
    assert (found.category.detailed, found.confidence) == (detailed, "MEDIUM")


def test_a_card_payments_plural_is_a_card_payment() -> None:
    found = enrich_transaction(RawTransaction("PAYMENTS THANK YOU", "INFLOW", "USD", "credit"))
    assert found.category.detailed == "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
