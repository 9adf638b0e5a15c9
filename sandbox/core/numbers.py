"""Account and routing numbers that pass their country's real check-digit rules.

A payments integration validates the numbers ``/auth/get`` returns before it sends money
(an ABA checksum, a UK modulus check, an IBAN's mod-97), so made-up digits would be refused
by the very code under test. Every builder here takes a seeded ``random.Random`` and draws
until its rule holds, so the numbers stay a pure function of the account's data key.
"""

from __future__ import annotations

import random
import string
from typing import Any

from .institutions import Institution
from .seeding import digits

ABA_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)
# Vocalink's standard modulus 11 over the 14 digits of sort code + account; the sort code
# digits weigh 0 (the weights of Vocalink's own worked example, 107999 88837491).
UK_MOD11_WEIGHTS = (0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1)
# The Dutch "elfproef" of pre-IBAN account numbers: weights 10 down to 1, sum divisible by 11.
NL_ELFPROEF_WEIGHTS = tuple(range(10, 0, -1))
# Two-character BIC location codes of each country's financial centre (London, Frankfurt,
# Paris, Amsterdam); a second character "0" would mark a test BIC, so none uses it.
BIC_LOCATIONS = {"GB": "2L", "DE": "FF", "FR": "PP", "NL": "2A", "IE": "2D", "ES": "MM"}
# Real member numbers of Payments Canada (BMO, Scotiabank, RBC, TD, National Bank, CIBC).
CANADIAN_INSTITUTIONS = ("001", "002", "003", "004", "006", "010")
US_WIRE_ROUTING = "021000021"
US_DEFAULT_ROUTING = "011401533"


def weighted_sum(number: str, weights: tuple[int, ...]) -> int:
    """Sum of each digit times its weight."""
    return sum(int(d) * w for d, w in zip(number, weights, strict=True))


def aba_routing(first_eight: str) -> str:
    """A nine-digit ABA routing number: ``first_eight`` plus the check digit (3-7-1 weights)."""
    total = weighted_sum(first_eight, ABA_WEIGHTS[:8])
    return first_eight + str(-total % 10)


def is_aba(routing: str) -> bool:
    """Whether ``routing`` passes the ABA checksum."""
    return len(routing) == 9 and routing.isdigit() and weighted_sum(routing, ABA_WEIGHTS) % 10 == 0


def uk_account(rng: random.Random, sort_code: str) -> str:
    """An eight-digit account number that passes the modulus 11 check with ``sort_code``."""
    while True:
        head = sort_code + digits(rng, 7)
        check = -weighted_sum(head, UK_MOD11_WEIGHTS[:13]) % 11
        if check < 10:  # the last weight is 1: the check digit must be a single digit
            return head[6:] + str(check)


def nl_account(rng: random.Random) -> str:
    """A ten-digit Dutch account number that passes the elfproef."""
    while True:
        head = digits(rng, 9)
        check = -weighted_sum(head, NL_ELFPROEF_WEIGHTS[:9]) % 11
        if check < 10:
            return head + str(check)


def rib_key(bank: str, branch: str, account: str) -> str:
    """The two-digit French RIB key of a numeric bank code, branch code and account."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def iban(country: str, bban: str) -> str:
    """An IBAN (ISO 13616): country, mod-97 check digits, BBAN."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def bank_code(institution: Institution) -> str:
    """A four-letter bank code from the institution's name (Barclays → BARC, ING → INGB)."""
    letters = [c for c in institution.name.upper() if c in string.ascii_uppercase]
    return ("".join(letters) + "BANK")[:4]


def bic(institution: Institution) -> str:
    """An eight-character BIC (ISO 9362): bank code, the bank's country, location."""
    country = institution.country
    return bank_code(institution) + country + BIC_LOCATIONS.get(country, "2X")


def bban(rng: random.Random, institution: Institution, uk: tuple[str, str] | None) -> str:
    """The country's BBAN layout (GB, DE, FR, NL; elsewhere bank code and 14 digits)."""
    country = institution.country
    if country == "GB" and uk is not None:
        sort_code, account = uk
        return bank_code(institution) + sort_code + account
    if country == "DE":
        return digits(rng, 8) + digits(rng, 10)  # Bankleitzahl + Kontonummer
    if country == "FR":
        bank, branch, account = digits(rng, 5), digits(rng, 5), digits(rng, 11)
        return bank + branch + account + rib_key(bank, branch, account)
    if country == "NL":
        return bank_code(institution) + nl_account(rng)
    return bank_code(institution) + digits(rng, 14)


def canadian_institution(institution: Institution) -> str:
    """The institution's three-digit Payments Canada number (one per bank, stable)."""
    index = sum(map(ord, institution.institution_id)) % len(CANADIAN_INSTITUTIONS)
    return CANADIAN_INSTITUTIONS[index]


def for_account(
    rng: random.Random, institution: Institution, mask: str | None, given: dict[str, Any]
) -> dict[str, Any]:
    """Every number an account carries; ``given`` (a custom user's ``numbers``) wins."""
    account = given.get("account") or digits(rng, 12) + (mask or digits(rng, 4))
    sort_code = given.get("bacs_sort_code") or digits(rng, 6)
    bacs_account = given.get("bacs_account") or uk_account(rng, sort_code)
    routing = institution.routing_numbers[0] if institution.routing_numbers else None
    numbers: dict[str, Any] = {
        "account": account,
        "ach_routing": given.get("ach_routing", routing or US_DEFAULT_ROUTING),
        "ach_wire_routing": given.get("ach_wire_routing", US_WIRE_ROUTING),
        "eft_institution": given.get("eft_institution", canadian_institution(institution)),
        "eft_branch": given.get("eft_branch", digits(rng, 5)),
        "sort_code": sort_code,
        "bacs_account": bacs_account,
        "iban": given.get("international_iban"),
        "bic": given.get("international_bic"),
    }
    if institution.country not in ("US", "CA"):
        if numbers["iban"] is None:
            numbers["iban"] = iban(
                institution.country, bban(rng, institution, (sort_code, bacs_account))
            )
        numbers["bic"] = numbers["bic"] or bic(institution)
    return numbers
