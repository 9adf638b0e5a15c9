"""Every linked account's numbers pass their country's real check-digit rules.

Each rule is checked by an implementation the sandbox does not share: python-stdnum for ABA
routing numbers, IBANs (mod-97 and the country's BBAN layout) and BICs; small independent
implementations here for the rules stdnum lacks (UK modulus 11, the Dutch elfproef, the
French RIB key).
"""

from __future__ import annotations

from typing import Any

import pytest
from stdnum import bic, iban
from stdnum.us import rtn

from sandbox.core import institutions
from sandbox.core.bank import Bank

from .conftest import link

COUNTRIES = {
    "US": ["ins_109508", "ins_56", "ins_127989"],
    "CA": ["ins_43"],
    "GB": ["ins_116834", "ins_117650", "ins_118274", "ins_118923"],
    "DE": ["ins_121387"],
    "FR": ["ins_122096"],
    "NL": ["ins_120512"],
}
PAYMENTS_CANADA_MEMBERS = {"001", "002", "003", "004", "006", "010"}


def _numbers(bank: Bank, institution_id: str) -> list[dict[str, Any]]:
    item = bank.item(link(bank, institution_id))
    return [a.numbers for a in item.accounts]


def _uk_modulus_11(sort_code: str, account: str) -> bool:
    """Vocalink's standard modulus 11 (weights 0 0 0 0 0 0 8 7 6 5 4 3 2 1)."""
    weights = [0] * 6 + [8, 7, 6, 5, 4, 3, 2, 1]
    digits = [int(c) for c in sort_code + account]
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def _elfproef(account: str) -> bool:
    return sum(int(c) * (10 - i) for i, c in enumerate(account)) % 11 == 0


def _rib_ok(bban: str) -> bool:
    """The RIB key makes ``bank·branch·account·key`` divisible by 97 (as one number)."""
    return int(bban) % 97 == 0


def test_uk_modulus_checker_accepts_vocalinks_example_and_rejects_a_typo() -> None:
    assert _uk_modulus_11("107999", "88837491")
    assert not _uk_modulus_11("107999", "88837492")


@pytest.mark.parametrize("institution_id", COUNTRIES["US"])
def test_us_routing_numbers_pass_the_aba_checksum(bank: Bank, institution_id: str) -> None:
    for numbers in _numbers(bank, institution_id):
        assert rtn.is_valid(numbers["ach_routing"]), numbers["ach_routing"]
        assert rtn.is_valid(numbers["ach_wire_routing"]), numbers["ach_wire_routing"]


def test_every_catalogue_routing_number_passes_the_aba_checksum() -> None:
    for institution in institutions.catalogue().values():
        for routing in institution.routing_numbers:
            assert rtn.is_valid(routing), (institution.institution_id, routing)


@pytest.mark.parametrize("institution_id", COUNTRIES["GB"])
def test_gb_numbers_pass_modulus_iban_and_bic(bank: Bank, institution_id: str) -> None:
    for numbers in _numbers(bank, institution_id):
        sort_code, account = numbers["sort_code"], numbers["bacs_account"]
        assert len(sort_code) == 6 and len(account) == 8
        assert _uk_modulus_11(sort_code, account), (sort_code, account)
        assert iban.validate(numbers["iban"])
        # The IBAN's BBAN is the bank code, the same sort code and the same account.
        assert numbers["iban"][8:] == sort_code + account
        assert bic.validate(numbers["bic"]) and numbers["bic"][4:6] == "GB"
        assert numbers["iban"][4:8] == numbers["bic"][:4]


@pytest.mark.parametrize("country", ["DE", "FR", "NL"])
def test_euro_ibans_pass_mod97_their_layout_and_national_keys(bank: Bank, country: str) -> None:
    for numbers in _numbers(bank, COUNTRIES[country][0]):
        code = numbers["iban"]
        assert iban.validate(code) and code[:2] == country
        assert bic.validate(numbers["bic"]) and numbers["bic"][4:6] == country
        if country == "FR":
            assert _rib_ok(code[4:])
        if country == "NL":
            assert code[4:8] == numbers["bic"][:4] and _elfproef(code[8:])


def test_canadian_numbers_name_a_payments_canada_member_and_a_transit(bank: Bank) -> None:
    for numbers in _numbers(bank, "ins_43"):
        assert numbers["eft_institution"] in PAYMENTS_CANADA_MEMBERS
        assert len(numbers["eft_branch"]) == 5 and numbers["eft_branch"].isdigit()


def test_account_number_ends_with_the_mask(bank: Bank) -> None:
    item = bank.item(link(bank, "ins_109508"))
    assert all(a.numbers["account"].endswith(a.mask) for a in item.accounts)
