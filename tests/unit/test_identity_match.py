"""Identity Match scoring on Plaid's published bands, without HTTP."""

from __future__ import annotations

import pytest

from sandbox.core.identity_match import (
    address_score,
    email_score,
    name_score,
    phone_score,
    scores,
)

OWNER = {
    "names": ["Alberta Bobbeth Charleson"],
    "phone_numbers": [{"data": "+1 111-222-3333", "primary": True, "type": "home"}],
    "emails": [{"data": "accountholder0@example.com", "primary": True, "type": "primary"}],
    "addresses": [
        {
            "data": {
                "street": "2992 Cameron Road",
                "city": "Malakoff",
                "region": "NY",
                "postal_code": "14236",
                "country": "US",
            },
            "primary": True,
        }
    ],
}


@pytest.mark.parametrize(
    ("given", "low", "high"),
    [
        ("Alberta Bobbeth Charleson", 100, 100),
        ("alberta bobbeth charleson", 100, 100),
        ("Alberta Charleson", 85, 99),  # middle name missing
        ("Alberta Bobbeth Charlesen", 85, 99),  # a typo
        ("Alberta Charlesen", 85, 99),  # a typo, middle name missing
        ("Albrta Charleson", 85, 99),  # a letter missing from the first name
        ("Alberto Charleson", 85, 99),  # a letter wrong in the first name
        ("Charleson Alberta", 85, 99),  # family name first
        ("Robert Charleson", 50, 69),  # same family name: a likely relative
        ("Zed Quux", 0, 49),
    ],
)
def test_name_scores_fall_in_plaids_bands(given: str, low: int, high: int) -> None:
    score = name_score(OWNER["names"][0], given).score
    assert score is not None and low <= score <= high, score


def test_name_nickname_and_business_flags() -> None:
    nick = name_score("Robert Smith", "Bob Smith")
    assert nick.nickname_match and nick.first_or_last_name_match and nick.score == 90
    assert name_score("Robert Smith", "Smith Holdings LLC").business_name_detected
    assert name_score("Robert Smith", "Smith Robert").first_or_last_name_match


def test_phone_email_and_address_bands() -> None:
    assert phone_score("+1 111-222-3333", "+11112223333") == 100
    assert phone_score("+1 111-222-3333", "111 222 3333") == 90
    assert phone_score("+1 111-222-3333", "+1 999 888 7777") < 70
    assert email_score("accountholder0@example.com", "AccountHolder0@Example.com") == 100
    assert email_score("accountholder0@example.com", "accountholder0+shop@example.com") == 90
    assert email_score("accountholder0@example.com", "accountholder0@other.org") == 70
    owner_address = OWNER["addresses"][0]["data"]
    same = address_score(owner_address, {**owner_address, "street": "2992 cameron rd"})
    assert (same.score, same.postal_code_match) == (100, True)
    moved = address_score(owner_address, {**owner_address, "postal_code": "99999"})
    assert moved.postal_code_match is False and 70 <= (moved.score or 0) <= 89


def test_missing_fields_score_none_and_the_best_owner_value_wins() -> None:
    empty = scores(OWNER, {})
    assert empty.legal_name.score is None and empty.phone_number is None
    assert empty.email_address is None and empty.address.score is None
    two_names = {**OWNER, "names": ["Someone Else", "Alberta Bobbeth Charleson"]}
    assert scores(two_names, {"legal_name": "Alberta Bobbeth Charleson"}).legal_name.score == 100
