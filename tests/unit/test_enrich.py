"""Transactions Enrich's keyword rules, without HTTP: each alternative of a rule is a whole
word, not only its first and last (``RENT|LEASE`` read ``PLEASE`` as a lease), and a word
spelt out is read as its abbreviation (``SAVINGS`` as ``SAV``)."""

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
