"""Identity Match: how well a user's name, phone, email and address fit the account owner.

Scores run 0-100 on Plaid's published bands: 100 an exact match; names 85-99 for a typo,
a nickname or a missing middle name, 50-69 for a likely relative (same family name);
phones and emails 70-99 for formatting differences or ``+`` tags; addresses 90-99 for a
strong and 70-89 for a partial match. A field missing on either side scores None. The
best of the owner's values wins. Everything is a pure function of the two inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

NICKNAMES = {
    "al": "albert",
    "alex": "alexander",
    "andy": "andrew",
    "bert": "albert",
    "beth": "elizabeth",
    "bill": "william",
    "bob": "robert",
    "chris": "christopher",
    "dan": "daniel",
    "dave": "david",
    "ed": "edward",
    "jen": "jennifer",
    "jim": "james",
    "joe": "joseph",
    "kate": "katherine",
    "liz": "elizabeth",
    "matt": "matthew",
    "mike": "michael",
    "nick": "nicholas",
    "pat": "patricia",
    "rob": "robert",
    "sam": "samuel",
    "steve": "steven",
    "sue": "susan",
    "tom": "thomas",
    "tony": "anthony",
}
# How alike (difflib's ratio) a name must be to the owner's to count as a typo of it: one
# letter wrong, missing or extra in a name of five letters or more.
TYPO_SIMILARITY = 0.8
TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "jr", "sr", "ii", "iii", "iv"}
BUSINESS_WORDS = {"llc", "inc", "corp", "corporation", "ltd", "co", "company", "plc", "gmbh"}
STREET_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "suite": "ste",
    "apartment": "apt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


@dataclass(frozen=True)
class NameMatch:
    """The legal name's score and what the matcher noticed."""

    score: int | None
    first_or_last_name_match: bool | None
    nickname_match: bool | None
    business_name_detected: bool | None


@dataclass(frozen=True)
class AddressMatch:
    """The address's score and whether the postal codes agree."""

    score: int | None
    postal_code_match: bool | None


@dataclass(frozen=True)
class MatchScores:
    """Identity Match's four scores for one account owner."""

    legal_name: NameMatch
    phone_number: int | None
    email_address: int | None
    address: AddressMatch


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in TITLES]


def name_score(owner_name: str, given: str) -> NameMatch:
    """How well ``given`` matches one of the owner's names."""
    ours, theirs = _words(owner_name), _words(given)
    business = bool(set(theirs) & BUSINESS_WORDS)
    if not ours or not theirs:
        return NameMatch(None, None, None, business)
    swapped = len(theirs) > 1 and (ours[0], ours[-1]) == (theirs[-1], theirs[0])
    first_or_last = ours[0] == theirs[0] or ours[-1] == theirs[-1] or swapped
    nickname = ours[0] != theirs[0] and NICKNAMES.get(theirs[0], theirs[0]) == NICKNAMES.get(
        ours[0], ours[0]
    )
    typo = _typo_score(ours[0], theirs[0], ours[-1], theirs[-1])
    if ours == theirs:
        score = 100
    elif (ours[0], ours[-1]) == (theirs[0], theirs[-1]):
        score = 95  # a middle name missing or different
    elif (nickname and ours[-1] == theirs[-1]) or swapped:
        score = 90  # a nickname, or family name first
    elif typo is not None:
        score = typo
    elif ours[-1] == theirs[-1] and ours[0] != theirs[0]:
        score = 60  # same family name, another first name: a likely relative
    else:
        score = min(int(100 * _similarity(" ".join(ours), " ".join(theirs))), 84)
    return NameMatch(score, first_or_last, nickname, business)


def _typo_score(first: str, given_first: str, last: str, given_last: str) -> int | None:
    """85-94 when the first and family names are each the owner's or a slip of a letter or
    two from it (Plaid's band for a typo), by the worse of the two; None otherwise."""
    worst = min(_similarity(first, given_first), _similarity(last, given_last))
    if worst < TYPO_SIMILARITY:
        return None
    return 85 + int(9 * (worst - TYPO_SIMILARITY) / (1 - TYPO_SIMILARITY))


def phone_score(owner_phone: str, given: str) -> int:
    """Digits compared: the same number 100, the same national number 90."""
    ours, theirs = re.sub(r"\D", "", owner_phone), re.sub(r"\D", "", given)
    if ours == theirs:
        return 100
    if ours[-10:] == theirs[-10:] and len(theirs) >= 10:
        return 90  # one side carries the country code
    return min(int(69 * _similarity(ours, theirs)), 69)


def email_score(owner_email: str, given: str) -> int:
    """Case-blind; a ``+tag`` or dots in the local part still match strongly."""
    ours, theirs = owner_email.strip().lower(), given.strip().lower()
    if ours == theirs:
        return 100
    if _plain_mailbox(ours) == _plain_mailbox(theirs):
        return 90
    if ours.split("@")[0] == theirs.split("@")[0]:
        return 70  # the same mailbox name at another provider
    return min(int(69 * _similarity(ours, theirs)), 69)


def _plain_mailbox(email: str) -> str:
    local, _, domain = email.partition("@")
    return local.split("+")[0].replace(".", "") + "@" + domain


def address_score(owner: dict[str, Any], given: dict[str, Any]) -> AddressMatch:
    """Street and postal code decide; city and region only lift a partial match."""
    street_ours, street_theirs = _street(owner.get("street")), _street(given.get("street"))
    postal = _postal(owner.get("postal_code")), _postal(given.get("postal_code"))
    postal_match = None if None in postal else postal[0] == postal[1]
    if not street_ours or not street_theirs:
        return AddressMatch(None, postal_match)
    same_city = (owner.get("city") or "").lower() == (given.get("city") or "").lower()
    if street_ours == street_theirs and postal_match:
        return AddressMatch(100 if same_city else 95, postal_match)
    if street_ours == street_theirs:
        return AddressMatch(80, postal_match)  # moved within the street's town, or a typo
    similar = _similarity(street_ours, street_theirs)
    if similar >= 0.85 and postal_match:
        return AddressMatch(90, postal_match)  # a typo or an abbreviation in the street
    bonus = 20 if postal_match else 0
    return AddressMatch(min(int(60 * similar) + bonus, 79), postal_match)


def _street(value: Any) -> str:
    words = re.findall(r"[a-z0-9]+", str(value or "").lower())
    return " ".join(STREET_WORDS.get(w, w) for w in words)


def _postal(value: Any) -> str | None:
    text = re.sub(r"\s", "", str(value or "")).upper()
    return text[:5] if text else None


def scores(owner: dict[str, Any], user: dict[str, Any]) -> MatchScores:
    """The four scores of ``user`` (Plaid's ``IdentityMatchUser``) against ``owner``."""
    name = user.get("legal_name")
    phone = user.get("phone_number")
    email = user.get("email_address")
    address = user.get("address")
    names = [name_score(n, name) for n in owner["names"]] if name else []
    addresses = [address_score(a["data"], address) for a in owner["addresses"]] if address else []
    phones = [phone_score(p["data"], phone) for p in owner["phone_numbers"]] if phone else []
    emails = [email_score(e["data"], email) for e in owner["emails"]] if email else []
    return MatchScores(
        legal_name=max(names, key=_name_rank, default=NameMatch(None, None, None, None)),
        phone_number=max(phones, default=None),
        email_address=max(emails, default=None),
        address=max(addresses, key=_address_rank, default=AddressMatch(None, None)),
    )


def _name_rank(match: NameMatch) -> int:
    return -1 if match.score is None else match.score


def _address_rank(match: AddressMatch) -> int:
    return -1 if match.score is None else match.score
